"""What the notifications service forgets when a person is erased (`member_erased`): every place here
that holds their address or name is handled in `forget_member`."""
from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, or_, select
from sqlalchemy.orm import Session

from services.notifications.models import DeliveryRow, ErasedAddressRow, MessageRow, ReminderRow, SubscriptionRow
from shared.contracts.members import MemberErased
from shared.db import rows_changed
from shared.erasure import ErasedPerson, may_mention
from shared.secrets import email_digest


def forget_member(session: Session, erased: MemberErased) -> int:
    """The person leaves every list; every mail to them — sent, waiting or retrying — goes from the
    ledger with the message it was (its context carries their name and address), and so do the
    reminders owed to them. Returns how many subscriptions went."""
    person = ErasedPerson.of(erased)
    if not person.email_sha256:
        return 0  # here a name is only ever kept beside an address
    _remember(session, person.email_sha256, erased.occurred_at)
    addresses: set[str] = set()
    for column in (SubscriptionRow.email, DeliveryRow.email, ReminderRow.email):
        addresses |= person.addresses_among(session.execute(select(column).distinct()).scalars())
    if not addresses:
        return 0
    for name, address in ((SubscriptionRow.name, SubscriptionRow.email), (DeliveryRow.name, DeliveryRow.email),
                          (ReminderRow.name, ReminderRow.email)):
        person = person.also_named(session.execute(select(name).where(address.in_(addresses))).scalars())
    _forget_in_messages(session, person, addresses)
    session.execute(delete(DeliveryRow).where(DeliveryRow.email.in_(addresses)))
    session.execute(delete(ReminderRow).where(ReminderRow.email.in_(addresses)))
    return rows_changed(session, delete(SubscriptionRow).where(SubscriptionRow.email.in_(addresses)))


def _forget_in_messages(session: Session, person: ErasedPerson, addresses: set[str]) -> None:
    """A message mailed to the person alone (a registration's news, a renewal reminder) goes; one that
    others received too keeps its context with the person's address and names replaced."""
    theirs = set(session.execute(select(DeliveryRow.message_id).where(DeliveryRow.email.in_(addresses))).scalars())
    candidates = session.execute(select(MessageRow).where(or_(
        MessageRow.id.in_(theirs), may_mention(MessageRow.context, addresses)))).scalars().all()
    doomed = []
    for message in candidates:
        mentioned = person.is_mentioned_in(message.context)
        if message.id not in theirs and not mentioned:
            continue  # a longer address that merely contains theirs
        others = session.scalar(select(func.count()).select_from(DeliveryRow).where(
            DeliveryRow.message_id == message.id, DeliveryRow.email.not_in(addresses)))
        if not others:
            doomed.append(message.id)
        elif mentioned:
            message.context = person.scrubbed(message.context)
    if doomed:
        session.execute(delete(MessageRow).where(MessageRow.id.in_(doomed)))


def _remember(session: Session, email_sha256: str, erased_at: datetime) -> None:
    row = session.get(ErasedAddressRow, email_sha256)
    if row is None:
        session.add(ErasedAddressRow(email_sha256=email_sha256, erased_at=erased_at))
    else:
        row.erased_at = max(row.erased_at, erased_at)


_ERASED = cast(Table, ErasedAddressRow.__table__)
# Every mail to one person asks this first: built once.
_ERASED_AT = select(_ERASED.c.erased_at).where(_ERASED.c.email_sha256 == bindparam("digest"))


def erased_since(session: Session, email: str | None, occurred_at: datetime) -> bool:
    """Whether this address was erased after the fact that would now be mailed to it."""
    digest = email_digest(email)
    if not digest:
        return False
    erased_at = session.execute(_ERASED_AT, {"digest": digest}).scalar()
    return erased_at is not None and erased_at >= occurred_at
