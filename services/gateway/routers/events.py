"""/events and /schedule: organizers plan and change events; everyone reads the public ones."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.gateway.auth import MaybeOrganizer, Organizer
from services.gateway.rpc import Services, services
from shared.contracts.events import EventDraft, EventPatch, EventView, MigrantsDayDraft
from shared.contracts.vocabulary import EventKind, EventStatus, Region
from shared.errors import Invalid, NotFound

router = APIRouter(tags=["events"])
Rpc = Annotated[Services, Depends(services)]


class CancelRequest(BaseModel):
    reason: str | None = Field(None, max_length=500, description="Shown to attendees and in calendars")


class PostponeRequest(BaseModel):
    starts_at: datetime | None = Field(None, description="The new start, if already known")
    ends_at: datetime | None = None


class Schedule(BaseModel):
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    region: Region | None
    events: list[EventView]


@router.post("/events", status_code=201, response_model=EventView,
             summary="Create a draft event (organizers); `conflicts` lists clashes with other events")
def create_event(draft: EventDraft, rpc: Rpc, _: Organizer, response: Response):
    created = rpc.events.create_event(draft.to_wire())
    response.headers["Location"] = f"/events/{created['id']}"
    return created


@router.post("/events/migrants-day", status_code=201, response_model=list[EventView],
             summary="International Migrants Day: one occasion, a local event in each city (organizers)")
def create_migrants_day(draft: MigrantsDayDraft, rpc: Rpc, _: Organizer):
    return rpc.events.create_migrants_day(draft.to_wire())


@router.patch("/events/{event_id}", response_model=EventView,
              summary="Change an event (organizers); after publication each change raises `revision`")
def update_event(event_id: str, patch: EventPatch, rpc: Rpc, _: Organizer):
    return rpc.events.update_event(event_id, patch.model_dump(mode="json", exclude_unset=True))


@router.post("/events/{event_id}/publish", response_model=EventView,
             summary="Publish a draft; over an unresolved clash only with force=true (organizers)")
def publish_event(event_id: str, rpc: Rpc, _: Organizer,
                  force: Annotated[bool, Query(description="Publish despite clashes")] = False):
    return rpc.events.publish_event(event_id, force)


@router.post("/events/{event_id}/cancel", response_model=EventView, summary="Cancel an event (organizers)")
def cancel_event(event_id: str, rpc: Rpc, _: Organizer, body: Annotated[CancelRequest | None, Body()] = None):
    return rpc.events.cancel_event(event_id, body.reason if body else None)


@router.post("/events/{event_id}/postpone", response_model=EventView,
             summary="Postpone a published event, with new dates if known (organizers)")
def postpone_event(event_id: str, rpc: Rpc, _: Organizer, body: Annotated[PostponeRequest | None, Body()] = None):
    body = body or PostponeRequest()
    return rpc.events.postpone_event(event_id, body.starts_at.isoformat() if body.starts_at else None,
                                     body.ends_at.isoformat() if body.ends_at else None)


@router.post("/events/{event_id}/complete", response_model=EventView,
             summary="Mark a published event as held (organizers)")
def complete_event(event_id: str, rpc: Rpc, _: Organizer):
    return rpc.events.complete_event(event_id)


def _day_start(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return datetime.combine(value, datetime.min.time()).isoformat() + "+09:00"  # a day in Japan


@router.get("/events", response_model=list[EventView], summary="Events, filtered; drafts only for organizers")
def list_events(rpc: Rpc, organizer: MaybeOrganizer,
                kind: EventKind | None = None, region: Region | None = None,
                network: Annotated[str | None, Query(max_length=64)] = None,
                status: EventStatus | None = None,
                start: Annotated[date | datetime | None, Query(alias="from", description="Events ending after")] = None,
                end: Annotated[date | datetime | None, Query(alias="to", description="Events starting before")] = None,
                q: Annotated[str | None, Query(max_length=100, description="Words in title, description, place")] = None):
    if status is EventStatus.DRAFT and not organizer:
        return []
    return rpc.events.list_events({
        "kind": kind, "region": region, "network": network, "status": status, "q": q,
        "starts_from": _day_start(start), "starts_to": _day_start(end), "include_drafts": organizer})


@router.get("/events/{event_id}", response_model=EventView, summary="One event")
def get_event(event_id: str, rpc: Rpc, organizer: MaybeOrganizer):
    event = rpc.events.get_event(event_id)
    if event["status"] == EventStatus.DRAFT and not organizer:
        raise NotFound(f"no event {event_id}", "event_id")  # drafts are not public, not even their existence
    return JSONResponse(event)  # built from the service's contract: not validated a second time


@router.get("/schedule", response_model=Schedule, response_model_by_alias=True,
            summary="The calendar: every event between two dates, cancelled ones flagged")
def schedule(rpc: Rpc, organizer: MaybeOrganizer,
             start: Annotated[date | None, Query(alias="from", description="First day (default: today)")] = None,
             end: Annotated[date | None, Query(alias="to", description="Day after the last (default: from + 90 days)")] = None,
             region: Region | None = None):
    start = start or date.today()
    end = end or start + timedelta(days=90)
    if end <= start:
        raise Invalid("the end of the period comes before its start", "to")
    if (end - start).days > 800:
        raise Invalid("a schedule covers at most about two years; ask for a shorter period", "to")
    events = rpc.events.schedule(_day_start(start), _day_start(end), region, organizer)
    return Schedule(start=start, end=end, region=region, events=events)
