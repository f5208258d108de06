"""/events and /schedule: organizers plan and change events; everyone reads the public ones."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.gateway.deps import Asker, Rpc
from shared.contracts.base import PlausibleDay, PlausibleMoment, PlausibleMomentOrDay, Slug
from shared.contracts.events import CancelReason, EventDraft, EventPatch, EventView, MigrantsDayDraft, local_moment
from shared.contracts.vocabulary import EventKind, EventStatus, Region
from shared.errors import Invalid

router = APIRouter(tags=["events"])


class CancelRequest(BaseModel):
    reason: CancelReason | None = Field(None, description="Shown to attendees and in calendars")


class PostponeRequest(BaseModel):
    starts_at: PlausibleMoment | None = Field(None, description="The new start, if already known")
    ends_at: PlausibleMoment | None = None


class Schedule(BaseModel):
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    region: Region | None
    events: list[EventView]


@router.post("/events", status_code=201, response_model=EventView,
             summary="Create a draft event (organizers); `conflicts` lists clashes with other events")
async def create_event(draft: EventDraft, rpc: Rpc, response: Response):
    created = await rpc.events.create_event(draft.to_wire())
    response.headers["Location"] = f"/events/{created['id']}"
    return created


@router.post("/events/migrants-day", status_code=201, response_model=list[EventView],
             summary="International Migrants Day: one occasion, a local event in each city (organizers)")
async def create_migrants_day(draft: MigrantsDayDraft, rpc: Rpc):
    return await rpc.events.create_migrants_day(draft.to_wire())


@router.patch("/events/{event_id}", response_model=EventView,
              summary="Change an event (organizers); after publication each change raises `revision`")
async def update_event(event_id: str, patch: EventPatch, rpc: Rpc):
    return await rpc.events.update_event(event_id, patch.model_dump(mode="json", exclude_unset=True))


@router.post("/events/{event_id}/publish", response_model=EventView,
             summary="Publish a draft; over an unresolved clash only with force=true (organizers)")
async def publish_event(event_id: str, rpc: Rpc,
                        force: Annotated[bool, Query(description="Publish despite clashes")] = False):
    return await rpc.events.publish_event(event_id, force)


@router.post("/events/{event_id}/cancel", response_model=EventView, summary="Cancel an event (organizers)")
async def cancel_event(event_id: str, rpc: Rpc, body: Annotated[CancelRequest | None, Body()] = None):
    return await rpc.events.cancel_event(event_id, body.reason if body else None)


@router.post("/events/{event_id}/postpone", response_model=EventView,
             summary="Postpone a published event, with new dates if known (organizers)")
async def postpone_event(event_id: str, rpc: Rpc, body: Annotated[PostponeRequest | None, Body()] = None):
    body = body or PostponeRequest()
    return await rpc.events.postpone_event(event_id, body.starts_at.isoformat() if body.starts_at else None,
                                     body.ends_at.isoformat() if body.ends_at else None)


@router.post("/events/{event_id}/complete", response_model=EventView,
             summary="Mark a published event as held (organizers)")
async def complete_event(event_id: str, rpc: Rpc):
    return await rpc.events.complete_event(event_id)


def _day_start(value: date | datetime | None) -> str | None:
    """A moment with its offset: a day starts at midnight in the network's zone, and a time without an
    offset is that zone's."""
    return None if value is None else local_moment(value).isoformat()


@router.get("/events", response_model=list[EventView], summary="Events, filtered; drafts only for organizers")
async def list_events(rpc: Rpc, who: Asker,
                      kind: EventKind | None = None, region: Region | None = None,
                      network: Annotated[Slug | None, Query(max_length=63)] = None,
                      status: EventStatus | None = None,
                      start: Annotated[PlausibleMomentOrDay | None,
                                       Query(alias="from", description="Events ending after")] = None,
                      end: Annotated[PlausibleMomentOrDay | None,
                                     Query(alias="to", description="Events starting before")] = None,
                      q: Annotated[str | None,
                                   Query(max_length=100, description="Words in title, description, place")] = None):
    organizer = who is not None and who.is_organizing
    if status is EventStatus.DRAFT and not organizer:
        return []
    return await rpc.events.list_events({
        "kind": kind, "region": region, "network": network, "status": status, "q": q,
        "starts_from": _day_start(start), "starts_to": _day_start(end), "include_drafts": organizer})


@router.get("/events/{event_id}", response_model=EventView, summary="One event")
async def get_event(event_id: str, rpc: Rpc):
    # A draft is not public, not even its existence: the service answers NotFound to anyone else. The
    # answer is built from the service's contract: not validated a second time.
    return JSONResponse(await rpc.events.get_event(event_id))


@router.get("/schedule", response_model=Schedule, response_model_by_alias=True,
            summary="The calendar: every event between two dates, cancelled ones flagged")
async def schedule(rpc: Rpc, who: Asker,
                   start: Annotated[PlausibleDay | None,
                                    Query(alias="from", description="First day (default: today)")] = None,
                   end: Annotated[PlausibleDay | None,
                                  Query(alias="to", description="Day after the last (default: from + 90 days)")] = None,
                   region: Region | None = None):
    start = start or date.today()
    end = end or start + timedelta(days=90)
    if end <= start:
        raise Invalid("the end of the period comes before its start", "to")
    if (end - start).days > 800:
        raise Invalid("a schedule covers at most about two years; ask for a shorter period", "to")
    drafts = who is not None and who.is_organizing  # the service shows only those of their scope
    events = await rpc.events.schedule(_day_start(start), _day_start(end), region, drafts)
    return Schedule(start=start, end=end, region=region, events=events)
