"""What the pages read of events, said once: the upcoming ones, one event or nothing, the titles of
several, and whether an event's page offers its registration form."""
from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta

from services.gateway.deps import Rpc
from shared.contracts.events import EventView
from shared.contracts.vocabulary import EventStatus
from shared.errors import NotFound

AHEAD = timedelta(days=400)  # how far ahead: the next National Forum is at most two years away, announced a year before


async def upcoming(rpc: Rpc, now: datetime) -> list[EventView]:
    """The events of the coming months, published or cancelled (never a draft), soonest first."""
    found = await rpc.events.schedule(now.isoformat(), (now + AHEAD).isoformat(), None, False)
    return sorted((EventView.model_validate(event) for event in found), key=lambda event: event.starts_at)


async def event_or_none(rpc: Rpc, event_id: str) -> EventView | None:
    try:
        return EventView.model_validate(await rpc.events.get_event(event_id))
    except NotFound:
        return None


async def titles_of(rpc: Rpc, event_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """Each event's title (asked at once, not one after the other); an event no longer shown has none."""
    wanted = sorted(set(event_ids))
    found = await asyncio.gather(*(event_or_none(rpc, event_id) for event_id in wanted))
    return {event_id: event.title if event else {} for event_id, event in zip(wanted, found, strict=True)}


def registration_state(event: EventView, now: datetime) -> str:
    """Whether a page offers the form (the service decides, and refuses a late registration anyway)."""
    if event.status is not EventStatus.PUBLISHED or event.ends_at <= now or (
            event.registration_closes_at is not None and event.registration_closes_at <= now):
        return "closed"
    if event.registration_opens_at is not None and now < event.registration_opens_at:
        return "not_yet"
    return "open"
