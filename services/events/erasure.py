"""What the events service forgets when a person is erased (`member_erased`): every place here that
holds their address or name is handled in `forget_member`."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.events import domain
from services.events.models import CalendarFeedRow, GroupFeedRow, MemberGroupSeen, RegistrationRow, commands, outbox
from services.events.operations import load_event
from services.events.registrations import _move, blank_registrant, promote_waiting
from shared.contracts.base import utcnow
from shared.contracts.events import RegistrationKind, RegistrationStatus
from shared.contracts.members import MemberErased
from shared.erasure import ErasedPerson, forget_in_command_results, forget_in_outbox


def forget_member(session: Session, erased: MemberErased) -> int:
    """Registrations made with the person's address keep their confirmed places (the counts stay true)
    but lose every trace of who made them; their place in a waiting line or their request awaiting a
    decision is withdrawn. Where they are named as an attendee of someone else's delegation (a name with
    no address beside it), the name goes. Their private calendar feeds (an erased group's feed too) and
    every outbox row that mentions them go too, and the recorded results of commands (a registration's
    receipt) lose their name and address. Returns how many of their registrations were anonymised."""
    seen = session.get(MemberGroupSeen, erased.member_id)
    if seen is not None:  # an erased group: its calendar feed goes too
        seen.current = False
        session.execute(delete(GroupFeedRow).where(GroupFeedRow.member_group_id == erased.member_id))
    person = ErasedPerson.of(erased)
    addresses = person.addresses_among(session.execute(select(RegistrationRow.email).distinct()).scalars())
    addresses |= person.addresses_among(session.execute(select(CalendarFeedRow.email).distinct()).scalars())
    own = session.execute(select(RegistrationRow).where(RegistrationRow.email.in_(addresses))).scalars().all()
    person = person.also_named(row.display_name for row in own)
    now = utcnow()
    for row in own:
        _anonymise(row, person, now)
    for event_id in sorted({row.event_id for row in own}):  # one order of locks, whoever else takes them
        _withdraw_waiting(session, event_id, [row for row in own if row.event_id == event_id], now)
    _forget_as_attendee(session, person, {row.id for row in own}, now)
    session.execute(delete(CalendarFeedRow).where(CalendarFeedRow.email.in_(addresses)))
    forget_in_outbox(session, outbox.table, person, addresses)
    forget_in_command_results(session, commands.table, person)
    return len(own)


def _anonymise(row: RegistrationRow, person: ErasedPerson, now) -> None:
    blank_registrant(row, now)
    if row.kind == RegistrationKind.DELEGATION.value:
        row.attendees = _without(person, row.attendees)  # the others a group's contact named stay
    else:
        row.attendees = []  # an individual's one attendee is themselves, needs and note included


def _withdraw_waiting(session: Session, event_id: str, rows: list[RegistrationRow], now) -> None:
    """Cancelled without a word (there is nobody to tell); whoever waited behind them moves up."""
    waiting = [row for row in rows if RegistrationStatus(row.status) in domain.WITHDRAWN_ON_ERASURE]
    if not waiting:
        return
    event = load_event(session, event_id, for_update=True)
    for row in waiting:
        _move(event, row, RegistrationStatus.CANCELLED, now)
    promote_waiting(session, event, now)


def _forget_as_attendee(session: Session, person: ErasedPerson, own: set[str], now) -> None:
    # Names are matched after normalisation (NFKC, case, spaces), which SQL cannot do: read them all.
    delegations = session.execute(select(RegistrationRow).where(
        RegistrationRow.kind == RegistrationKind.DELEGATION.value)).scalars()
    for row in delegations:
        if row.id not in own and any(person.has_name(attendee.get("name")) for attendee in row.attendees):
            row.attendees, row.updated_at = _without(person, row.attendees), now


def _without(person: ErasedPerson, attendees: list[dict]) -> list[dict]:
    """The attendees with the person's name removed, and their free-text note with it (it may say who
    they are); what they need stays, so interpreters and childcare are still counted."""
    return [domain.nameless(attendee) if person.has_name(attendee.get("name")) else attendee
            for attendee in attendees]
