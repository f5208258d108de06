"""Erasure in each service, on SQLite and PostgreSQL: every table that held the person's address or
name, the outbox included, and on SQLite the database file's bytes."""
from __future__ import annotations

import json
import logging
import smtplib
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from services.events import erasure as events_erasure
from services.events import models as events_models
from services.events import registrations
from services.members import models as members_models
from services.members import operations as members_operations
from services.notifications import erasure as notifications_erasure
from services.notifications import models as notifications_models
from services.notifications import operations as notifications_operations
from services.notifications.mailer import Mailer
from shared.contracts.base import utcnow
from shared.contracts.events import EventSummary, Registrant, RegistrationConfirmed
from shared.contracts.members import IndividualDraft, MemberErased, MemberJoined, MembershipDraft, MembershipRenewalDue
from shared.contracts.notifications import GENERAL_LIST, AnnouncementDraft, ConfirmedSubscriber, MailingListDraft
from shared.erasure import reclaim_erased_space
from shared.secrets import email_digest, name_digest
from shared.settings import Settings
from tests.service.scenarios import open_event, register

NGUYEN = {"display_name": "Nguyen Van An", "email": "nguyen@example.org"}


def erased(person=NGUYEN, **changes) -> MemberErased:
    return MemberErased(member_id=changes.get("member_id", "m-1"), email_sha256=email_digest(person["email"]),
                        name_sha256=[name_digest(person["display_name"])])


def table_text(session, *tables) -> str:
    """Everything stored in these tables, as text (JSON columns as their stored escapes too)."""
    rows = [dict(row._mapping) for table in tables for row in session.execute(select(table))]
    return json.dumps(rows, default=str, ensure_ascii=False) + json.dumps(rows, default=str)


# --- events ---------------------------------------------------------------------------------------

@pytest.fixture
def events_db(make_sessionmaker):
    return make_sessionmaker(events_models)


def test_an_erased_persons_waiting_place_is_withdrawn_and_nobody_hears_of_them_again(events_db):
    event = open_event(events_db, capacity=1)
    first = register(events_db, event.id, display_name="First", email="first@example.org")
    waiting = register(events_db, event.id, **NGUYEN)
    behind = register(events_db, event.id, display_name="Behind", email="behind@example.org")
    assert (waiting.status, behind.status) == ("waitlisted", "waitlisted")
    with events_db.begin() as session:
        assert events_erasure.forget_member(session, erased()) == 1
    with events_db.begin() as session:  # the place frees up: the one who waited behind gets it
        registrations.cancel_registration(session, first.id, first.manage_token, None)
    with events_db() as session:
        statuses = {row.id: row.status for row in session.execute(select(events_models.RegistrationRow)).scalars()}
        assert (statuses[waiting.id], statuses[behind.id]) == ("cancelled", "confirmed")
        event_row = session.get(events_models.EventRow, event.id)
        assert (event_row.confirmed_places, event_row.waitlisted_places) == (1, 0)
        stored = table_text(session, events_models.RegistrationRow.__table__)
        announced = table_text(session, events_models.outbox.table)
        outbox = session.execute(select(events_models.outbox.table.c.event_type)).scalars().all()
    assert "nguyen" not in stored.lower() + announced.lower()
    assert "erased-" not in announced  # nothing is announced of the anonymised registration
    assert outbox.count("registration_waitlisted") == 1  # Behind's; Nguyen's is gone with them
    assert outbox.count("registration_promoted") == 1 and "registration_cancelled" in outbox


def test_the_outbox_forgets_the_person_published_or_not(events_db):
    event = open_event(events_db)
    register(events_db, event.id, display_name="Nguyen", email="NGUYEN@example.org")
    register(events_db, event.id, display_name="Other", email="xnguyen@example.org")  # contains the address
    table = events_models.outbox.table
    with events_db.begin() as session:  # one of them published already
        first = session.execute(select(table.c.id).where(table.c.event_type == "registration_confirmed")).first()
        session.execute(table.update().where(table.c.id == first.id).values(published_at=utcnow()))
    with events_db.begin() as session:
        events_erasure.forget_member(session, erased())
    with events_db() as session:
        payloads = [row.payload for row in session.execute(select(table))]
    registrants = [p["registrant"]["email"] for p in payloads if "registrant" in p]
    assert registrants == ["xnguyen@example.org"]


def test_a_name_in_someone_elses_delegation_goes_what_they_need_stays(events_db):
    event = open_event(events_db)
    with events_db.begin() as session:
        registrations.record_member_joined(session, MemberJoined(member_id="g-1", member_kind="group",
                                                                 region="kanto", networks=[]))
    delegation = register(events_db, event.id, kind="delegation", member_group_id="g-1", places=3,
                          display_name="Group Contact", email="contact@example.org", attendees=[
                              {"name": "ＮＧＵＹＥＮ　van an", "needs": {"interpretation": [{"source": "ja", "target": "vi"}],
                                                                    "note": "Nguyenの母です"}},
                              {"name": "Nguyen Van Binh"}])
    with events_db.begin() as session:
        assert events_erasure.forget_member(session, erased()) == 0  # not theirs: only the name goes
    with events_db() as session:
        row = session.get(events_models.RegistrationRow, delegation.id)
    assert (row.display_name, row.email) == ("Group Contact", "contact@example.org")
    assert row.attendees == [{"needs": {"interpretation": [{"source": "ja", "target": "vi"}]}},
                             {"name": "Nguyen Van Binh"}]


# --- notifications --------------------------------------------------------------------------------

@pytest.fixture
def notifications_db(make_sessionmaker):
    db = make_sessionmaker(notifications_models)
    with db.begin() as session:
        notifications_operations.create_list(session, MailingListDraft(slug=GENERAL_LIST, name={"ja": "全体"}))
        notifications_operations.add_confirmed_subscribers(session, GENERAL_LIST, [
            ConfirmedSubscriber(email="Nguyen@Example.org", language="vi", name="Nguyen Van An"),
            ConfirmedSubscriber(email="kept@example.org", language="en", name="Kept")])
    return db


SUMMARY = EventSummary(id="e-1", kind="workshop", status="published", revision=1, sequence=0, title={"ja": "集会"},
                       region="kanto", timezone="Asia/Tokyo", starts_at=utcnow() + timedelta(days=30),
                       ends_at=utcnow() + timedelta(days=30, hours=2), updated_at=utcnow())


def confirmed(person, registration_id: str, **envelope) -> RegistrationConfirmed:
    return RegistrationConfirmed(registration_id=registration_id, event=SUMMARY, status="confirmed",
                                 previous_status=None, places=1, **envelope, registrant=Registrant(
                                     display_name=person["display_name"], email=person["email"], language="vi"))


def renewal_due(person, **envelope) -> MembershipRenewalDue:
    return MembershipRenewalDue(member_id="m-1", membership_id=f"ms-{person['email']}", renewal_due_on=date(2027, 4, 1),
                                email=person["email"], language="ja", name=person["display_name"], **envelope)


KEPT = {"display_name": "Kept", "email": "kept@example.org"}


def test_every_mail_message_and_reminder_for_the_person_goes_and_later_news_of_before_is_not_mailed(notifications_db):
    db = notifications_db
    late_confirmation = confirmed(NGUYEN, "r-late")  # happened before the erasure, arrives after it
    late_renewal = renewal_due(NGUYEN)
    with db.begin() as session:
        for person in (NGUYEN, KEPT):
            notifications_operations.mail_registration_change(session, confirmed(person, f"r-{person['email']}"))
        notifications_operations.mail_renewal_due(session, renewal_due(KEPT))
        notifications_operations.post_announcement(session, GENERAL_LIST, AnnouncementDraft(
            subject={"en": "Nguyen Van An"}, body={"en": "Hello"}))
    with db.begin() as session:  # one mail to them failed and waits for its retry
        due = [d for d in notifications_operations.due_deliveries(session, 100) if d.email.startswith("nguyen")]
        notifications_operations.mark_failed_attempt(session, due[0], "451 try later", permanent=False)
    with db.begin() as session:
        assert notifications_erasure.forget_member(session, erased()) == 1
    with db.begin() as session:
        notifications_operations.mail_registration_change(session, late_confirmation)
        notifications_operations.mail_renewal_due(session, late_renewal)
        queued = notifications_operations.queue_due_reminders(session, SUMMARY.starts_at - timedelta(days=2))
    assert queued == 1  # Kept's
    with db() as session:
        stored = table_text(session, *(t for t in notifications_models.metadata.sorted_tables))
        recipients = set(session.execute(select(notifications_models.DeliveryRow.email)).scalars())
        announcement = session.execute(select(notifications_models.MessageRow.context).where(
            notifications_models.MessageRow.template == "list_announcement")).scalar()
    assert "nguyen" not in stored.lower() and recipients == {"kept@example.org"}
    assert announcement["subject"] == {"en": "(erased)"}  # others' copy of a message that named them

    again = confirmed(NGUYEN, "r-new")  # a registration made after the erasure is a new beginning
    with db.begin() as session:
        notifications_operations.mail_registration_change(session, again)
    with db() as session:
        assert "nguyen@example.org" in set(session.execute(select(notifications_models.DeliveryRow.email)).scalars())


def test_the_mailer_logs_no_address(notifications_db, caplog):
    class RefusingServer:
        def send(self, _message):
            raise smtplib.SMTPRecipientsRefused({"nguyen@example.org": (550, b"<nguyen@example.org> unknown")})

        def close(self):
            pass
    with notifications_db.begin() as session:
        notifications_operations.mail_registration_change(session, confirmed(NGUYEN, "r-1"))
    mailer = Mailer()
    mailer.settings, mailer._stopped = Settings(environment="test"), threading.Event()
    mailer.begin(notifications_db)
    with caplog.at_level(logging.INFO):
        mailer.send_due([RefusingServer()])
    assert "delivery 1 failed (SMTPRecipientsRefused, permanent)" in caplog.text
    assert "nguyen" not in caplog.text.lower()


# --- members --------------------------------------------------------------------------------------

@pytest.fixture
def members_db(make_sessionmaker):
    return make_sessionmaker(members_models)


def test_members_forgets_the_renewal_reminder_in_its_outbox_and_sends_name_digests(members_db):
    with members_db.begin() as session:
        nguyen = members_operations.create_individual(session, IndividualDraft(**NGUYEN))
        members_operations.add_membership(session, nguyen.id, MembershipDraft(
            starts_on=date(2025, 4, 1), ends_on=date(2026, 3, 31), renewal_due_on=date(2026, 3, 31)))
        members_operations.housekeeping(session, date(2026, 3, 10))
    table = members_models.outbox.table
    with members_db() as session:
        assert "membership_renewal_due" in session.execute(select(table.c.event_type)).scalars().all()
    with members_db.begin() as session:
        members_operations.erase(session, nguyen.id)
    with members_db() as session:
        stored = table_text(session, *members_models.metadata.sorted_tables)
        last = session.execute(select(table.c.payload).order_by(table.c.id.desc())).scalars().first()
    assert "nguyen" not in stored.lower()
    assert last["email_sha256"] == email_digest(" Nguyen@Example.org ")
    assert last["name_sha256"] == [name_digest("nguyen　VAN an")]


# --- the database file itself ---------------------------------------------------------------------

def test_on_sqlite_no_byte_of_the_person_stays_in_the_file_or_its_wal(notifications_db, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL keeps dead tuples until VACUUM: see docs/ARCHITECTURE.md")
    with notifications_db.begin() as session:
        notifications_operations.mail_registration_change(session, confirmed(NGUYEN, "r-1"))
    engine = notifications_db.kw["bind"]
    path = Path(engine.url.database)
    with notifications_db.begin() as session:
        notifications_erasure.forget_member(session, erased())

    def held() -> bool:
        return any(b"nguyen" in file.read_bytes().lower() for file in path.parent.glob(path.name + "*"))
    assert held(), "without the checkpoint the WAL still holds the old pages"
    reclaim_erased_space(engine)
    assert not held()
    assert b"kept@example.org" in path.read_bytes()


def test_database_errors_and_every_connection_keep_no_personal_data(notifications_db):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError
    with pytest.raises(IntegrityError) as failure, notifications_db.begin() as session:
        session.add(notifications_models.SubscriptionRow(list_id=1, email="kept@example.org", language="en",
                                                         status="confirmed", bounces=0, created_at=utcnow()))
    assert "kept@example.org" not in str(failure.value)  # logged and dead-lettered texts name no one
    with notifications_db() as session:
        if session.bind.dialect.name == "sqlite":
            assert session.execute(text("PRAGMA secure_delete")).scalar() == 1
