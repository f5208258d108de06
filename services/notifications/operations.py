"""Use cases of the notifications service: lists, subscribers, announcements and the ledger."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from services.notifications import domain
from services.notifications.models import DeliveryRow, MailingListRow, MessageRow, SubscriptionRow
from shared.contracts.base import utcnow
from shared.contracts.events import EventPublished
from shared.contracts.members import MemberErased
from shared.contracts.notifications import (GENERAL_LIST, ConfirmedSubscriber, DeliveryCounts,
                                            MailingListDraft, MailingListView)
from shared.errors import Conflict, NotFound

DELIVERIES_WRITTEN = "deliveries_written"  # session.info flag: wake the mailer after commit


def _list_view(session: Session, row: MailingListRow) -> MailingListView:
    confirmed = session.scalar(select(func.count()).select_from(SubscriptionRow).where(
        SubscriptionRow.list_id == row.id, SubscriptionRow.status == "confirmed"))
    return MailingListView(slug=row.slug, name=row.name, description=row.description,
                           confirmed_subscribers=confirmed or 0)


def _list_by_slug(session: Session, slug: str) -> MailingListRow:
    row = session.execute(select(MailingListRow).where(MailingListRow.slug == slug)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no mailing list {slug!r}", "slug")
    return row


def create_list(session: Session, draft: MailingListDraft) -> MailingListView:
    if session.execute(select(MailingListRow.id).where(MailingListRow.slug == draft.slug)).first():
        raise Conflict(f"a list {draft.slug!r} exists already", "slug")
    row = MailingListRow(slug=draft.slug, name=draft.name, description=draft.description,
                         created_at=utcnow())
    session.add(row)
    session.flush()
    return _list_view(session, row)


def list_lists(session: Session) -> list[MailingListView]:
    rows = session.execute(select(MailingListRow).order_by(MailingListRow.slug)).scalars()
    return [_list_view(session, row) for row in rows]


def add_confirmed_subscribers(session: Session, slug: str,
                              subscribers: list[ConfirmedSubscriber]) -> int:
    """Import subscribers whose consent is already held; an address already on the list is left as it
    is. Returns how many were added."""
    mailing_list = _list_by_slug(session, slug)
    existing = set(session.execute(select(SubscriptionRow.email).where(
        SubscriptionRow.list_id == mailing_list.id)).scalars())
    added = 0
    for subscriber in subscribers:
        email = subscriber.email.lower()
        if email in existing:
            continue
        existing.add(email)
        session.add(SubscriptionRow(list_id=mailing_list.id, email=email, name=subscriber.name,
                                    language=subscriber.language, status="confirmed",
                                    created_at=utcnow()))
        added += 1
    return added


@dataclass(frozen=True)
class Announcement:
    message_id: str
    recipients: int
    created: bool


def announce_event(session: Session, published: EventPublished) -> Announcement:
    """Make the announcement of a published event and one ledger row per confirmed subscriber of the
    general list. A second call for the same event revision finds the message and adds nothing."""
    event = published.event
    key = domain.announcement_key(event.id, event.revision)
    found = session.execute(select(MessageRow.id).where(MessageRow.key == key)).scalar_one_or_none()
    if found:
        return Announcement(found, 0, created=False)
    mailing_list = _list_by_slug(session, GENERAL_LIST)
    message_id = str(uuid.uuid4())
    now = utcnow()
    session.add(MessageRow(id=message_id, key=key, template="event_announcement",
                           list_slug=mailing_list.slug, context={"event": event.to_wire()},
                           created_at=now))
    session.flush()
    # INSERT … SELECT: the recipients never pass through this process's memory, whatever the list size.
    recipients = select(literal(message_id), SubscriptionRow.email, SubscriptionRow.name,
                        SubscriptionRow.language, literal("pending"), literal(0), literal(now)).where(
        SubscriptionRow.list_id == mailing_list.id, SubscriptionRow.status == "confirmed")
    result = session.execute(insert(DeliveryRow).from_select(
        ["message_id", "email", "name", "language", "status", "attempts", "next_attempt_at"], recipients))
    session.info[DELIVERIES_WRITTEN] = True
    return Announcement(message_id, result.rowcount, created=True)


def delivery_counts(session: Session, message_key: str) -> DeliveryCounts:
    message_id = session.execute(select(MessageRow.id).where(MessageRow.key == message_key)).scalar()
    if message_id is None:
        raise NotFound(f"no message {message_key!r}", "key")
    counts = dict(session.execute(select(DeliveryRow.status, func.count()).where(
        DeliveryRow.message_id == message_id).group_by(DeliveryRow.status)).all())
    return DeliveryCounts(pending=counts.get("pending", 0), sent=counts.get("sent", 0),
                          failed=counts.get("failed", 0))


@dataclass(frozen=True)
class DueDelivery:
    delivery_id: int
    message_id: str
    email: str
    name: str | None
    language: str
    attempts: int
    template: str
    list_slug: str | None
    context: dict


def due_deliveries(session: Session, limit: int) -> list[DueDelivery]:
    rows = session.execute(
        select(DeliveryRow, MessageRow).join(MessageRow, DeliveryRow.message_id == MessageRow.id)
        .where(DeliveryRow.status == "pending", DeliveryRow.next_attempt_at <= utcnow())
        .order_by(DeliveryRow.id).limit(limit)).all()
    return [DueDelivery(d.id, m.id, d.email, d.name, d.language, d.attempts, m.template, m.list_slug,
                        m.context) for d, m in rows]


def list_names(session: Session) -> dict[str, dict]:
    return dict(session.execute(select(MailingListRow.slug, MailingListRow.name)).all())


def mark_sent(session: Session, delivery_id: int) -> None:
    session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id)
                    .values(status="sent", sent_at=utcnow(), attempts=DeliveryRow.attempts + 1))


def mark_failed_attempt(session: Session, delivery: DueDelivery, error: str, permanent: bool) -> None:
    attempts = delivery.attempts + 1
    give_up = permanent or domain.gives_up(attempts)
    session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery.delivery_id).values(
        status="failed" if give_up else "pending", attempts=attempts, last_error=error[:1000],
        next_attempt_at=utcnow() + domain.retry_delay(attempts)))



def forget_member(session: Session, erased: MemberErased) -> int:
    """Erasure: the person leaves every list, and the record of what was sent to them goes too."""
    if not erased.email_sha256:
        return 0
    emails = {email for email in session.execute(select(SubscriptionRow.email).distinct()).scalars()
              if hashlib.sha256(email.lower().encode()).hexdigest() == erased.email_sha256}
    emails |= {email for email in session.execute(select(DeliveryRow.email).distinct()).scalars()
               if hashlib.sha256(email.lower().encode()).hexdigest() == erased.email_sha256}
    if not emails:
        return 0
    removed = session.execute(delete(SubscriptionRow).where(SubscriptionRow.email.in_(emails))).rowcount
    session.execute(delete(DeliveryRow).where(DeliveryRow.email.in_(emails)))
    return removed
