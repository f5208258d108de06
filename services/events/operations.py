"""Use cases of the events service: a session and a command in, a contract out.

Each write commits its change and its outbox rows together; nothing is published from here.
"""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.events import domain
from services.events.models import EventRow, outbox
from shared.contracts.base import utcnow
from shared.contracts.events import EventDraft, EventPublished, EventView
from shared.contracts.vocabulary import EventStatus
from shared.errors import NotFound


def _view(row: EventRow) -> EventView:
    return EventView.model_validate(row, from_attributes=True)


def _load(session: Session, event_id: str, for_update: bool = False) -> EventRow:
    query = select(EventRow).where(EventRow.id == event_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no event {event_id}", "event_id")
    return row


def create_event(session: Session, draft: EventDraft) -> EventView:
    now = utcnow()
    row = EventRow(id=str(uuid.uuid4()), status=EventStatus.DRAFT.value, revision=0,
                   created_at=now, updated_at=now, published_at=None,
                   **draft.model_dump(mode="python"))
    session.add(row)
    session.flush()
    return _view(row)


def publish_event(session: Session, event_id: str) -> EventView:
    row = _load(session, event_id, for_update=True)
    domain.check_can_publish(EventStatus(row.status))
    now = utcnow()
    row.status = EventStatus.PUBLISHED.value
    row.revision = domain.revision_after_publication(row.revision)
    row.published_at = row.updated_at = now
    session.flush()
    view = _view(row)
    outbox.record(session, EventPublished(event=view, occurred_at=now))
    return view


def get_event(session: Session, event_id: str) -> EventView:
    return _view(_load(session, event_id))


def list_events(session: Session, status: str | None = None) -> list[EventView]:
    query = select(EventRow).order_by(EventRow.starts_at)
    if status:
        query = query.where(EventRow.status == status)
    return [_view(row) for row in session.execute(query).scalars()]
