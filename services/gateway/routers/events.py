"""/events: organizers create and publish events; everyone reads published ones."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from services.gateway.auth import MaybeOrganizer, Organizer
from services.gateway.rpc import Services, services
from shared.contracts.events import EventDraft, EventView
from shared.contracts.vocabulary import EventStatus
from shared.errors import NotFound

router = APIRouter(prefix="/events", tags=["events"])
Rpc = Annotated[Services, Depends(services)]


@router.post("", status_code=201, response_model=EventView, summary="Create a draft event (organizers)")
def create_event(draft: EventDraft, rpc: Rpc, _: Organizer, response: Response):
    created = rpc.events.create_event(draft.to_wire())
    response.headers["Location"] = f"/events/{created['id']}"
    return created


@router.post("/{event_id}/publish", response_model=EventView,
             summary="Publish a draft: it becomes public and is announced (organizers)")
def publish_event(event_id: str, rpc: Rpc, _: Organizer):
    return rpc.events.publish_event(event_id)


@router.get("", response_model=list[EventView], summary="Events; drafts only for organizers")
def list_events(rpc: Rpc, organizer: MaybeOrganizer,
                status: Annotated[EventStatus | None, Query(description="Only events in this state")] = None):
    if not organizer and status not in (None, EventStatus.PUBLISHED):
        return []
    events = rpc.events.list_events(status.value if status else None)
    return events if organizer else [e for e in events if e["status"] != EventStatus.DRAFT]


@router.get("/{event_id}", response_model=EventView, summary="One event")
def get_event(event_id: str, rpc: Rpc, organizer: MaybeOrganizer):
    event = rpc.events.get_event(event_id)
    if event["status"] == EventStatus.DRAFT and not organizer:
        raise NotFound(f"no event {event_id}", "event_id")  # drafts are not public, not even their existence
    return event
