"""The organizers' schedule: one month of every region's events (drafts of their own scope too), day by
day, each with what it clashes with — seen while planning, before anyone publishes over a clash."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request

from services.gateway.deps import Rpc
from services.gateway.web.month import month, month_of, span
from services.gateway.web.templating import pages_of
from shared.contracts.events import DEFAULT_TIMEZONE, EventView
from shared.contracts.vocabulary import Region

router = APIRouter(include_in_schema=False)
YEARS_AROUND = 30  # organizers look back at past Forums (the public calendar looks five years either way)


@router.get("/console/schedule")
async def schedule(request: Request, rpc: Rpc, region: Region | None = None,
                   shown_month: Annotated[str | None, Query(alias="month", max_length=7)] = None):
    first = month_of(shown_month, datetime.now(UTC).astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date(), YEARS_AROUND)
    start, end = span(first)
    events = [EventView.model_validate(each) for each in await rpc.events.schedule(
        start.isoformat(), end.isoformat(), region.value if region else None, True, True)]
    clashing = sum(1 for event in events if event.conflicts)
    return pages_of(request).render(request, "console_schedule.html", private=True, calendar=month(first, events),
                                    regions=list(Region), region=region, clashing=clashing)
