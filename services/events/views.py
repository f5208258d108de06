"""Rows to contracts: what leaves the events service (never a row itself)."""
from __future__ import annotations

from services.events import domain
from services.events.models import EventRow, RegistrationRow, SessionRow
from shared.contracts.events import Clash, EventView, RegistrationView, SessionView


def session_view(row: SessionRow) -> SessionView:
    return SessionView(id=row.id, kind=row.kind, title=row.title, starts_at=row.starts_at, ends_at=row.ends_at,
                       room=row.room, capacity=row.capacity, languages=row.languages,
                       interpretation=row.interpretation, confirmed_places=row.confirmed_places)


def event_view(row: EventRow, conflicts: list[Clash] | None = None) -> EventView:
    left = domain.Occupancy(row.capacity, row.confirmed_places).left()
    return EventView(
        id=row.id, status=row.status, revision=row.revision, sequence=row.sequence, kind=row.kind,
        series=row.series, edition=row.edition, occasion_id=row.occasion_id, title=row.title,
        description=row.description, region=row.region, prefecture=row.prefecture, city=row.city,
        venue=row.venue, networks=row.networks, timezone=row.timezone, all_day=row.all_day,
        starts_at=row.starts_at, ends_at=row.ends_at, sessions=[session_view(s) for s in row.sessions],
        capacity=row.capacity, requires_approval=row.requires_approval,
        registration_opens_at=row.registration_opens_at, registration_closes_at=row.registration_closes_at,
        attendee_names_deadline=row.attendee_names_deadline, group_quota=row.group_quota,
        keep_registrations_days=row.keep_registrations_days,
        confirmed_places=row.confirmed_places, waitlisted_places=row.waitlisted_places, places_left=left,
        cancel_reason=row.cancel_reason, conflicts=conflicts or [], created_at=row.created_at,
        updated_at=row.updated_at, published_at=row.published_at)


def registration_view(row: RegistrationRow, waitlist_position: int | None = None) -> RegistrationView:
    return RegistrationView(
        id=row.id, event_id=row.event_id, kind=row.kind, status=row.status, display_name=row.display_name,
        email=row.email, language=row.language, member_group_id=row.member_group_id, places=row.places,
        session_ids=row.session_ids, attendees=row.attendees, waitlist_position=waitlist_position,
        address_confirmed=row.address_confirmed_at is not None, hold_until=row.hold_until,
        created_at=row.created_at, updated_at=row.updated_at)
