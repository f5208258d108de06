import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.notifications import domain, models, operations
from shared.contracts.events import EventPublished, EventView
from shared.contracts.notifications import GENERAL_LIST, ConfirmedSubscriber, MailingListDraft
from shared.errors import Conflict, NotFound
from tests.service.scenarios import person

EVENT = EventView.model_validate({
    "id": "5ffdb028-9100-4430-b1ea-194cefe628ec", "status": "published", "revision": 1,
    "kind": "migrants_day", "title": {"ja": "国際移住者デー 東京", "en": "Migrants Day Tokyo"},
    "description": {}, "region": "kanto", "prefecture": "東京都", "city": "千代田区", "venue": {"name": "日比谷"},
    "starts_at": "2026-12-18T09:30:00+00:00", "ends_at": "2026-12-18T11:30:00+00:00",
    "timezone": "Asia/Tokyo", "networks": [], "created_at": "2026-11-01T00:00:00+00:00",
    "updated_at": "2026-11-01T00:00:00+00:00", "published_at": "2026-11-01T00:00:00+00:00"})


@pytest.fixture
def db(make_sessionmaker):
    db = make_sessionmaker(models)
    with db.begin() as session:
        operations.create_list(session, MailingListDraft(slug=GENERAL_LIST, name={"ja": "全体"}))
        operations.add_confirmed_subscribers(session, GENERAL_LIST, [
            ConfirmedSubscriber(email="A@example.org", language="vi"),
            ConfirmedSubscriber(email="b@example.org", language="en", name="B"),
        ])
    return db


def deliveries(db):
    with db() as session:
        return session.execute(select(models.DeliveryRow).order_by(models.DeliveryRow.email)).scalars().all()


def test_an_announcement_gets_one_ledger_row_per_confirmed_subscriber(db):
    with db.begin() as session:
        made = operations.announce_event(session, EventPublished(event=EVENT))
    assert made.created and made.recipients == 2
    rows = deliveries(db)
    assert [(r.email, r.language, r.status) for r in rows] == [
        ("a@example.org", "vi", "pending"), ("b@example.org", "en", "pending")]


def test_the_same_event_revision_is_announced_once_even_with_a_new_event_id(db):
    with db.begin() as session:
        first = operations.announce_event(session, EventPublished(event=EVENT))
    with db.begin() as session:
        again = operations.announce_event(session, EventPublished(event=EVENT))
    assert not again.created and again.message_id == first.message_id
    assert len(deliveries(db)) == 2


def test_unconfirmed_and_duplicate_addresses_get_nothing(db):
    with db.begin() as session:
        added = operations.add_confirmed_subscribers(session, GENERAL_LIST, [
            ConfirmedSubscriber(email="a@EXAMPLE.org"), ConfirmedSubscriber(email="c@example.org")])
        session.add(models.SubscriptionRow(list_id=1, email="pending@example.org", language="ja",
                                           status="pending", created_at=EVENT.created_at))
    assert added == 1
    with db.begin() as session:
        operations.announce_event(session, EventPublished(event=EVENT))
    assert [r.email for r in deliveries(db)] == ["a@example.org", "b@example.org", "c@example.org"]


def test_ledger_outcomes_are_counted(db):
    with db.begin() as session:
        operations.announce_event(session, EventPublished(event=EVENT))
    with db() as session:
        due = operations.due_deliveries(session, 10)
    assert len(due) == 2
    with db.begin() as session:
        operations.mark_sent(session, due[0].delivery_id)
        operations.mark_failed_attempt(session, due[1], "550 no such user", permanent=True)
    with db() as session:
        counts = operations.delivery_counts(session, domain.announcement_key(EVENT.id, 1))
        assert operations.due_deliveries(session, 10) == []
    assert (counts.pending, counts.sent, counts.failed) == (0, 1, 1)


def test_a_temporary_failure_is_retried_later_not_now(db):
    with db.begin() as session:
        operations.announce_event(session, EventPublished(event=EVENT))
    with db() as session:
        first = operations.due_deliveries(session, 1)[0]
    with db.begin() as session:
        operations.mark_failed_attempt(session, first, "421 try later", permanent=False)
    with db() as session:
        still_due = operations.due_deliveries(session, 10)
        pending = session.scalar(select(func.count()).select_from(models.DeliveryRow)
                                 .where(models.DeliveryRow.status == "pending"))
    assert [d.delivery_id for d in still_due] != [] and first.delivery_id not in [d.delivery_id for d in still_due]
    assert pending == 2


def test_lists_are_unique_and_must_exist(db):
    with pytest.raises(Conflict), db.begin() as session:
        operations.create_list(session, MailingListDraft(slug=GENERAL_LIST, name={"en": "again"}))
    with pytest.raises(NotFound), db.begin() as session:
        operations.add_confirmed_subscribers(session, "nope", [])
    with db() as session:
        assert [(v.slug, v.confirmed_subscribers) for v in operations.list_lists(session)] == [(GENERAL_LIST, 2)]


def test_someone_signed_in_sees_and_leaves_their_own_lists_and_nobody_else_s(db):
    with db.begin() as session:
        operations.create_list(session, MailingListDraft(slug="magazine", name={"ja": "会報"}))
        operations.add_confirmed_subscribers(session, "magazine", [ConfirmedSubscriber(email="a@example.org")])
    ana, other = person("Ａ@example.org"), person("b@example.org")  # full-width Ａ: the same address
    with db() as session:
        own = operations.own_subscriptions(session, ana)
    assert [(o.list, o.status, o.language) for o in own] == [(GENERAL_LIST, "confirmed", "vi"), ("magazine", "confirmed", "ja")]
    with pytest.raises(NotFound), db.begin() as session:
        operations.leave_list(session, own[1].subscription_id, other)
    with db.begin() as session:
        assert operations.leave_list(session, own[1].subscription_id, ana).status == "unsubscribed"
    with db() as session:
        assert [o.status for o in operations.own_subscriptions(session, ana)] == ["confirmed", "unsubscribed"]
        assert [o.list for o in operations.own_subscriptions(session, other)] == [GENERAL_LIST]


def test_an_erased_person_leaves_every_list_and_the_ledger(db):
    import hashlib

    from services.notifications import erasure
    from shared.contracts.members import MemberErased
    with db.begin() as session:
        operations.announce_event(session, EventPublished(event=EVENT))
    digest = hashlib.sha256(b"a@example.org").hexdigest()
    with db.begin() as session:
        assert erasure.forget_member(session, MemberErased(member_id="m", email_sha256=digest)) == 1
    assert [r.email for r in deliveries(db)] == ["b@example.org"]
    with db() as session:
        emails = session.execute(select(models.SubscriptionRow.email)).scalars().all()
    assert emails == ["b@example.org"]


def test_an_address_that_keeps_bouncing_is_suspended(db):
    with db.begin() as session:
        operations.announce_event(session, EventPublished(event=EVENT))
    for revision in (2, 3):
        with db.begin() as session:
            operations.announce_event(session, EventPublished(event=EVENT.model_copy(update={"revision": revision})))
    with db() as session:
        due = [d for d in operations.due_deliveries(session, 100) if d.email == "b@example.org"]
    assert len(due) == 3 and all(d.subscription_id for d in due)
    for delivery in due:
        with db.begin() as session:
            operations.mark_failed_attempt(session, delivery, "550 mailbox unavailable", permanent=True)
    with db() as session:
        status = session.execute(select(models.SubscriptionRow.status).where(
            models.SubscriptionRow.email == "b@example.org")).scalar()
    assert status == "suspended"


def registration_event(kind, status, registration_id="reg-1"):
    from shared.contracts.events import EventSummary, Registrant
    summary = EventSummary(**{k: v for k, v in EVENT.model_dump().items() if k in EventSummary.model_fields})
    return kind(registration_id=registration_id, event=summary, status=status, previous_status=None, places=1,
                registrant=Registrant(display_name="Rin", email="rin@example.org", language="ja"))


def test_registrants_with_a_place_are_reminded_once_three_days_before(db):
    from datetime import timedelta

    from shared.contracts.events import RegistrationCancelled, RegistrationConfirmed
    with db.begin() as session:
        operations.mail_registration_change(session, registration_event(RegistrationConfirmed, "confirmed"))
        operations.mail_registration_change(session, registration_event(RegistrationConfirmed, "confirmed", "reg-2"))
        operations.mail_registration_change(session, registration_event(RegistrationCancelled, "cancelled", "reg-2"))
    four_days_before = EVENT.starts_at - timedelta(days=4)
    with db.begin() as session:
        assert operations.queue_due_reminders(session, four_days_before) == 0
    with db.begin() as session:
        assert operations.queue_due_reminders(session, EVENT.starts_at - timedelta(days=2)) == 1
    with db.begin() as session:
        assert operations.queue_due_reminders(session, EVENT.starts_at - timedelta(days=1)) == 0
    with db() as session:
        templates = session.execute(select(models.MessageRow.template)).scalars().all()
    assert sorted(templates) == ["event_reminder", "registration_status", "registration_status", "registration_status"]


def test_a_confirmation_token_is_never_stored_and_the_link_in_the_mail_still_confirms(db, database_url):
    import re

    from services.notifications.composition import compose
    from shared.contracts.notifications import SubscriptionRequest
    from shared.settings import Settings
    settings = Settings(secret_key="confirm-" + "s" * 32, public_url="https://tsunagu.example")
    with db.begin() as session:
        operations.subscribe(session, GENERAL_LIST, SubscriptionRequest(email="new@example.org", language="en"),
                             settings.secret_key)
    with db() as session:
        (due,) = operations.due_deliveries(session, 10)
    mail = compose(due, {GENERAL_LIST: {"ja": "全体"}}, settings)
    token = re.search(r"/subscriptions/confirm\?token=([^&\s]+)", mail.get_body(("plain",)).get_content()).group(1)
    if database_url.startswith("sqlite"):
        files = [db.kw["bind"].url.database + suffix for suffix in ("", "-wal")]
        stored = b"".join(Path(path).read_bytes() for path in files if os.path.exists(path))
        assert b"confirm" in stored and token.encode() not in stored  # (the file was read: it holds the key)
    with db() as session:
        contexts = session.execute(select(models.MessageRow.context)).scalars().all()
    assert token not in repr(contexts)
    with db.begin() as session:
        assert operations.confirm(session, token).slug == GENERAL_LIST
    with db() as session:
        status = session.execute(select(models.SubscriptionRow.status).where(
            models.SubscriptionRow.email == "new@example.org")).scalar()
    assert status == "confirmed"


def test_a_claimed_batch_is_no_other_copys_until_released(db):
    """Two copies of the service: what one claimed to send, the other does not see as due."""
    with db.begin() as session:
        operations.announce_event(session, EventPublished(event=EVENT))
    with db.begin() as session:
        first = operations.due_deliveries(session, 1, claim_seconds=300)
    with db.begin() as session:
        second = operations.due_deliveries(session, 10, claim_seconds=300)
    assert len(first) == 1 and len(second) == 1 and first[0].delivery_id != second[0].delivery_id
    with db() as session:
        assert operations.due_deliveries(session, 10) == []
    with db.begin() as session:
        operations.mark_sent(session, first[0].delivery_id)
        operations.release_claims(session, [first[0].delivery_id, second[0].delivery_id])
    with db() as session:  # the one sent stays sent; the other is due again at once
        assert [d.delivery_id for d in operations.due_deliveries(session, 10)] == [second[0].delivery_id]
