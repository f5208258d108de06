"""The events service's rules, free of frameworks: an event's lifecycle, clashes between events, and
who gets a place."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.contracts.events import Attendee, Clash, ClashKind, RegistrationStatus
from shared.contracts.vocabulary import EventKind, EventStatus
from shared.errors import Conflict, Invalid
from shared.i18n import choose_text

# Network-wide gatherings: two of them at once split the network, wherever they are.
NATIONAL_KINDS = frozenset({EventKind.NATIONAL_FORUM, EventKind.WORKSHOP, EventKind.NEGOTIATION})

TRANSITIONS: dict[EventStatus, frozenset[EventStatus]] = {
    EventStatus.DRAFT: frozenset({EventStatus.PUBLISHED, EventStatus.CANCELLED}),
    EventStatus.PUBLISHED: frozenset({EventStatus.POSTPONED, EventStatus.CANCELLED, EventStatus.COMPLETED}),
    EventStatus.POSTPONED: frozenset({EventStatus.PUBLISHED, EventStatus.CANCELLED}),
    EventStatus.CANCELLED: frozenset(),
    EventStatus.COMPLETED: frozenset(),
}

# Changes an attendee must know about: they raise the calendar SEQUENCE (RFC 5545).
SEQUENCE_FIELDS = frozenset({"starts_at", "ends_at", "all_day", "timezone", "venue", "city", "prefecture",
                             "region", "sessions", "status"})

# What decides which public feeds hold an event (besides being public): a change moves it between feeds.
FEED_PLACEMENT_FIELDS = frozenset({"kind", "region", "networks"})


@dataclass(frozen=True)
class Lifecycle:
    """Where an event is in its life. `revision` counts changes since publication (publication is 1;
    a draft stays at 0); `sequence` counts those an attendee's calendar must show (RFC 5545 SEQUENCE)."""

    status: EventStatus
    revision: int
    sequence: int

    @property
    def seen(self) -> bool:
        """Published at some point: people may have it in their calendars."""
        return self.status is not EventStatus.DRAFT

    def become(self, target: EventStatus) -> Lifecycle:
        """The event after a change of status, or Conflict naming what it can become. Completion is no
        news to an attendee's calendar; every other change of a seen event is."""
        if target not in TRANSITIONS[self.status]:
            if target is EventStatus.PUBLISHED:
                raise Conflict(f"only a draft can be published; this event is {self.status.value}", "status")
            allowed = ", ".join(sorted(s.value for s in TRANSITIONS[self.status])) or "nothing"
            raise Conflict(f"a {self.status.value} event cannot become {target.value} (it can become: {allowed})",
                           "status")
        if not self.seen and target is not EventStatus.PUBLISHED:
            return Lifecycle(target, self.revision, self.sequence)  # a draft nobody saw changes quietly
        news = self.seen and target is not EventStatus.COMPLETED
        return Lifecycle(target, self.revision + 1, self.sequence + news)

    def check_editable(self) -> None:
        if not TRANSITIONS[self.status]:
            raise Conflict(f"a {self.status.value} event cannot be changed", "status")

    def edited(self, changed: Iterable[str]) -> Lifecycle:
        """The event after its fields changed, or Conflict if it can no longer be changed."""
        self.check_editable()
        if not self.seen:
            return self
        return Lifecycle(self.status, self.revision + 1, self.sequence + bool(SEQUENCE_FIELDS & set(changed)))


# --- clashes --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Slot:
    """What clash detection needs to know of an event."""

    event_id: str
    title: dict[str, str]
    kind: EventKind
    status: EventStatus
    starts_at: datetime
    ends_at: datetime
    venue_key: str | None
    networks: frozenset[str]
    occasion_id: str | None = None


def venue_key(name: str | None, address: str | None) -> str | None:
    """Two venues are the same place when their names (or addresses) match, case and spaces aside."""
    text = " ".join(part for part in (name, address) if part)
    return " ".join(text.lower().split()) or None


def overlaps(a: Slot, b: Slot) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def find_clashes(candidate: Slot, others: Iterable[Slot]) -> list[Clash]:
    found: list[Clash] = []
    for other in others:
        if other.event_id == candidate.event_id or other.status is EventStatus.CANCELLED:
            continue
        if candidate.occasion_id and other.occasion_id == candidate.occasion_id:
            continue  # Migrants Day's local events happen at the same time on purpose
        if not overlaps(candidate, other):
            continue
        title = choose_text(other.title, "en")
        if candidate.kind in NATIONAL_KINDS and other.kind in NATIONAL_KINDS:
            found.append(Clash(kind=ClashKind.NATIONAL_OVERLAP, event_id=other.event_id, title=other.title,
                               detail=f"two network-wide events at once: {title}"))
        if candidate.venue_key and candidate.venue_key == other.venue_key:
            found.append(Clash(kind=ClashKind.VENUE_DOUBLE_BOOKED, event_id=other.event_id, title=other.title,
                               detail=f"the venue is booked for {title}"))
        shared_networks = sorted(candidate.networks & other.networks)
        if shared_networks:
            found.append(Clash(kind=ClashKind.NETWORK_OVERLAP, event_id=other.event_id, title=other.title,
                               detail=f"{', '.join(shared_networks)} also meets at {title}"))
    return found


def check_no_clash(clashes: Sequence[Clash], force: bool) -> None:
    if clashes and not force:
        summary = "; ".join(clash.detail for clash in clashes)
        raise Conflict(f"the event clashes with others ({summary}); publish with force=true to go ahead",
                       "force")


# --- places --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Occupancy:
    """Places of an event or a session: how many there are (None: no limit) and how many are taken."""

    capacity: int | None
    confirmed: int

    def fits(self, places: int) -> bool:
        return self.capacity is None or self.confirmed + places <= self.capacity

    def left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.confirmed, 0)


EVENT = "event"  # the event's own places, beside each session's


def resources(session_ids: Iterable[str]) -> list[str]:
    """What a registration takes places in: the event, and each session it chose."""
    return [EVENT, *session_ids]


@dataclass(frozen=True)
class Waiting:
    registration_id: str
    places: int
    session_ids: tuple[str, ...]


def blocked_resources(waiting: Sequence[Waiting], occupancy: dict[str, Occupancy]) -> set[str]:
    """The places someone is already waiting for. A newcomer who wants any of them waits behind them;
    a newcomer who wants other places (a session with room) is not held up by a line for a full one."""
    blocked: set[str] = set()
    for entry in waiting:
        wanted = [r for r in resources(entry.session_ids) if r in occupancy]
        if blocked.intersection(wanted):
            continue  # behind someone already
        blocked.update(r for r in wanted if not occupancy[r].fits(entry.places))
    return blocked


def initial_status(requires_approval: bool, places: int, session_ids: Sequence[str],
                   occupancy: dict[str, Occupancy], blocked: set[str]) -> RegistrationStatus:
    """Approval first if the event wants it; otherwise a place if every limit has room and nobody who
    arrived earlier waits for the same places; otherwise the waiting list."""
    if requires_approval:
        return RegistrationStatus.PENDING
    wanted = [r for r in resources(session_ids) if r in occupancy]
    if not blocked.intersection(wanted) and all(occupancy[r].fits(places) for r in wanted):
        return RegistrationStatus.CONFIRMED
    return RegistrationStatus.WAITLISTED


def answer_to_pending(approve: bool, places: int, session_ids: Sequence[str], occupancy: dict[str, Occupancy],
                      blocked: set[str]) -> RegistrationStatus:
    """An organizer's answer to a registration awaiting approval: rejected; or, approved, whatever a
    registration that needs no approval would get now — a place or the waiting list."""
    if not approve:
        return RegistrationStatus.REJECTED
    return initial_status(False, places, session_ids, occupancy, blocked)


def promotions(waiting: Sequence[Waiting], occupancy: dict[str, Occupancy]) -> list[str]:
    """Who moves from the waiting list to a place, in arrival order. The first who does not fit holds
    the line for the places they wait for, so a large delegation is not overtaken for ever by later
    single registrations; others, waiting for other places, may still move."""
    taken = {name: occ.confirmed for name, occ in occupancy.items()}
    blocked: set[str] = set()
    promoted: list[str] = []
    for entry in waiting:
        wanted = [r for r in resources(entry.session_ids) if r in occupancy]
        if blocked.intersection(wanted):
            continue
        short = {r for r in wanted if not Occupancy(occupancy[r].capacity, taken[r]).fits(entry.places)}
        if short:
            blocked |= short
            continue
        promoted.append(entry.registration_id)
        for name in wanted:
            taken[name] += entry.places
    return promoted


def check_registration_open(status: EventStatus, now: datetime, opens_at: datetime | None,
                            closes_at: datetime | None) -> None:
    if status is not EventStatus.PUBLISHED:
        raise Conflict(f"registration is not open: the event is {status.value}", "event_id")
    if opens_at and now < opens_at:
        raise Conflict(f"registration opens at {opens_at.isoformat()}", "registration_opens_at")
    if closes_at and now >= closes_at:
        raise Conflict(f"registration closed at {closes_at.isoformat()}", "registration_closes_at")


def check_group_quota(quota: int | None, already_held: int, places: int) -> None:
    if quota is not None and already_held + places > quota:
        raise Invalid(f"a member group may hold at most {quota} places for this event "
                      f"(this group holds {already_held} already)", "places")


def check_attendees_editable(now: datetime, deadline: datetime | None, status: RegistrationStatus) -> None:
    if status in (RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED):
        raise Conflict(f"the registration is {status.value}", "status")
    if deadline and now >= deadline:
        raise Conflict(f"attendee names could be changed until {deadline.isoformat()}", "attendees")


ACTIVE_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED, RegistrationStatus.PENDING)


def check_can_cancel(status: RegistrationStatus) -> None:
    if status not in ACTIVE_STATUSES:
        raise Conflict(f"the registration is {status.value} already", "status")


def check_pending(status: RegistrationStatus) -> None:
    if status is not RegistrationStatus.PENDING:
        raise Conflict(f"only a pending registration is approved or rejected; this one is {status.value}",
                       "status")


# --- erasure ---------------------------------------------------------------------------------------
# An erased person's request awaiting a decision, or their place in a waiting line, is withdrawn: nobody
# could tell them the outcome, and the line moves on. A confirmed place stays counted.
WITHDRAWN_ON_ERASURE = frozenset({RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED})


def nameless(attendee: dict) -> dict:
    """An attendee without their name or free-text note (which may say who they are); what they need
    stays, so interpreters and childcare are still counted."""
    needs = Attendee.model_validate(attendee).needs.model_copy(update={"note": None})
    return Attendee(name=None, needs=needs).model_dump(mode="json", exclude_defaults=True)


def erased_address(registration_id: str) -> str:
    """What stands where an erased registrant's address was: unique per row, undeliverable (RFC 2606)."""
    return f"erased-{registration_id}@invalid"


def is_erased_address(email: str) -> bool:
    return email.startswith("erased-") and email.endswith("@invalid")
