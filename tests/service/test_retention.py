"""What Tsunagu keeps, and for how long, on a real database (SQLite and PostgreSQL): an event's
registrations are blanked exactly when its keeping time is over, counts and needs staying; private
feeds go with the last registration that named their address; old mail records and ended sign-ins go."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from services.events import feeds, registrations, retention
from services.events import models as event_models
from services.members import models as member_models
from services.members import sign_in
from services.notifications import models as notification_models
from services.notifications import operations as mail
from shared.contracts.base import utcnow
from shared.contracts.members import ERASED_NAME
from tests.service.scenarios import join, open_event, register


@pytest.fixture
def db(make_sessionmaker):
    return make_sessionmaker(event_models)


def ended(db, event_id: str, days_ago: int) -> None:
    """The event ended `days_ago` days ago (it was made ahead, so people could register)."""
    with db.begin() as session:
        ends = utcnow() - timedelta(days=days_ago)
        session.execute(update(event_models.EventRow).where(event_models.EventRow.id == event_id)
                        .values(starts_at=ends - timedelta(hours=6), ends_at=ends))


def sign_up(db, event_id: str, email: str, **request):
    values = {"display_name": "Ana Lima", "email": email, "needs": {"sign_language": "JSL", "note": "I am Ana"},
              **request}
    return register(db, event_id, **values)


def test_registrations_are_blanked_when_their_event_s_keeping_is_over_and_not_before(db):
    kept_long = open_event(db, keep_registrations_days=365)
    due = open_event(db)  # 90 days by default
    ana = sign_up(db, due.id, "ana@example.org")
    sign_up(db, kept_long.id, "ana@example.org")
    only_here = sign_up(db, due.id, "ken@example.org", display_name="Ken")
    with db.begin() as session:
        feeds.issue_private_feed(session, ana.id, ana.manage_token, None)
        feeds.issue_private_feed(session, only_here.id, only_here.manage_token, None)
    ended(db, due.id, 89)
    ended(db, kept_long.id, 100)
    with db.begin() as session:
        assert retention.anonymise_ended(session, utcnow())["registrations_anonymised"] == 0  # a day early
    ended(db, due.id, 91)
    with db.begin() as session:
        done = retention.anonymise_ended(session, utcnow())
        again = retention.anonymise_ended(session, utcnow())
    assert done == {"events_past_keeping": 1, "registrations_anonymised": 2, "private_feeds_deleted": 1}
    assert again["registrations_anonymised"] == 0
    with db() as session:
        blanked = registrations.list_registrations(session, due.id)
        kept = registrations.list_registrations(session, kept_long.id)
        needs = registrations.needs_summary(session, due.id)
        feed_emails = set(session.execute(select(event_models.CalendarFeedRow.email)).scalars())
        event = session.get(event_models.EventRow, due.id)
    assert {(r.display_name, r.email.endswith("@invalid"), r.status.value) for r in blanked} == {
        (ERASED_NAME, True, "confirmed")}
    assert all(a.name is None and a.needs.note is None for r in blanked for a in r.attendees)
    assert event.confirmed_places == 2 and needs[0].attendees == 2 and needs[0].sign_language == {"JSL": 2}
    assert [r.display_name for r in kept] == ["Ana Lima"]  # the other event keeps hers a year
    assert feed_emails == {"ana@example.org"}  # still named by the other event's registration; Ken's feed went


def test_a_delegation_keeps_its_attendees_needs_without_their_names(db):
    join(db, "g1")
    event = open_event(db)
    register(db, event.id, kind="delegation", member_group_id="g1", display_name="会", email="g@example.org",
             places=2, attendees=[{"name": "Rosa", "needs": {"childcare": 1, "note": "Rosa's son"}}])
    ended(db, event.id, 120)
    with db.begin() as session:
        retention.anonymise_ended(session, utcnow())
    with db() as session:
        (row,) = session.execute(select(event_models.RegistrationRow)).scalars().all()
    assert row.attendees == [{"needs": {"childcare": 1}}] and row.anonymised_at is not None


def test_sign_in_links_and_sessions_that_ended_are_deleted(make_sessionmaker):
    db = make_sessionmaker(member_models)
    now = utcnow()
    with db.begin() as session:
        session.add(member_models.AccountRow(id="a-1", email="a@example.org", grants=[], created_at=now,
                                             updated_at=now))
        for n, expires in enumerate((now - timedelta(minutes=1), now + timedelta(minutes=10))):
            session.add(member_models.SignInLinkRow(id=f"l-{n}", account_id="a-1", token_hash=f"h-{n}",
                                                    created_at=now, expires_at=expires))
        for n, (expires, revoked) in enumerate(((now - timedelta(days=1), None), (now + timedelta(days=9), None),
                                                (now + timedelta(days=9), now - timedelta(hours=2)))):
            session.add(member_models.AccountSessionRow(id=f"s-{n}", account_id="a-1", created_at=now,
                                                        last_seen_at=now, expires_at=expires, revoked_at=revoked))
    with db.begin() as session:
        assert sign_in.forget_ended(session, now) == {"sign_in_links_deleted": 1, "sessions_deleted": 2}
    with db() as session:
        assert session.execute(select(member_models.AccountSessionRow.id)).scalars().all() == ["s-1"]


def test_mail_records_are_pruned_after_half_a_year(make_sessionmaker):
    db = make_sessionmaker(notification_models)
    now = utcnow()
    with db.begin() as session:
        for key, age in (("old", 181), ("recent", 179)):
            session.add(notification_models.MessageRow(id=key, key=key, template="t", context={},
                                                       created_at=now - timedelta(days=age)))
            session.flush()  # the message before its delivery (a foreign key)
            session.add(notification_models.DeliveryRow(message_id=key, email=f"{key}@example.org", language="ja",
                                                        status="sent", next_attempt_at=now))
    with db.begin() as session:
        done = mail.prune_deliveries(session, now)
        notification_models.housekeeping.record(session, now, done)
    assert done == {"deliveries_deleted": 1, "messages_deleted": 1}
    with db() as session:
        assert session.execute(select(notification_models.DeliveryRow.email)).scalars().all() == ["recent@example.org"]
        assert session.execute(select(func.count()).select_from(notification_models.housekeeping.table)).scalar() == 1
        assert notification_models.housekeeping.latest(session)[0]["done"] == done
