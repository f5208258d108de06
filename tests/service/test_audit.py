"""The audit trail on a real database (SQLite and PostgreSQL): appended in the reader's transaction,
chained, and any entry altered or removed is found."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, update

from services.events import models
from shared.contracts.base import utcnow
from shared.contracts.identity import AuditQuery
from tests.samples import SECRETARIAT, organizer

TRAIL = models.audit
KANSAI = organizer("kinki-kansai").model_copy(update={"client": "203.0.113.7"})


@pytest.fixture
def db(make_sessionmaker):
    return make_sessionmaker(models)


def record(db, count: int) -> None:
    start = utcnow() - timedelta(hours=1)
    for n in range(count):
        with db.begin() as session:
            who = KANSAI if n % 2 else SECRETARIAT
            TRAIL.record(session, who, "registrations.csv", f"event/e-{n}", n, at=start + timedelta(minutes=n))


def test_entries_say_who_did_what_to_how_many_and_from_where(db):
    record(db, 4)
    with db() as session:
        newest = TRAIL.entries(session, AuditQuery())
        mine = TRAIL.entries(session, AuditQuery(account_id=KANSAI.account_id))
    assert [entry.id for entry in newest] == [4, 3, 2, 1]
    assert [(e.resource, e.people, e.roles, e.client) for e in mine] == [
        ("event/e-3", 3, ["organizer"], "203.0.113.7"), ("event/e-1", 1, ["organizer"], "203.0.113.7")]
    with db() as session:
        assert TRAIL.verify(session).intact and TRAIL.verify(session).entries == 4


def test_a_rollback_takes_its_entry_with_it(db):
    record(db, 1)
    with pytest.raises(RuntimeError), db.begin() as session:
        TRAIL.record(session, SECRETARIAT, "member.read", "member/m-1", 1)
        raise RuntimeError("the read failed after all")
    record(db, 1)
    with db() as session:
        report = TRAIL.verify(session)
    assert report.intact and report.entries == 2


@pytest.mark.parametrize("tamper, broken_at", [
    (lambda table: update(table).where(table.c.id == 2).values(people=0), 2),     # altered
    (lambda table: update(table).where(table.c.id == 3).values(account_id="someone-else"), 3),
    (lambda table: delete(table).where(table.c.id == 2), 3),                     # removed from the middle
    (lambda table: delete(table).where(table.c.id == 4), 4),                     # cut from the end
])
def test_an_entry_altered_or_removed_is_found(db, tamper, broken_at):
    record(db, 4)
    with db.begin() as session:
        session.execute(tamper(TRAIL.table))
    with db() as session:
        report = TRAIL.verify(session)
    assert not report.intact and report.first_broken == broken_at and report.reason
