"""Use cases of the notifications service: lists, subscriptions, announcements, transactional mail
and the delivery ledger."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from secrets import token_urlsafe
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from services.notifications import domain, erasure
from services.notifications.mail_kinds import (
    EVENT_ANNOUNCEMENT,
    EVENT_REMINDER,
    LIST_ANNOUNCEMENT,
    REGISTRATION_CONFIRM_ADDRESS,
    REGISTRATION_STATUS,
    RENEWAL_DUE,
    SIGN_IN_LINK,
    SUBSCRIPTION_CONFIRM,
)
from services.notifications.models import DeliveryRow, MailingListRow, MessageRow, ReminderRow, SubscriptionRow
from shared import correlation
from shared.authority import organizer_of
from shared.contracts.base import utcnow
from shared.contracts.events import (
    ENDED_STATUSES,
    EventPublished,
    RegistrationAddressConfirmed,
    RegistrationChanged,
    RegistrationExpired,
    RegistrationStatus,
)
from shared.contracts.identity import Caller, SignInRequested
from shared.contracts.members import MembershipRenewalDue
from shared.contracts.notifications import (
    GENERAL_LIST,
    SUBSCRIPTION_ID_MAX,
    AnnouncementDraft,
    AnnouncementView,
    ConfirmedSubscriber,
    ConsentBasis,
    DeliveryCounts,
    DeliveryStatus,
    MailingListDraft,
    MailingListView,
    OwnSubscription,
    PublicList,
    SubscriberImportProblem,
    SubscriberView,
    SubscriptionRequest,
    SubscriptionStatus,
)
from shared.db import rows_changed
from shared.errors import Conflict, NotFound
from shared.secrets import hash_secret, normalised_email

DELIVERIES_WRITTEN = "deliveries_written"  # session.info flag: wake the mailer after commit


def _list_view(session: Session, row: MailingListRow) -> MailingListView:
    confirmed = session.scalar(select(func.count()).select_from(SubscriptionRow).where(
        SubscriptionRow.list_id == row.id, SubscriptionRow.status == SubscriptionStatus.CONFIRMED))
    return MailingListView(slug=row.slug, name=row.name, description=row.description, policy=row.policy,
                           region=row.region, network=row.network, confirmed_subscribers=confirmed or 0)


def _list_by_slug(session: Session, slug: str) -> MailingListRow:
    row = session.execute(select(MailingListRow).where(MailingListRow.slug == slug)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no mailing list {slug!r}", "slug")
    return row


def organizer_of_list(session: Session, slug: str, who: Caller | None) -> Caller:
    """`who`, if they organize the list's region or network (the general list: the secretariat)."""
    row = _list_by_slug(session, slug)
    return organizer_of(who, row.region, [row.network] if row.network else [], f"the list {slug}")


def create_list(session: Session, draft: MailingListDraft) -> MailingListView:
    if session.execute(select(MailingListRow.id).where(MailingListRow.slug == draft.slug)).first():
        raise Conflict(f"a list {draft.slug!r} exists already", "slug")
    row = MailingListRow(created_at=utcnow(), **draft.model_dump(mode="json"))
    session.add(row)
    session.flush()
    return _list_view(session, row)


def list_lists(session: Session) -> list[MailingListView]:
    rows = session.execute(select(MailingListRow).order_by(MailingListRow.slug)).scalars()
    return [_list_view(session, row) for row in rows]


def public_lists(session: Session) -> list[PublicList]:
    rows = session.execute(select(MailingListRow).order_by(MailingListRow.slug)).scalars()
    return [PublicList(slug=row.slug, name=row.name, description=row.description or {}, region=row.region,
                       network=row.network) for row in rows]


def list_subscribers(session: Session, slug: str) -> list[SubscriberView]:
    mailing_list = _list_by_slug(session, slug)
    rows = session.execute(select(SubscriptionRow).where(SubscriptionRow.list_id == mailing_list.id)
                           .order_by(SubscriptionRow.email)).scalars()
    return [SubscriberView(email=r.email, name=r.name, language=r.language, status=r.status, bounces=r.bounces,
                           created_at=r.created_at, consent_basis=r.consent_basis, consent_date=r.consent_date)
            for r in rows]


def add_confirmed_subscribers(session: Session, slug: str, subscribers: list[ConfirmedSubscriber]) -> int:
    """Subscribers whose consent is already held, added without a confirmation mail. Returns how many
    were added."""
    counts, _ = import_subscribers(session, slug, [(0, subscriber) for subscriber in subscribers])
    return counts["created"]


# Why an address is not subscribed (again) by an import.
ERASED_SINCE_CONSENT = ("this person asked to be erased after the consent this line gives; only a consent "
                        "given after the erasure (or their own subscription) brings them back")
NOT_REIMPORTED = {
    SubscriptionStatus.UNSUBSCRIBED: "unsubscribed from this list; an import never subscribes them again",
    SubscriptionStatus.SUSPENDED: "suspended after repeated bounces; an import does not mail it again"}


def import_subscribers(session: Session, slug: str, lines: list[tuple[int, ConfirmedSubscriber]]
                       ) -> tuple[dict[str, int], list[SubscriberImportProblem]]:
    """Subscribers whose consent is held elsewhere, each with its basis and date, in `slug` — and no
    confirmation mail. An address already confirmed is unchanged; one waiting for confirmation is
    confirmed by the import; one that unsubscribed (or bounced) is refused. Returns the counts and the
    refused lines."""
    mailing_list = _list_by_slug(session, slug)
    status_of = dict(session.execute(select(SubscriptionRow.email, SubscriptionRow.status).where(
        SubscriptionRow.list_id == mailing_list.id)).all())
    counts, refused, new_rows, confirmed, now = {"created": 0, "updated": 0, "unchanged": 0}, [], [], {}, utcnow()
    for line, subscriber in lines:
        email = subscriber.email.lower()
        status = status_of.get(email)
        consent = {"consent_basis": subscriber.consent_basis.value, "consent_date": subscriber.consent_date}
        if status in NOT_REIMPORTED:
            refused.append(SubscriberImportProblem(row=line, field="email",
                                                   reason=NOT_REIMPORTED[SubscriptionStatus(status)]))
            continue
        consent_moment = (datetime.combine(subscriber.consent_date, time.max, tzinfo=UTC)
                          if subscriber.consent_date else now)  # no date given: consent given now
        if erasure.erased_since(session, email, consent_moment):
            refused.append(SubscriberImportProblem(row=line, field="email", reason=ERASED_SINCE_CONSENT))
            continue
        if status is None:
            new_rows.append({"list_id": mailing_list.id, "email": email, "name": subscriber.name,
                             "language": subscriber.language, "status": SubscriptionStatus.CONFIRMED, "bounces": 0,
                             "created_at": now, **consent})
            counts["created"] += 1
        elif status == SubscriptionStatus.CONFIRMED:
            counts["unchanged"] += 1
        else:  # waiting for confirmation here: the consent held elsewhere confirms it
            confirmed[email] = consent
            counts["updated"] += 1
        status_of[email] = SubscriptionStatus.CONFIRMED
    if new_rows:
        session.execute(insert(SubscriptionRow), new_rows)
    for email, consent in confirmed.items():
        session.execute(update(SubscriptionRow).where(
            SubscriptionRow.list_id == mailing_list.id, SubscriptionRow.email == email).values(
            status=SubscriptionStatus.CONFIRMED, confirm_token_hash=None, confirm_expires_at=None, **consent))
    return counts, refused


# --- messages and the ledger -----------------------------------------------------------------------

def _list_of(session: Session, subscription: SubscriptionRow) -> MailingListRow:
    mailing_list = session.get(MailingListRow, subscription.list_id)
    assert mailing_list is not None, "a subscription's list outlives it (foreign key)"
    return mailing_list


# Every event that mails someone runs these (a burst of registrations, thousands a minute): built once,
# run as Core on the session's connection, each call only binding its values.
_MESSAGES, _DELIVERIES = (cast(Table, row.__table__) for row in (MessageRow, DeliveryRow))  # mapped classes' tables
_MESSAGE_WITH_KEY = select(_MESSAGES.c.id).where(_MESSAGES.c.key == bindparam("key"))
_NEW_MESSAGE = insert(_MESSAGES)
_NEW_DELIVERY = insert(_DELIVERIES)


def _message(session: Session, key: str, template: str, context: dict, list_slug: str | None = None) -> str | None:
    """A new message, or None when one with this key exists (a redelivered or replayed event)."""
    connection = session.connection()
    if connection.execute(_MESSAGE_WITH_KEY, {"key": key}).first():
        return None
    message_id = str(uuid.uuid4())
    connection.execute(_NEW_MESSAGE, {"id": message_id, "key": key, "template": template, "list_slug": list_slug,
                                      "context": context, "created_at": utcnow(),
                                      "correlation_id": correlation.current()})
    session.info[DELIVERIES_WRITTEN] = True
    return message_id


def _deliver_to(session: Session, message_id: str, email: str, name: str | None, language: str,
                subscription_id: int | None = None, list_slug: str | None = None) -> None:
    session.connection().execute(_NEW_DELIVERY, {
        "message_id": message_id, "email": email, "name": name, "language": language,
        "status": DeliveryStatus.PENDING.value, "attempts": 0, "next_attempt_at": utcnow(),
        "subscription_id": subscription_id, "list_slug": list_slug, "last_error": None, "sent_at": None})


def _deliver_to_lists(session: Session, message_id: str, list_ids: list[int]) -> int:
    """One ledger row per address confirmed on any of the lists — each address once, however many of
    the lists it is on — written with INSERT … SELECT: the recipients never pass through this process."""
    first = (select(func.min(SubscriptionRow.id).label("subscription_id"), SubscriptionRow.email)
             .where(SubscriptionRow.list_id.in_(list_ids), SubscriptionRow.status == SubscriptionStatus.CONFIRMED)
             .group_by(SubscriptionRow.email).subquery())
    chosen = (select(literal(message_id), SubscriptionRow.email, SubscriptionRow.name, SubscriptionRow.language,
                     literal(DeliveryStatus.PENDING.value), literal(0), literal(utcnow()), SubscriptionRow.id,
                     MailingListRow.slug)
              .join(first, first.c.subscription_id == SubscriptionRow.id)
              .join(MailingListRow, MailingListRow.id == SubscriptionRow.list_id))
    return rows_changed(session, insert(DeliveryRow).from_select(
        ["message_id", "email", "name", "language", "status", "attempts", "next_attempt_at", "subscription_id",
         "list_slug"], chosen))


@dataclass(frozen=True)
class Announcement:
    message_id: str
    recipients: int
    created: bool


def announce_event(session: Session, published: EventPublished) -> Announcement:
    """The announcement of a published event, to the general list, the list of its region and the lists
    of its networks. A second call for the same event revision finds the message and adds nothing."""
    event = published.event
    message_id = _message(session, domain.announcement_key(event.id, event.revision), EVENT_ANNOUNCEMENT.name,
                          {"event": event.to_wire()}, GENERAL_LIST)
    if message_id is None:
        found = session.execute(select(MessageRow.id).where(
            MessageRow.key == domain.announcement_key(event.id, event.revision))).scalar_one()
        return Announcement(found, 0, created=False)
    _list_by_slug(session, GENERAL_LIST)  # the general list must exist: else the event is kept as a dead letter
    conditions = [MailingListRow.slug == GENERAL_LIST, MailingListRow.region == event.region.value]
    if event.networks:
        conditions.append(MailingListRow.network.in_(event.networks))
    list_ids = list(session.execute(select(MailingListRow.id).where(or_(*conditions))).scalars())
    return Announcement(message_id, _deliver_to_lists(session, message_id, list_ids), created=True)


def post_announcement(session: Session, slug: str, draft: AnnouncementDraft) -> AnnouncementView:
    mailing_list = _list_by_slug(session, slug)
    message_id = _message(session, f"announcement:{uuid.uuid4()}", LIST_ANNOUNCEMENT.name, draft.to_wire(), slug)
    assert message_id is not None, "a new key: the message is new"
    _deliver_to_lists(session, message_id, [mailing_list.id])
    return announcement_view(session, message_id)


def announcement_view(session: Session, message_id: str) -> AnnouncementView:
    message = session.get(MessageRow, message_id)
    if message is None:
        raise NotFound(f"no announcement {message_id}", "announcement_id")
    counts = _counts(session, message_id)
    return AnnouncementView(id=message.id, list_slug=message.list_slug, template=message.template,
                            created_at=message.created_at, recipients=counts.pending + counts.sent + counts.failed,
                            **counts.model_dump())


def _counts(session: Session, message_id: str) -> DeliveryCounts:
    counts = dict(session.execute(select(DeliveryRow.status, func.count()).where(
        DeliveryRow.message_id == message_id).group_by(DeliveryRow.status)).all())
    return DeliveryCounts(**{status.value: counts.get(status.value, 0) for status in DeliveryStatus})


def delivery_counts(session: Session, message_key: str) -> DeliveryCounts:
    message_id = session.execute(select(MessageRow.id).where(MessageRow.key == message_key)).scalar()
    if message_id is None:
        raise NotFound(f"no message {message_key!r}", "key")
    return _counts(session, message_id)


# --- subscriptions: double opt-in and one-click unsubscribe ------------------------------------------

def subscribe(session: Session, slug: str, request: SubscriptionRequest, secret: str) -> None:
    """Ask for confirmation by mail. The caller learns nothing of whether the address was on the list:
    a confirmed subscriber gets no mail and the answer is the same. The mail's token is derived from a
    nonce with `secret` when the mail is written (domain.confirmation_token); only its hash is kept."""
    mailing_list = _list_by_slug(session, slug)
    email = request.email.lower()
    row = session.execute(select(SubscriptionRow).where(SubscriptionRow.list_id == mailing_list.id,
                                                        SubscriptionRow.email == email)).scalar()
    if row is not None and row.status == SubscriptionStatus.CONFIRMED:
        return
    now = utcnow()
    if row is None:
        row = SubscriptionRow(list_id=mailing_list.id, email=email, bounces=0, created_at=now)
        session.add(row)
    row.name, row.language, row.status = request.name, request.language, SubscriptionStatus.PENDING
    session.flush()
    nonce = token_urlsafe(16)
    row.confirm_token_hash = hash_secret(domain.confirmation_token(row.id, nonce, secret))
    row.confirm_expires_at = now + domain.CONFIRMATION_VALIDITY
    message_id = _message(session, f"confirm:{row.id}:{nonce}", SUBSCRIPTION_CONFIRM.name,
                          {"list": mailing_list.name, "subscription_id": row.id, "nonce": nonce}, slug)
    assert message_id is not None, "a new nonce: the message is new"
    # nobody's name: whoever subscribed typed the address, and no text of theirs goes to it unconfirmed
    _deliver_to(session, message_id, email, None, request.language)


def confirm(session: Session, token: str) -> MailingListView:
    row = token.isascii() and session.execute(select(SubscriptionRow).where(
        SubscriptionRow.confirm_token_hash == hash_secret(token))).scalar()
    if not row or row.confirm_expires_at is None or row.confirm_expires_at < utcnow():
        raise NotFound("this confirmation link is unknown or has expired; subscribe again", "token")
    row.status, row.confirm_token_hash, row.confirm_expires_at = SubscriptionStatus.CONFIRMED, None, None
    row.consent_basis, row.consent_date = ConsentBasis.DOUBLE_OPT_IN.value, utcnow().date()
    return _list_view(session, _list_of(session, row))


def _signed_subscription(session: Session, subscription_id: int, signature: str, secret: str) -> SubscriptionRow:
    """The subscription an unsubscribe link names, if we signed that link; any other link is not found
    (an id the table cannot hold included)."""
    valid = (0 < subscription_id <= SUBSCRIPTION_ID_MAX
             and domain.signature_matches(subscription_id, signature, secret))
    row = session.get(SubscriptionRow, subscription_id) if valid else None
    if row is None:
        raise NotFound("this unsubscribe link is not valid", "link")
    return row


def unsubscribe(session: Session, subscription_id: int, signature: str, secret: str) -> MailingListView:
    row = _signed_subscription(session, subscription_id, signature, secret)
    row.status = SubscriptionStatus.UNSUBSCRIBED
    return _list_view(session, _list_of(session, row))


def unsubscribe_preview(session: Session, subscription_id: int, signature: str, secret: str) -> dict:
    row = _signed_subscription(session, subscription_id, signature, secret)
    return {"list": _list_of(session, row).name, "status": row.status, "language": row.language}


def own_subscriptions(session: Session, who: Caller) -> list[OwnSubscription]:
    """The lists someone signed in with an address is on (or asked to be on, or left), by that address."""
    address = normalised_email(who.email)
    rows = session.execute(select(SubscriptionRow, MailingListRow).join(
        MailingListRow, MailingListRow.id == SubscriptionRow.list_id).where(SubscriptionRow.email == address)
        .order_by(MailingListRow.slug)).all()
    return [OwnSubscription(subscription_id=row.id, list=mailing_list.slug, name=mailing_list.name,
                            language=row.language, status=row.status) for row, mailing_list in rows]


def leave_list(session: Session, subscription_id: int, who: Caller) -> OwnSubscription:
    """Someone signed in with the subscription's address takes it off its list; anyone else: not found."""
    row = session.get(SubscriptionRow, subscription_id) if 0 < subscription_id <= SUBSCRIPTION_ID_MAX else None
    if row is None or row.email != normalised_email(who.email):
        raise NotFound(f"you have no subscription {subscription_id}", "subscription_id")
    row.status = SubscriptionStatus.UNSUBSCRIBED
    mailing_list = _list_of(session, row)
    return OwnSubscription(subscription_id=row.id, list=mailing_list.slug, name=mailing_list.name,
                           language=row.language, status=row.status)


# --- transactional mail ----------------------------------------------------------------------------

def mail_registration_change(session: Session, changed: RegistrationChanged) -> None:
    """Confirmed, waitlisted, promoted, pending, approved, rejected, cancelled: one mail each, once;
    and a reminder owed before the event to whoever holds a place. Nothing for a registrant erased since.

    An address nobody has confirmed yet gets, first, the link that confirms it, and never the name typed
    with it (whoever registered may not be the address's person); at most CONFIRMATIONS_PER_HOUR such
    links an hour, more registrations with it are mailed nothing. Once it is confirmed
    (`registration_address_confirmed`), the usual mail of where the registration stands follows."""
    if erasure.erased_since(session, changed.registrant.email, changed.occurred_at):
        return
    registrant = changed.registrant
    if changed.confirm_nonce:
        _mail_address_confirmation(session, changed)
    elif not isinstance(changed, RegistrationExpired):  # released: the address never said it wanted mail
        # an address confirmed now hears where its registration stands, in the words of that status
        wording = f"registration_{changed.status.value}" if isinstance(changed, RegistrationAddressConfirmed) \
            else changed.event_type
        message_id = _message(session, f"{changed.event_type}:{changed.registration_id}:{changed.event_id}",
                              REGISTRATION_STATUS.name, {**changed.to_wire(), "event_type": wording})
        if message_id:
            _deliver_to(session, message_id, registrant.email,
                        registrant.display_name if changed.address_confirmed else None, registrant.language)
    _owe_reminder(session, changed)


def _owe_reminder(session: Session, changed: RegistrationChanged) -> None:
    """A reminder is owed to whoever holds a place with an address they confirmed; it goes when the
    registration ends (cancelled, rejected, expired). Other changes leave it as it is."""
    holds_place = changed.status is RegistrationStatus.CONFIRMED and changed.address_confirmed
    if not holds_place and changed.status not in ENDED_STATUSES:
        return  # nothing to write or remove: the reminder (if any) is not even read
    reminder = session.get(ReminderRow, changed.registration_id)
    if holds_place:
        if reminder is None:
            reminder = ReminderRow(registration_id=changed.registration_id, sent=False)
            session.add(reminder)
        reminder.email, reminder.name = changed.registrant.email, changed.registrant.display_name
        reminder.language, reminder.event = changed.registrant.language, changed.event.to_wire()
        reminder.remind_at = changed.event.starts_at - domain.REMINDER_BEFORE
    elif reminder is not None:
        session.delete(reminder)


CONFIRMATIONS_PER_HOUR = 3  # links to confirm a registration's address, per address


_ADDRESS_CONFIRMATIONS_SINCE = select(func.count()).select_from(DeliveryRow).join(
    MessageRow, DeliveryRow.message_id == MessageRow.id).where(
    DeliveryRow.email == bindparam("email"), MessageRow.template == REGISTRATION_CONFIRM_ADDRESS.name,
    MessageRow.created_at > bindparam("since", type_=MessageRow.created_at.type))


def _mail_address_confirmation(session: Session, changed: RegistrationChanged) -> None:
    recent = session.connection().execute(_ADDRESS_CONFIRMATIONS_SINCE, {
        "email": changed.registrant.email, "since": changed.occurred_at - timedelta(hours=1)}).scalar_one()
    if recent >= CONFIRMATIONS_PER_HOUR:
        return
    message_id = _message(session, f"confirm_address:{changed.registration_id}", REGISTRATION_CONFIRM_ADDRESS.name,
                          changed.to_wire())
    if message_id:
        _deliver_to(session, message_id, changed.registrant.email, None, changed.registrant.language)


def queue_due_reminders(session: Session, now: datetime) -> int:
    """Reminders whose time came, for events still ahead: one mail each."""
    due = session.execute(select(ReminderRow).where(ReminderRow.sent.is_(False),
                                                    ReminderRow.remind_at <= now)).scalars()
    queued = 0
    for reminder in due:
        reminder.sent = True
        if datetime.fromisoformat(reminder.event["starts_at"]) <= now:
            continue  # registered too late for a reminder to mean anything
        message_id = _message(session, f"reminder:{reminder.registration_id}", EVENT_REMINDER.name,
                              {"event": reminder.event, "registration_id": reminder.registration_id})
        if message_id:
            _deliver_to(session, message_id, reminder.email, reminder.name, reminder.language)
            queued += 1
    return queued


def mail_renewal_due(session: Session, due: MembershipRenewalDue) -> None:
    if not due.email or erasure.erased_since(session, due.email, due.occurred_at):
        return
    message_id = _message(session, f"renewal_due:{due.membership_id}", RENEWAL_DUE.name, due.to_wire())
    if message_id:
        _deliver_to(session, message_id, due.email, due.name, due.language)


def mail_sign_in_link(session: Session, requested: SignInRequested) -> None:
    if requested.expires_at <= utcnow():
        return  # came back from the dead letters too late to be of use
    message_id = _message(session, f"sign_in:{requested.link_id}", SIGN_IN_LINK.name, requested.to_wire())
    if message_id:
        _deliver_to(session, message_id, requested.email, None, requested.language)


# --- the ledger ------------------------------------------------------------------------------------

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
    subscription_id: int | None = None
    correlation_id: str | None = None  # the request that caused the mail


def due_deliveries(session: Session, limit: int, after_id: int = 0, claim_seconds: float = 0.0) -> list[DueDelivery]:
    """The next deliveries due, in id order after `after_id`; each message is read once per batch.

    With `claim_seconds` (the mailer, in a transaction of its own), they are also claimed: not due again
    for that long, so another copy of the service sends none of them meanwhile. Rows another copy is
    claiming at this very moment are skipped (PostgreSQL's SKIP LOCKED; SQLite has one writer at a time).
    A copy that dies after claiming leaves them due again once the claim has run out: a mail may then
    go twice, never zero times."""
    query = (select(DeliveryRow).where(DeliveryRow.status == DeliveryStatus.PENDING, DeliveryRow.id > after_id,
                                       DeliveryRow.next_attempt_at <= utcnow()).order_by(DeliveryRow.id).limit(limit))
    if claim_seconds:
        query = query.with_for_update(skip_locked=True)
    rows = session.execute(query).scalars().all()
    if claim_seconds and rows:
        session.execute(update(_DELIVERIES).where(_DELIVERIES.c.id.in_([row.id for row in rows]))
                        .values(next_attempt_at=utcnow() + timedelta(seconds=claim_seconds)))
    message_ids = {row.message_id for row in rows}
    messages = {m.id: m for m in session.execute(select(MessageRow).where(MessageRow.id.in_(message_ids))).scalars()}
    return [DueDelivery(d.id, d.message_id, d.email, d.name, d.language, d.attempts, messages[d.message_id].template,
                        d.list_slug or messages[d.message_id].list_slug, messages[d.message_id].context,
                        d.subscription_id, messages[d.message_id].correlation_id) for d in rows]


def list_names(session: Session) -> dict[str, dict]:
    return dict(session.execute(select(MailingListRow.slug, MailingListRow.name)).all())


# Built once: marking a delivery sent is the hot path of a large send, one short transaction per mail.
MARK_SENT = (update(_DELIVERIES).where(_DELIVERIES.c.id == bindparam("delivery_id"))
             .values(status=DeliveryStatus.SENT, sent_at=bindparam("sent_at"), attempts=_DELIVERIES.c.attempts + 1))


def release_claims(session: Session, delivery_ids: list[int]) -> None:
    """Deliveries claimed but not tried (the server went away mid-batch): due again at once."""
    if delivery_ids:
        session.execute(update(_DELIVERIES).where(_DELIVERIES.c.id.in_(delivery_ids),
                                                  _DELIVERIES.c.status == DeliveryStatus.PENDING)
                        .values(next_attempt_at=utcnow()))


def mark_sent(connection, delivery_id: int) -> None:
    """On a Core connection (or a session): no ORM bookkeeping per mail."""
    connection.execute(MARK_SENT, {"delivery_id": delivery_id, "sent_at": utcnow()})


def mark_failed_attempt(session: Session, delivery: DueDelivery, error: str, permanent: bool) -> None:
    attempts = delivery.attempts + 1
    give_up = permanent or domain.gives_up(attempts)
    session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery.delivery_id).values(
        status=DeliveryStatus.FAILED if give_up else DeliveryStatus.PENDING, attempts=attempts, last_error=error[:1000],
        next_attempt_at=utcnow() + domain.retry_delay(attempts)))
    if permanent and delivery.subscription_id:
        subscription = session.get(SubscriptionRow, delivery.subscription_id)
        if subscription is not None:
            subscription.bounces += 1
            if domain.suspended_after(subscription.bounces) and subscription.status == SubscriptionStatus.CONFIRMED:
                subscription.status = SubscriptionStatus.SUSPENDED  # an address that keeps bouncing is not mailed again


DELIVERIES_KEPT = timedelta(days=180)  # long enough to answer "did my mail go out?", no longer


def prune_deliveries(session: Session, now: datetime) -> dict:
    """Deliveries of messages written more than DELIVERIES_KEPT ago (each names one address), and those
    messages once none is left; a delivery still pending then has long been given up on."""
    old = select(MessageRow.id).where(MessageRow.created_at < now - DELIVERIES_KEPT)
    deliveries = rows_changed(session, delete(DeliveryRow).where(DeliveryRow.message_id.in_(old)))
    messages = rows_changed(session, delete(MessageRow).where(
        MessageRow.created_at < now - DELIVERIES_KEPT,
        ~MessageRow.id.in_(select(DeliveryRow.message_id).distinct())))
    return {"deliveries_deleted": deliveries, "messages_deleted": messages}
