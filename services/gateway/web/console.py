"""The organizers' console: the events of one's scope, a new event with its sessions (each
refusal beside its field), an event's own page — its clashes, publishing (over a clash only when the
organizer says so), its registrations with approve and reject, the CSV, and the needs per session."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.gateway.deps import Rpc
from services.gateway.web.forms import FormToken, check_form_token, posted_form, posted_text, refusals
from services.gateway.web.templating import pages_of
from shared.contracts.events import (
    CANCEL_REASON_MAX,
    EventDraft,
    EventView,
    RegistrationStatus,
    RegistrationView,
    SessionKind,
    SessionNeeds,
)
from shared.contracts.vocabulary import EventKind, Region
from shared.errors import Conflict, Invalid

router = APIRouter(include_in_schema=False)
SESSION_ROWS = 4  # sessions a new event's form offers (more are added on the event's page later)
EVENT_FIELDS = ("kind", "title_ja", "title_en", "region", "city", "venue_name", "starts_at", "ends_at", "capacity",
                "networks")


def event_fields(data: FormData, rows: int) -> tuple[dict, list[int]]:
    """The form as an EventDraft would read it: empty fields left out, times in the event's own zone;
    and the form row each of its sessions came from (a row left empty is no session)."""
    title = {language: text for language in ("ja", "en") if (text := posted_text(data, f"title_{language}"))}
    draft: dict = {"kind": posted_text(data, "kind"), "title": title, "region": posted_text(data, "region"),
                   "starts_at": posted_text(data, "starts_at"), "ends_at": posted_text(data, "ends_at"),
                   "requires_approval": posted_text(data, "requires_approval") == "yes",
                   "networks": [n.strip() for n in posted_text(data, "networks").split(",") if n.strip()],
                   "sessions": []}
    if city := posted_text(data, "city"):
        draft["city"] = city
    if venue := posted_text(data, "venue_name"):
        draft["venue"] = {"name": venue}
    if capacity := posted_text(data, "capacity"):
        draft["capacity"] = capacity
    session_rows = []
    for row in range(rows):
        if not (title_ja := posted_text(data, f"session_{row}_title")):
            continue
        session = {"title": {"ja": title_ja}, "kind": posted_text(data, f"session_{row}_kind") or "sub_session",
                   "starts_at": posted_text(data, f"session_{row}_starts_at"),
                   "ends_at": posted_text(data, f"session_{row}_ends_at")}
        if room := posted_text(data, f"session_{row}_room"):
            session["room"] = room
        if session_id := posted_text(data, f"session_{row}_id"):
            session["id"] = session_id
        draft["sessions"].append(session)
        session_rows.append(row)
    return draft, session_rows


def form_field_of(session_rows: list[int]):
    """Where an error of the draft belongs on the form (`title.ja` → title_ja, `sessions.1.starts_at` →
    the starts_at of the row the second session came from)."""
    def form_field(where: str | None) -> str:
        parts = (where or "").split(".")
        if parts[0] == "sessions" and len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(session_rows):
            return f"session_{session_rows[int(parts[1])]}_{parts[2]}"
        if parts[0] == "title":
            return "title_ja"
        if parts[0] == "venue":
            return "venue_name"
        return parts[0] if parts[0] in EVENT_FIELDS else ""
    return form_field


@router.get("/console")
async def console(request: Request, rpc: Rpc):
    found = await rpc.events.list_events({"include_drafts": True})
    events = sorted((EventView.model_validate(each) for each in found), key=lambda event: event.starts_at)
    return pages_of(request).render(request, "console.html", private=True, events=events)


def _new_event_page(request: Request, values: dict, errors: dict[str, str], status: int = 200):
    return pages_of(request).render(request, "console_new_event.html", status=status, private=True,
                                    here="/console/events/new", values=values, errors=errors,
                                    regions=list(Region), kinds=list(EventKind), session_kinds=list(SessionKind),
                                    rows=range(SESSION_ROWS))


@router.get("/console/events/new")
async def new_event_page(request: Request):
    return _new_event_page(request, {}, {})


@router.post("/console/events/new")
async def new_event(request: Request, rpc: Rpc):
    data, values = await posted_form(request)
    fields, session_rows = event_fields(data, SESSION_ROWS)
    try:
        draft = EventDraft.model_validate(fields)
        created = EventView.model_validate(await rpc.events.create_event(draft.to_wire()))
    except (ValidationError, Invalid) as refused:
        return _new_event_page(request, values, refusals(refused, form_field_of(session_rows)), status=422)
    return RedirectResponse(f"/console/events/{created.id}", status_code=303)


async def _event_page(request: Request, rpc: Rpc, event_id: str, refusal: str | None = None, status: int = 200,
                      shown: RegistrationStatus | None = None):
    found, registered, needed = await asyncio.gather(rpc.events.get_event(event_id),  # asked at once
                                                     rpc.events.list_registrations(event_id),
                                                     rpc.events.needs_summary(event_id))
    event = EventView.model_validate(found)
    everyone = [RegistrationView.model_validate(each) for each in registered]
    registrations = [each for each in everyone if shown is None or each.status is shown]
    waiting = sorted((each for each in everyone if each.status is RegistrationStatus.WAITLISTED),
                     key=lambda each: each.waitlist_position or 0)
    needs = [SessionNeeds.model_validate(each) for each in needed]
    session_titles = {session.id: session.title for session in event.sessions}
    return pages_of(request).render(request, "console_event.html", status=status, private=True,
                                    here=f"/console/events/{event_id}", event=event, registrations=registrations,
                                    waiting=waiting, shown=shown, statuses=list(RegistrationStatus), needs=needs,
                                    session_titles=session_titles, refusal=refusal)


async def _then_the_event(request: Request, rpc: Rpc, event_id: str, change: Awaitable):
    """Make the change, then show the event's page again: its refusal on it, or (done) by a redirect."""
    try:
        await change
    except (Conflict, Invalid) as refused:
        return await _event_page(request, rpc, event_id, refusal=refused.detail, status=refused.status)
    return RedirectResponse(f"/console/events/{event_id}", status_code=303)


@router.get("/console/events/{event_id}")
async def event_page(event_id: str, request: Request, rpc: Rpc, status: RegistrationStatus | None = None):
    return await _event_page(request, rpc, event_id, shown=status)


@router.post("/console/events/{event_id}/registrations/{registration_id}/cancel")
async def cancel_registration(event_id: str, registration_id: str, request: Request, rpc: Rpc,
                              form_token: FormToken):
    """An organizer cancels someone's registration (the place goes to the next on the waiting list)."""
    check_form_token(request, form_token)
    return await _then_the_event(request, rpc, event_id, rpc.events.cancel_registration(registration_id, None))


@router.post("/console/events/{event_id}/publish")
async def publish(event_id: str, request: Request, rpc: Rpc, form_token: FormToken,
                  anyway: Annotated[str | None, Form(max_length=3)] = None):
    check_form_token(request, form_token)
    return await _then_the_event(request, rpc, event_id, rpc.events.publish_event(event_id, anyway == "yes"))


@router.post("/console/events/{event_id}/postpone")
async def postpone(event_id: str, request: Request, rpc: Rpc, form_token: FormToken):
    """Postponed without new dates: they are announced when known (the event's patch)."""
    check_form_token(request, form_token)
    return await _then_the_event(request, rpc, event_id, rpc.events.postpone_event(event_id, None, None))


@router.post("/console/events/{event_id}/cancel")
async def cancel(event_id: str, request: Request, rpc: Rpc, form_token: FormToken,
                 reason: Annotated[str, Form(max_length=CANCEL_REASON_MAX)] = ""):
    check_form_token(request, form_token)
    return await _then_the_event(request, rpc, event_id, rpc.events.cancel_event(event_id, reason.strip() or None))


@router.post("/console/events/{event_id}/registrations/{registration_id}/decide")
async def decide(event_id: str, registration_id: str, request: Request, rpc: Rpc, form_token: FormToken,
                 decision: Annotated[str, Form(pattern="^(approve|reject)$")]):
    check_form_token(request, form_token)
    return await _then_the_event(request, rpc, event_id,
                                 rpc.events.decide_registration(registration_id, decision == "approve"))
