"""Use cases on registrations: who gets a place, who waits, who is promoted — never more places than
there are. Every decision runs under the event's lock (a PostgreSQL row lock; on SQLite every write
transaction is BEGIN IMMEDIATE), and every change goes on the bus through the outbox."""
from __future__ import annotations

import secrets
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from services.events import domain
from services.events.models import EventRow, MemberGroupSeen, RegistrationRow, SessionRow, outbox
from services.events.operations import is_public, load_event
from services.events.views import registration_view
from shared.authority import contact_of, may_organize, organizer_of
from shared.contracts.base import utcnow
from shared.contracts.events import (
    REGISTRATION_CONFIRM_PURPOSE,
    AddressConfirmed,
    Attendee,
    AttendeesUpdate,
    EventSummary,
    Registrant,
    RegistrationAddressConfirmed,
    RegistrationApproved,
    RegistrationCancelled,
    RegistrationChanged,
    RegistrationConfirmed,
    RegistrationExpired,
    RegistrationKind,
    RegistrationPending,
    RegistrationPromoted,
    RegistrationReceipt,
    RegistrationRejected,
    RegistrationRequest,
    RegistrationStatus,
    RegistrationView,
    RegistrationWaitlisted,
    SessionNeeds,
)
from shared.contracts.identity import Caller
from shared.contracts.members import ERASED_NAME, MemberJoined, MemberLeft
from shared.contracts.vocabulary import EventStatus
from shared.errors import Conflict, Invalid, NotFound
from shared.secrets import hash_secret, link_secret, new_secret, normalised_email, secret_matches
from shared.spreadsheets import excel_csv

S = RegistrationStatus
ANNOUNCED_AS = {S.CONFIRMED: RegistrationConfirmed, S.WAITLISTED: RegistrationWaitlisted,
                S.PENDING: RegistrationPending}


# Summaries by (event, updated_at): every organizer change sets updated_at, so an entry is never stale,
# and hundreds of registrations for one event build its summary once.
_SUMMARIES: dict[tuple[str, datetime], EventSummary] = {}


def _summary(session: Session, event_id: str, updated_at: datetime) -> EventSummary:
    key = (event_id, updated_at)
    summary = _SUMMARIES.get(key)
    if summary is None:
        row = session.get(EventRow, event_id)
        assert row is not None, "a registration's event exists (locked by the caller)"
        summary = EventSummary(id=row.id, kind=row.kind, status=row.status, revision=row.revision,
                               sequence=row.sequence, title=row.title, region=row.region,
                               prefecture=row.prefecture, city=row.city, venue=row.venue, timezone=row.timezone,
                               all_day=row.all_day, starts_at=row.starts_at, ends_at=row.ends_at,
                               updated_at=row.updated_at)
        if len(_SUMMARIES) > 1000:
            _SUMMARIES.clear()
        _SUMMARIES[key] = summary
    return summary


def _announce(session: Session, kind: type[RegistrationChanged], event: EventRow, row: RegistrationRow,
              previous: S | None, now: datetime) -> None:
    if domain.is_erased_address(row.email):
        return  # an erased registrant is told nothing, and nothing about them goes on the bus
    outbox.record(session, kind(
        registration_id=row.id, event=_summary(session, event.id, event.updated_at), session_ids=row.session_ids,
        status=S(row.status), previous_status=previous,
        places=row.places, occurred_at=now, address_confirmed=row.address_confirmed_at is not None,
        hold_until=row.hold_until,
        registrant=Registrant(display_name=row.display_name, email=row.email, language=row.language)))


def _occupancy(event: EventRow) -> dict[str, domain.Occupancy]:
    occupancy = {domain.EVENT: domain.Occupancy(event.capacity, event.confirmed_places)}
    occupancy.update({s.id: domain.Occupancy(s.capacity, s.confirmed_places) for s in event.sessions})
    return occupancy


def _waiting_line(session: Session, event: EventRow) -> list[RegistrationRow]:
    if event.waitlisted_places <= 0:
        return []
    return list(session.execute(select(RegistrationRow).where(
        RegistrationRow.event_id == event.id, RegistrationRow.status == S.WAITLISTED.value)
        .order_by(RegistrationRow.arrival)).scalars())


def _as_waiting(rows: list[RegistrationRow]) -> list[domain.Waiting]:
    return [domain.Waiting(r.id, r.places, tuple(r.session_ids)) for r in rows]


def _count(event: EventRow, row: RegistrationRow, status: S, sign: int) -> None:
    """Keep the event's and the sessions' counters in step with one registration's places."""
    if status is S.CONFIRMED:
        event.confirmed_places += sign * row.places
        for session in event.sessions:
            if session.id in row.session_ids:
                session.confirmed_places += sign * row.places
    elif status is S.WAITLISTED:
        event.waitlisted_places += sign * row.places


def _move(event: EventRow, row: RegistrationRow, to: S, now: datetime) -> S:
    previous = S(row.status)
    _count(event, row, previous, -1)
    _count(event, row, to, +1)
    row.status, row.updated_at = to.value, now
    return previous


def _waitlist_position(session: Session, row: RegistrationRow) -> int | None:
    if row.status != S.WAITLISTED.value:
        return None
    ahead = session.scalar(select(func.count()).select_from(RegistrationRow).where(
        RegistrationRow.event_id == row.event_id, RegistrationRow.status == S.WAITLISTED.value,
        RegistrationRow.arrival < row.arrival))
    return (ahead or 0) + 1


def _check_group(session: Session, event_id: str, quota: int | None, request: RegistrationRequest) -> None:
    seen = session.get(MemberGroupSeen, request.member_group_id)
    if seen is None or not seen.current:
        raise Invalid("not a current member group (a group that joined a moment ago may take a few seconds "
                      "to be known here)", "member_group_id")
    held = session.scalar(select(func.coalesce(func.sum(RegistrationRow.places), 0)).where(
        RegistrationRow.event_id == event_id, RegistrationRow.member_group_id == request.member_group_id,
        RegistrationRow.status.in_([s.value for s in domain.ACTIVE_STATUSES])))
    domain.check_group_quota(quota, held or 0, request.places)


# The hot path: SQLAlchemy Core on the few columns a decision needs, under the event's lock.
# Statements are built once; each call only binds its values (building them anew costs more than running
# them on SQLite).
EVENTS, SESSIONS, REGISTRATIONS = (cast(Table, row.__table__) for row in (EventRow, SessionRow, RegistrationRow))
_LOCK_EVENT = select(*[EVENTS.c[name] for name in (
    "id", "status", "capacity", "confirmed_places", "waitlisted_places", "next_arrival", "requires_approval",
    "registration_opens_at", "registration_closes_at", "group_quota", "updated_at", "published_at", "region",
    "networks")]).where(
    EVENTS.c.id == bindparam("event_id")).with_for_update()
_SESSION_PLACES = select(SESSIONS.c.id, SESSIONS.c.capacity, SESSIONS.c.confirmed_places).where(
    SESSIONS.c.event_id == bindparam("event_id"))
_WAITING_LINE = select(REGISTRATIONS.c.id, REGISTRATIONS.c.places, REGISTRATIONS.c.session_ids).where(
    REGISTRATIONS.c.event_id == bindparam("event_id"), REGISTRATIONS.c.status == S.WAITLISTED.value).order_by(
    REGISTRATIONS.c.arrival)
_INSERT_REGISTRATION = insert(REGISTRATIONS)
_COUNT_EVENT = update(EVENTS).where(EVENTS.c.id == bindparam("event_id")).values(
    next_arrival=EVENTS.c.next_arrival + 1, confirmed_places=EVENTS.c.confirmed_places + bindparam("confirmed"),
    waitlisted_places=EVENTS.c.waitlisted_places + bindparam("waitlisted"))
_COUNT_SESSIONS = update(SESSIONS).where(SESSIONS.c.id.in_(bindparam("session_ids", expanding=True))).values(
    confirmed_places=SESSIONS.c.confirmed_places + bindparam("confirmed"))
_WAITLIST_LENGTH = select(func.count()).select_from(REGISTRATIONS).where(
    REGISTRATIONS.c.event_id == bindparam("event_id"), REGISTRATIONS.c.status == S.WAITLISTED.value)


@dataclass(frozen=True)
class AddressCheck:
    """How an individual's address is confirmed: a link made with `secret_key` (shared.secrets.
    link_secret), their places held for `hold` meanwhile."""

    secret_key: str
    hold: timedelta


def register(session: Session, event_id: str, request: RegistrationRequest, address_check: AddressCheck,
             manage_secret: tuple[str, str] | None = None, who: Caller | None = None) -> RegistrationReceipt:
    """`manage_secret`: the manage link's token and its hash (new_secret() when not given). A group's
    delegation is registered only by `who` speaks for the group, or organizes the event. An individual
    registering their own address signed in (`who`) holds their places at once; anyone else's holds them
    until `address_check.hold` runs out, unless the link mailed to the address is followed first."""
    db = session.connection()  # Core on the session's own connection and transaction: no ORM bookkeeping
    event = db.execute(_LOCK_EVENT, {"event_id": event_id}).first()
    if event is None or not is_public(event):
        raise NotFound(f"no event {event_id}", "event_id")
    now = utcnow()
    domain.check_registration_open(EventStatus(event.status), now, event.registration_opens_at,
                                   event.registration_closes_at)
    sessions = db.execute(_SESSION_PLACES, {"event_id": event_id}).all()
    unknown = set(request.session_ids) - {s.id for s in sessions}
    if unknown:
        raise Invalid(f"no session {sorted(unknown)[0]} in this event", "session_ids")
    if request.kind is RegistrationKind.DELEGATION:
        _check_delegate(event, cast(str, request.member_group_id), who)
        _check_group(session, event_id, event.group_quota, request)
    occupancy = {domain.EVENT: domain.Occupancy(event.capacity, event.confirmed_places)}
    occupancy.update({s.id: domain.Occupancy(s.capacity, s.confirmed_places) for s in sessions})
    waiting = [] if event.requires_approval or event.waitlisted_places <= 0 else [  # no line to read
        domain.Waiting(r.id, r.places, tuple(r.session_ids)) for r in db.execute(_WAITING_LINE, {"event_id": event_id})]
    status = domain.initial_status(event.requires_approval, request.places, request.session_ids, occupancy,
                                   domain.blocked_resources(waiting, occupancy))
    token, token_hash = manage_secret or new_secret()
    session_ids = sorted(set(request.session_ids))
    registration_id = str(uuid.uuid4())
    verified = request.kind is RegistrationKind.DELEGATION or (
        who is not None and normalised_email(who.email) == normalised_email(str(request.email)))
    nonce = None if verified else secrets.token_urlsafe(16)
    hold_until = None if verified else now + address_check.hold
    values = {
        "id": registration_id, "event_id": event_id, "kind": request.kind.value, "status": status.value,
        "arrival": event.next_arrival, "display_name": request.display_name, "email": request.email.lower(),
        "language": request.language, "member_group_id": request.member_group_id, "places": request.places,
        "session_ids": session_ids,
        "attendees": [a.model_dump(mode="json", exclude_defaults=True) for a in request.attendee_list()],
        "manage_token_hash": token_hash, "created_at": now, "updated_at": now,
        "address_confirmed_at": now if verified else None, "hold_until": hold_until,
        "confirm_token_hash": None if nonce is None else hash_secret(link_secret(
            REGISTRATION_CONFIRM_PURPOSE, registration_id, nonce, address_check.secret_key))}
    db.execute(_INSERT_REGISTRATION, values)
    confirmed = request.places if status is S.CONFIRMED else 0
    waitlisted = request.places if status is S.WAITLISTED else 0
    db.execute(_COUNT_EVENT, {"event_id": event_id, "confirmed": confirmed, "waitlisted": waitlisted})
    if confirmed and session_ids:
        db.execute(_COUNT_SESSIONS, {"session_ids": session_ids, "confirmed": confirmed})
    registrant = Registrant(display_name=request.display_name, email=values["email"], language=request.language)
    outbox.record(session, ANNOUNCED_AS[status](
        registration_id=values["id"], event=_summary(session, event_id, event.updated_at), session_ids=session_ids,
        status=status, previous_status=None, places=request.places, registrant=registrant, occurred_at=now,
        address_confirmed=verified, confirm_nonce=nonce, hold_until=hold_until))
    position = None
    if status is S.WAITLISTED:
        position = db.scalar(_WAITLIST_LENGTH, {"event_id": event_id})
    return RegistrationReceipt(
        id=values["id"], event_id=event_id, kind=request.kind, status=status, display_name=request.display_name,
        email=values["email"], language=request.language, member_group_id=request.member_group_id,
        places=request.places, session_ids=session_ids, attendees=request.attendee_list(),
        waitlist_position=position, address_confirmed=verified, hold_until=hold_until, created_at=now,
        updated_at=now, manage_token=token)


def promote_waiting(session: Session, event: EventRow, now: datetime) -> list[str]:
    """Give freed or added places to the waiting list, in arrival order."""
    waiting = _waiting_line(session, event)
    by_id = {row.id: row for row in waiting}
    chosen = domain.promotions(_as_waiting(waiting), _occupancy(event))
    for registration_id in chosen:
        row = by_id[registration_id]
        previous = _move(event, row, S.CONFIRMED, now)
        _announce(session, RegistrationPromoted, event, row, previous, now)
    return chosen


def load_registration(session: Session, registration_id: str, token: str | None, who: Caller | None,
                      for_update: bool = False) -> RegistrationRow:
    """The registration, for its registrant (the link's token), the event's organizers and, for a
    delegation, its member group's contacts."""
    row = session.get(RegistrationRow, registration_id)
    by_link = row is not None and secret_matches(token, row.manage_token_hash)
    if row is None or (who is None and not by_link):
        # The same answer for "no such registration" and "wrong token": ids cannot be probed.
        raise NotFound(f"no registration {registration_id} for this link", "registration_id")
    if who is not None and not by_link:
        _check_may_manage(session, row, who)
    if for_update:
        load_event(session, row.event_id, for_update=True)  # the event's lock guards its places
        session.refresh(row)
    return row


def blank_registrant(row: RegistrationRow, now: datetime) -> None:
    """The registration no longer says who made it, nor lets them in: the name, the address (an
    undeliverable one of its own) and the manage link go; its places and sessions stay."""
    row.display_name, row.email, row.manage_token_hash = ERASED_NAME, domain.erased_address(row.id), ""
    row.updated_at = now


def _check_delegate(event, group_id: str, who: Caller | None) -> None:
    """Only the group's contacts, or the event's organizers, act for a member group: anyone could read
    its id in the directory."""
    if not may_organize(who, event.region, event.networks):
        contact_of(who, group_id, f"a delegation of the member group {group_id}")


def _check_may_manage(session: Session, row: RegistrationRow, who: Caller) -> None:
    if row.kind == RegistrationKind.INDIVIDUAL.value and normalised_email(who.email) == normalised_email(row.email):
        return  # one's own, signed in with its address
    event = load_event(session, row.event_id)
    if may_organize(who, event.region, event.networks):
        return
    if row.member_group_id:
        contact_of(who, row.member_group_id, f"the delegation {row.id}")
    else:
        organizer_of(who, event.region, event.networks, f"the registration {row.id}")


def get_registration(session: Session, registration_id: str, token: str | None,
                     who: Caller | None) -> RegistrationView:
    row = load_registration(session, registration_id, token, who)
    return registration_view(row, _waitlist_position(session, row))


def own_registrations(session: Session, who: Caller) -> list[RegistrationView]:
    """The registrations someone made for themself, for them signed in with its address: newest first."""
    address = normalised_email(who.email)
    rows = session.execute(select(RegistrationRow).where(
        RegistrationRow.kind == RegistrationKind.INDIVIDUAL.value, RegistrationRow.email == address)
        .order_by(RegistrationRow.created_at.desc())).scalars().all()
    return [registration_view(row, _waitlist_position(session, row)) for row in rows]


def group_delegations(session: Session, group_id: str, who: Caller | None) -> list[RegistrationView]:
    """A member group's delegations to every event, newest first: for its contacts (and the secretariat)."""
    contact_of(who, group_id, f"the delegations of the member group {group_id}")
    rows = session.execute(select(RegistrationRow).where(RegistrationRow.member_group_id == group_id)
                           .order_by(RegistrationRow.created_at.desc())).scalars().all()
    return [registration_view(row, _waitlist_position(session, row)) for row in rows]


def cancel_registration(session: Session, registration_id: str, token: str | None,
                        who: Caller | None) -> RegistrationView:
    row = load_registration(session, registration_id, token, who, for_update=True)
    event = load_event(session, row.event_id, for_update=True)
    if row.member_group_id:  # the link alone does not act for a group
        _check_delegate(event, row.member_group_id, who)
    domain.check_can_cancel(S(row.status))
    now = utcnow()
    previous = _move(event, row, S.CANCELLED, now)
    _announce(session, RegistrationCancelled, event, row, previous, now)
    promote_waiting(session, event, now)
    session.flush()
    return registration_view(row)


def decide_pending(session: Session, registration_id: str, approve: bool, who: Caller | None) -> RegistrationView:
    row = load_registration(session, registration_id, None, who, for_update=True)
    event = load_event(session, row.event_id)
    organizer_of(who, event.region, event.networks, f"approving the registration {registration_id}")
    domain.check_pending(S(row.status))
    event = load_event(session, row.event_id, for_update=True)
    now = utcnow()
    occupancy = _occupancy(event)
    blocked = domain.blocked_resources(_as_waiting(_waiting_line(session, event)), occupancy)
    previous = _move(event, row, domain.answer_to_pending(approve, row.places, row.session_ids, occupancy, blocked),
                     now)
    _announce(session, RegistrationApproved if approve else RegistrationRejected, event, row, previous, now)
    session.flush()
    return registration_view(row, _waitlist_position(session, row))


def update_attendees(session: Session, registration_id: str, token: str | None, who: Caller | None,
                     update: AttendeesUpdate) -> RegistrationView:
    row = load_registration(session, registration_id, token, who, for_update=True)
    event = load_event(session, row.event_id)
    if row.member_group_id:  # the link alone does not act for a group
        _check_delegate(event, row.member_group_id, who)
    organizing = may_organize(who, event.region, event.networks)  # organizers may rename after the deadline
    domain.check_attendees_editable(utcnow(), None if organizing else event.attendee_names_deadline,
                                    S(row.status))
    if len(update.attendees) > row.places:
        raise Invalid(f"{len(update.attendees)} attendees for {row.places} places", "attendees")
    if row.kind == RegistrationKind.INDIVIDUAL.value and len(update.attendees) != 1:
        raise Invalid("an individual registration has exactly one attendee", "attendees")
    row.attendees = [a.model_dump(mode="json") for a in update.attendees]
    row.updated_at = utcnow()
    session.flush()
    return registration_view(row, _waitlist_position(session, row))


def list_registrations(session: Session, event_id: str) -> list[RegistrationView]:
    load_event(session, event_id)
    rows = session.execute(select(RegistrationRow).where(RegistrationRow.event_id == event_id)
                           .order_by(RegistrationRow.arrival)).scalars().all()
    position, views = 0, []
    for row in rows:
        if row.status == S.WAITLISTED.value:
            position += 1
        views.append(registration_view(row, position if row.status == S.WAITLISTED.value else None))
    return views


CSV_COLUMNS = ["registration_id", "status", "kind", "member_group_id", "contact_name", "email", "language",
               "places", "session_ids", "attendee", "interpretation", "sign_language", "step_free_access",
               "childcare", "note", "registered_at"]


def registrations_csv(session: Session, event_id: str) -> str:
    """One row per attendee (or per registration with nobody named yet), safe to open in Excel: UTF-8
    with a BOM, and no cell a spreadsheet would run as a formula."""
    def rows():
        for view in list_registrations(session, event_id):
            for attendee in view.attendees or [Attendee()]:
                needs = attendee.needs
                yield (view.id, view.status.value, view.kind.value, view.member_group_id or "", view.display_name,
                       view.email, view.language, view.places, " ".join(view.session_ids), attendee.name or "",
                       " ".join(f"{p.source}>{p.target}" for p in needs.interpretation), needs.sign_language or "",
                       "yes" if needs.step_free_access else "", needs.childcare or "", needs.note or "",
                       view.created_at.isoformat())
    return excel_csv(CSV_COLUMNS, rows())


def registration_count(session: Session, event_id: str) -> int:
    return session.execute(select(func.count()).select_from(RegistrationRow)
                           .where(RegistrationRow.event_id == event_id)).scalar_one()


def needs_summary(session: Session, event_id: str) -> list[SessionNeeds]:
    """What confirmed attendees need, totalled for the event as a whole and for each session."""
    event = load_event(session, event_id)
    buckets: dict[str | None, list[Attendee]] = defaultdict(list)
    rows = session.execute(select(RegistrationRow).where(
        RegistrationRow.event_id == event_id, RegistrationRow.status == S.CONFIRMED.value)).scalars()
    for row in rows:
        attendees = [Attendee.model_validate(a) for a in row.attendees]
        unnamed = [Attendee()] * (row.places - len(attendees))
        for target in [None, *row.session_ids]:
            buckets[target].extend(attendees + unnamed)
    summaries = []
    for session_id in [None, *(s.id for s in event.sessions)]:
        people = buckets.get(session_id, [])
        summaries.append(SessionNeeds(
            session_id=session_id, attendees=len(people),
            interpretation=dict(Counter(f"{p.source}>{p.target}" for a in people for p in a.needs.interpretation)),
            sign_language=dict(Counter(a.needs.sign_language for a in people if a.needs.sign_language)),
            step_free_access=sum(1 for a in people if a.needs.step_free_access),
            childcare=sum(a.needs.childcare for a in people),
            notes=[a.needs.note for a in people if a.needs.note]))
    return summaries


def record_member_joined(session: Session, joined: MemberJoined) -> None:
    """Read model: a group that joined may register delegations."""
    if joined.member_kind != "group":
        return
    seen = session.get(MemberGroupSeen, joined.member_id)
    if seen is None:
        session.add(MemberGroupSeen(member_id=joined.member_id, current=True, updated_at=joined.occurred_at))
    else:
        seen.current, seen.updated_at = True, joined.occurred_at



def record_member_left(session: Session, left: MemberLeft) -> None:
    """Read model: a group whose membership ended may not register delegations any more."""
    seen = session.get(MemberGroupSeen, left.member_id)
    if seen is not None:
        seen.current, seen.updated_at = False, left.occurred_at


def confirm_address(session: Session, token: str, now: datetime) -> AddressConfirmed:
    """The registrant followed the link mailed to the address: their places are theirs for good. Following
    it again answers the same."""
    row = session.execute(select(RegistrationRow).where(
        RegistrationRow.confirm_token_hash == hash_secret(token))).scalar() if token.isascii() else None
    if row is None:
        raise NotFound("this confirmation link is unknown (or its registration was erased)", "token")
    event = load_event(session, row.event_id, for_update=True)
    session.refresh(row)
    if row.address_confirmed_at is None:
        if S(row.status) is S.EXPIRED:
            raise Conflict("this registration was released: its address was not confirmed in time. Please "
                           "register again", "token")
        row.address_confirmed_at, row.hold_until, row.updated_at = now, None, now
        _announce(session, RegistrationAddressConfirmed, event, row, S(row.status), now)
    return AddressConfirmed(registration_id=row.id, event_id=row.event_id, event_title=event.title,
                            status=S(row.status))


def confirm_own_address(row: RegistrationRow, now: datetime) -> None:
    """The registrant signed in with the registration's address: as good as following the link."""
    if row.address_confirmed_at is None and S(row.status) is not S.EXPIRED:
        row.address_confirmed_at, row.hold_until, row.updated_at = now, None, now


def release_unconfirmed(session: Session, now: datetime) -> int:
    """Places held for addresses nobody confirmed in time go back, and the waiting lines move."""
    due = session.execute(select(RegistrationRow.event_id).where(
        RegistrationRow.hold_until <= now, RegistrationRow.address_confirmed_at.is_(None),
        RegistrationRow.status.in_([s.value for s in domain.ACTIVE_STATUSES])).distinct()).scalars().all()
    released = 0
    for event_id in sorted(due):  # one order of locks, whoever else takes them
        event = load_event(session, event_id, for_update=True)
        rows = session.execute(select(RegistrationRow).where(
            RegistrationRow.event_id == event_id, RegistrationRow.hold_until <= now,
            RegistrationRow.address_confirmed_at.is_(None),
            RegistrationRow.status.in_([s.value for s in domain.ACTIVE_STATUSES]))).scalars().all()
        for row in rows:
            previous = _move(event, row, S.EXPIRED, now)
            row.hold_until = None
            _announce(session, RegistrationExpired, event, row, previous, now)
        promote_waiting(session, event, now)
        released += len(rows)
    return released
