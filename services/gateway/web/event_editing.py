"""The organizers' console: changing an event after it was made — its fields and its sessions (one to add
in each of the empty rows), each refusal beside its field; a postponed event gets its new dates here and
is then published again from its page. What the form does not show (descriptions, other languages'
titles, a venue's address and map point, a session's languages and interpretation) stays as it was."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from services.gateway.deps import Rpc
from services.gateway.web.console import event_fields, form_field_of
from services.gateway.web.forms import posted_form, refusals
from services.gateway.web.templating import pages_of
from shared.contracts.events import EventPatch, EventView, SessionKind, named_days
from shared.contracts.vocabulary import EventKind, Region
from shared.errors import Conflict, Invalid

router = APIRouter(include_in_schema=False)
EMPTY_ROWS = 2  # sessions the form offers to add


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def _span(event: EventView) -> tuple[str, str]:
    """The event's start and end as its form's fields show them (a whole-day event: its first and last day)."""
    if event.all_day:
        first, last = named_days(event.starts_at, event.ends_at, event.timezone)
        return first.isoformat(), last.isoformat()
    return _local(event.starts_at, event.timezone), _local(event.ends_at, event.timezone)


def _values(event: EventView) -> dict[str, str]:
    """The form filled in with the event as it is."""
    starts_at, ends_at = _span(event)
    values = {"kind": event.kind.value, "title_ja": event.title.get("ja", ""), "title_en": event.title.get("en", ""),
              "region": event.region.value, "city": event.city or "",
              "venue_name": (event.venue.name if event.venue else None) or "",
              "starts_at": starts_at, "ends_at": ends_at,
              "capacity": "" if event.capacity is None else str(event.capacity),
              "networks": ", ".join(event.networks), "requires_approval": "yes" if event.requires_approval else ""}
    for row, session in enumerate(event.sessions):
        values |= {f"session_{row}_id": session.id, f"session_{row}_title": session.title.get("ja", ""),
                   f"session_{row}_kind": session.kind.value, f"session_{row}_room": session.room or "",
                   f"session_{row}_starts_at": _local(session.starts_at, event.timezone),
                   f"session_{row}_ends_at": _local(session.ends_at, event.timezone)}
    return values


def _patch(fields: dict, event: EventView) -> dict:
    """The form's fields as a change of the whole event, keeping what the form does not show."""
    title = {language: text for language, text in event.title.items() if language not in ("ja", "en")}
    venue = event.venue.model_dump(exclude_none=True) if event.venue else {}
    venue.pop("name", None)
    if "venue" in fields:
        venue["name"] = fields["venue"]["name"]
    shown = {session.id: session for session in event.sessions}
    sessions = []
    for session in fields["sessions"]:
        before = shown.get(session.get("id", ""))
        if before is not None:  # its languages, interpretation, places and other titles stay
            kept = before.model_dump(mode="json", include={"capacity", "languages", "interpretation"})
            session = {**kept, **session, "title": {**before.title, **session["title"]}}
        sessions.append(session)
    return {**fields, "title": {**title, **fields["title"]}, "venue": venue or None, "city": fields.get("city"),
            "capacity": fields.get("capacity"), "timezone": event.timezone, "all_day": event.all_day,
            "sessions": sessions}


def _page(request: Request, event: EventView, values: dict, errors: dict, status: int = 200):
    return pages_of(request).render(request, "console_edit_event.html", status=status, private=True,
                                    here=f"/console/events/{event.id}/edit", event=event, values=values,
                                    errors=errors, regions=list(Region), kinds=list(EventKind),
                                    session_kinds=list(SessionKind),
                                    rows=range(len(event.sessions) + EMPTY_ROWS))


@router.get("/console/events/{event_id}/edit")
async def edit_page(event_id: str, request: Request, rpc: Rpc):
    event = EventView.model_validate(await rpc.events.get_event(event_id))
    return _page(request, event, _values(event), {})


@router.post("/console/events/{event_id}/edit")
async def edit(event_id: str, request: Request, rpc: Rpc):
    event = EventView.model_validate(await rpc.events.get_event(event_id))
    data, values = await posted_form(request)
    rows = len(event.sessions) + EMPTY_ROWS
    fields, session_rows = event_fields(data, rows)
    try:
        patch = EventPatch.model_validate(_patch(fields, event))
        await rpc.events.update_event(event_id, patch.model_dump(mode="json", exclude_unset=True))
    except (ValidationError, Invalid) as refused:
        return _page(request, event, values, refusals(refused, form_field_of(session_rows)), status=422)
    except Conflict as refused:  # a session someone chose cannot go, an event that can no longer change…
        return _page(request, event, values, {"": refused.detail}, status=409)
    return RedirectResponse(f"/console/events/{event_id}", status_code=303)
