"""What the events service keeps, and for how long: an event's registrations say who made them until
`keep_registrations_days` after the event ends (90 by default); then names, addresses, attendee names
and free-text notes are blanked — the counts and the needs totals stay true — and the private calendar
feeds of addresses left with no registration that still names them are deleted."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.events import domain
from services.events.models import CalendarFeedRow, EventRow, RegistrationRow
from services.events.registrations import blank_registrant
from shared.db import rows_changed


def anonymise_ended(session: Session, now: datetime) -> dict:
    """Blanks the registrations of every event whose keeping time is over; returns what it did."""
    ended = session.execute(select(EventRow.id, EventRow.ends_at, EventRow.keep_registrations_days)
                            .where(EventRow.ends_at < now)).all()
    due = [event.id for event in ended if event.ends_at + timedelta(days=event.keep_registrations_days) <= now]
    rows = session.execute(select(RegistrationRow).where(
        RegistrationRow.event_id.in_(due), RegistrationRow.anonymised_at.is_(None))).scalars().all() if due else []
    addresses = {row.email for row in rows}
    for row in rows:
        blank_registrant(row, now)
        row.attendees = [domain.nameless(attendee) for attendee in row.attendees]
        row.anonymised_at = now
    session.flush()
    still_named = set(session.execute(select(RegistrationRow.email).where(
        RegistrationRow.email.in_(addresses))).scalars()) if addresses else set()
    gone = addresses - still_named
    feeds = rows_changed(session, delete(CalendarFeedRow).where(CalendarFeedRow.email.in_(gone))) if gone else 0
    return {"events_past_keeping": len({row.event_id for row in rows}), "registrations_anonymised": len(rows),
            "private_feeds_deleted": feeds}

