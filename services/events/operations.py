"""Use cases on events: a session and a command in, a contract out. Each write commits its change and
its outbox rows together; nothing is published from here."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, String, bindparam, cast, select
from sqlalchemy.orm import Session

from services.events import domain
from services.events.models import EventRow, FeedDeparture, RegistrationRow, SessionRow, outbox
from services.events.views import event_view
from shared.authority import may_organize, organizer_of
from shared.contracts.base import parse_contract, utcnow
from shared.contracts.events import (
    EventCancelled,
    EventDraft,
    EventFilter,
    EventPatch,
    EventPostponed,
    EventPublished,
    EventUpdated,
    EventView,
    MigrantsDayDraft,
    SessionDraft,
    named_days,
)
from shared.contracts.identity import Caller
from shared.contracts.vocabulary import EventKind, EventStatus
from shared.errors import Conflict, Invalid, NotFound

# Built once and bound per call: building the statement cost about a tenth of reading an event
_EVENT_BY_ID = select(EventRow).where(EventRow.id == bindparam("event_id"))
_EVENT_BY_ID_FOR_UPDATE = _EVENT_BY_ID.with_for_update()


def load_event(session: Session, event_id: str, for_update: bool = False) -> EventRow:
    """The event, locked for the rest of the transaction when `for_update` (PostgreSQL row lock; SQLite
    serialises every write transaction with BEGIN IMMEDIATE)."""
    query = _EVENT_BY_ID_FOR_UPDATE if for_update else _EVENT_BY_ID
    row = session.execute(query, {"event_id": event_id}).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no event {event_id}", "event_id")
    return row


def is_public(event) -> bool:
    """Anyone may see an event once it has been published. A draft, and a draft cancelled before anyone
    saw it, are not public: not even their existence (they answer like an unknown id)."""
    return event.published_at is not None


PUBLIC = EventRow.published_at.is_not(None)  # is_public as a query condition


def holding_network(column, network: str) -> ColumnElement[bool]:
    """The JSON list in `column` holds `network`, on SQLite and PostgreSQL alike. Exact for a slug, which
    has no character JSON would escape: `"labour"` in the text is that element and no other."""
    return cast(column, String).contains(f'"{network}"', autoescape=True)


def load_public_event(session: Session, event_id: str) -> EventRow:
    row = load_event(session, event_id)
    if not is_public(row):
        raise NotFound(f"no event {event_id}", "event_id")
    return row


def _slot(row: EventRow) -> domain.Slot:
    return domain.Slot(event_id=row.id, title=row.title, kind=EventKind(row.kind), status=EventStatus(row.status),
                       starts_at=row.starts_at, ends_at=row.ends_at, venue_key=row.venue_key,
                       networks=frozenset(row.networks), occasion_id=row.occasion_id)


def clashes_of(session: Session, row: EventRow):
    others = session.execute(select(EventRow).where(
        EventRow.starts_at < row.ends_at, EventRow.ends_at > row.starts_at, EventRow.id != row.id,
        EventRow.status != EventStatus.CANCELLED.value)).scalars()
    return domain.find_clashes(_slot(row), (_slot(other) for other in others))


def _lifecycle(row: EventRow) -> domain.Lifecycle:
    return domain.Lifecycle(EventStatus(row.status), row.revision, row.sequence)


def _move(row: EventRow, lifecycle: domain.Lifecycle) -> None:
    row.status, row.revision, row.sequence = lifecycle.status.value, lifecycle.revision, lifecycle.sequence


def _search_text(row: EventRow) -> str:
    venue = row.venue or {}
    parts = [*row.title.values(), *row.description.values(), row.city or "", row.prefecture or "",
             venue.get("name") or "", venue.get("address") or ""]
    return " ".join(parts).lower()


def _set_fields(row: EventRow, draft: EventDraft) -> None:
    values = draft.model_dump(mode="python", exclude={"sessions", "venue", "starts_at", "ends_at"})
    for name, value in values.items():
        setattr(row, name, value)
    row.starts_at, row.ends_at = draft.span()
    row.venue = draft.venue.model_dump(mode="json") if draft.venue else None
    row.venue_key = domain.venue_key(draft.venue.name, draft.venue.address) if draft.venue else None
    row.search_text = _search_text(row)


def _session_row(draft: SessionDraft, session_id: str | None = None) -> SessionRow:
    row = SessionRow(id=session_id or str(uuid.uuid4()), confirmed_places=0)
    _set_session_fields(row, draft)
    return row


def _set_session_fields(row: SessionRow, draft: SessionDraft) -> None:
    row.kind = draft.kind.value
    row.title = draft.title
    row.starts_at, row.ends_at = draft.starts_at, draft.ends_at
    row.room, row.capacity, row.languages = draft.room, draft.capacity, list(draft.languages)
    row.interpretation = [pair.model_dump() for pair in draft.interpretation]


def create_event(session: Session, draft: EventDraft, occasion_id: str | None = None) -> EventView:
    now = utcnow()
    row = EventRow(id=str(uuid.uuid4()), status=EventStatus.DRAFT.value, revision=0, sequence=0,
                   occasion_id=occasion_id, confirmed_places=0, waitlisted_places=0, next_arrival=1,
                   created_at=now, updated_at=now, published_at=None)
    _set_fields(row, draft)
    row.sessions = [_session_row(s) for s in draft.sessions]
    session.add(row)
    session.flush()
    return event_view(row, clashes_of(session, row))


def _as_draft_values(row: EventRow) -> dict:
    """The event as the fields of a draft, so a patch can be checked by the same rules."""
    starts_at: datetime | date = row.starts_at
    ends_at: datetime | date = row.ends_at
    if row.all_day:
        starts_at, ends_at = named_days(row.starts_at, row.ends_at, row.timezone)
    return {
        "kind": row.kind, "series": row.series, "edition": row.edition, "title": row.title,
        "description": row.description, "region": row.region, "prefecture": row.prefecture, "city": row.city,
        "venue": row.venue, "networks": row.networks, "timezone": row.timezone, "all_day": row.all_day,
        "starts_at": starts_at, "ends_at": ends_at,
        "sessions": [{"id": s.id, "kind": s.kind, "title": s.title, "starts_at": s.starts_at, "ends_at": s.ends_at,
                      "room": s.room, "capacity": s.capacity, "languages": s.languages,
                      "interpretation": s.interpretation} for s in row.sessions],
        "capacity": row.capacity, "requires_approval": row.requires_approval,
        "registration_opens_at": row.registration_opens_at, "registration_closes_at": row.registration_closes_at,
        "attendee_names_deadline": row.attendee_names_deadline, "group_quota": row.group_quota,
        "keep_registrations_days": row.keep_registrations_days,
    }


def _replace_sessions(session: Session, row: EventRow, drafts: list[SessionDraft]) -> None:
    existing = {s.id: s for s in row.sessions}
    unknown = [d.id for d in drafts if d.id and d.id not in existing]
    if unknown:
        raise Invalid(f"no session {unknown[0]} in this event", "sessions")
    kept = {d.id for d in drafts if d.id}
    for removed in set(existing) - kept:
        if _session_chosen(session, row.id, removed):
            raise Conflict(f"session {removed} has registrations; it cannot be removed", "sessions")
    row.sessions = [existing[d.id] if d.id else _session_row(d) for d in drafts]
    for draft in drafts:
        if draft.id:
            _set_session_fields(existing[draft.id], draft)


def _session_chosen(session: Session, event_id: str, session_id: str) -> bool:
    rows: Iterable[list[str]] = session.execute(
        select(RegistrationRow.session_ids).where(RegistrationRow.event_id == event_id)).scalars()
    return any(session_id in chosen for chosen in rows)


def update_event(session: Session, event_id: str, patch: EventPatch) -> EventView:
    from services.events.registrations import promote_waiting  # one module per concern; no cycle at import

    row = load_event(session, event_id, for_update=True)
    lifecycle = _lifecycle(row)
    lifecycle.check_editable()
    before = _as_draft_values(row)
    changes = patch.model_dump(mode="python", exclude_unset=True)
    draft = parse_contract(EventDraft, {**before, **changes})
    old_capacity = row.capacity
    _set_fields(row, draft)
    if "sessions" in changes:
        _replace_sessions(session, row, draft.sessions)
    session.flush()
    after = _as_draft_values(row)
    changed = sorted(name for name in after if after[name] != before[name])
    if not changed:
        return event_view(row, clashes_of(session, row))
    now = utcnow()
    row.updated_at = now
    _move(row, lifecycle.edited(changed))
    if is_public(row) and domain.FEED_PLACEMENT_FIELDS & set(changed):
        session.add(FeedDeparture(event_id=row.id, kind=before["kind"], region=before["region"],
                                  networks=list(before["networks"]), left_at=now))
    if row.capacity is None or (old_capacity is not None and row.capacity > old_capacity) or "sessions" in changed:
        promote_waiting(session, row, now)
    session.flush()
    view = event_view(row, clashes_of(session, row))
    if lifecycle.seen:
        outbox.record(session, EventUpdated(event=view, changed=changed, occurred_at=now))
    return view


def publish_event(session: Session, event_id: str, force: bool = False) -> EventView:
    row = load_event(session, event_id, for_update=True)
    published = _lifecycle(row).become(EventStatus.PUBLISHED)
    clashes = clashes_of(session, row)
    domain.check_no_clash(clashes, force)
    now = utcnow()
    _move(row, published)
    row.published_at = row.published_at or now
    row.updated_at = now
    session.flush()
    view = event_view(row, clashes)
    outbox.record(session, EventPublished(event=view, occurred_at=now))
    return view


def cancel_event(session: Session, event_id: str, reason: str | None) -> EventView:
    row = load_event(session, event_id, for_update=True)
    before = _lifecycle(row)
    now = utcnow()
    _move(row, before.become(EventStatus.CANCELLED))
    row.cancel_reason = reason
    row.updated_at = now
    session.flush()
    view = event_view(row)
    if before.seen:  # a draft nobody saw goes quietly
        outbox.record(session, EventCancelled(event=view, reason=reason, occurred_at=now))
    return view


def postpone_event(session: Session, event_id: str, starts_at: datetime | None,
                   ends_at: datetime | None) -> EventView:
    row = load_event(session, event_id, for_update=True)
    postponed = _lifecycle(row).become(EventStatus.POSTPONED)
    previous = (row.starts_at, row.ends_at)
    if starts_at or ends_at:
        changes = {"starts_at": starts_at or row.starts_at, "ends_at": ends_at or row.ends_at}
        draft = parse_contract(EventDraft, {**_as_draft_values(row), **changes})
        row.starts_at, row.ends_at = draft.span()
    now = utcnow()
    _move(row, postponed)
    row.updated_at = now
    session.flush()
    view = event_view(row)
    outbox.record(session, EventPostponed(event=view, previous_starts_at=previous[0],
                                          previous_ends_at=previous[1], occurred_at=now))
    return view


def complete_event(session: Session, event_id: str) -> EventView:
    row = load_event(session, event_id, for_update=True)
    completed = _lifecycle(row).become(EventStatus.COMPLETED)
    now = utcnow()
    _move(row, completed)
    row.updated_at = now
    session.flush()
    view = event_view(row)
    outbox.record(session, EventUpdated(event=view, changed=["status"], occurred_at=now))
    return view


def get_event(session: Session, event_id: str, viewer: Caller | None = None) -> EventView:
    """The event; one never published only for its organizers (NotFound for anyone else), a draft with the
    clashes its organizers weigh before publishing it."""
    row = load_event(session, event_id)
    organizing = may_organize(viewer, row.region, row.networks)
    if not (is_public(row) or organizing):
        raise NotFound(f"no event {event_id}", "event_id")
    if organizing and row.status == EventStatus.DRAFT.value:
        return event_view(row, clashes_of(session, row))  # what its organizers weigh before publishing
    return event_view(row)


def organizer_of_event(session: Session, event_id: str, who: Caller | None) -> Caller:
    """`who`, if they organize the event's region or one of its networks (401/403 otherwise)."""
    row = load_event(session, event_id)
    return organizer_of(who, row.region, row.networks, f"the event {event_id}")


def _visible_to(rows: Iterable[EventRow], viewer: Caller | None) -> list[EventView]:
    """Published events, and drafts only for those who organize them."""
    return [event_view(row) for row in rows if is_public(row) or may_organize(viewer, row.region, row.networks)]


def _filtered(query: Select, filters: EventFilter) -> Select:
    if not filters.include_drafts:
        query = query.where(PUBLIC)
    if filters.status:
        query = query.where(EventRow.status == filters.status.value)
    if filters.kind:
        query = query.where(EventRow.kind == filters.kind.value)
    if filters.region:
        query = query.where(EventRow.region == filters.region.value)
    if filters.network:
        query = query.where(holding_network(EventRow.networks, filters.network))
    if filters.starts_from:
        query = query.where(EventRow.ends_at > filters.starts_from)
    if filters.starts_to:
        query = query.where(EventRow.starts_at < filters.starts_to)
    if filters.q:
        for word in filters.q.lower().split():
            query = query.where(EventRow.search_text.contains(word, autoescape=True))
    return query


def list_events(session: Session, filters: EventFilter, viewer: Caller | None = None) -> list[EventView]:
    query = _filtered(select(EventRow), filters).order_by(EventRow.starts_at)
    return _visible_to(session.execute(query).scalars(), viewer)


def create_migrants_day(session: Session, draft: MigrantsDayDraft) -> list[EventView]:
    """One occasion, one event per city, all created as drafts in one transaction."""
    occasion_id = str(uuid.uuid4())
    return [create_event(session, event, occasion_id=occasion_id) for event in draft.local_drafts()]


def events_between(session: Session, start: datetime, end: datetime, region: str | None,
                   include_drafts: bool, viewer: Caller | None = None, with_clashes: bool = False) -> list[EventView]:
    """The calendar view: everything that happens in [start, end), cancelled ones flagged, not hidden;
    `with_clashes`: each event not cancelled with what it clashes with in the period, in any region (the
    organizers' schedule, where a clash is seen before anyone publishes over it)."""
    query = select(EventRow).where(EventRow.starts_at < end, EventRow.ends_at > start)
    if region:
        query = query.where(EventRow.region == region)
    if not include_drafts:
        query = query.where(PUBLIC)
    rows = session.execute(query.order_by(EventRow.starts_at)).scalars().all()
    if not with_clashes:
        return _visible_to(rows, viewer)
    under_way = [_slot(row) for row in session.execute(select(EventRow).where(
        EventRow.starts_at < end, EventRow.ends_at > start, EventRow.status != EventStatus.CANCELLED.value)).scalars()]
    cancelled = EventStatus.CANCELLED.value
    return [event_view(row, [] if row.status == cancelled else domain.find_clashes(_slot(row), under_way))
            for row in rows if is_public(row) or may_organize(viewer, row.region, row.networks)]
