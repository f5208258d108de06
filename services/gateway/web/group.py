"""A member group's page, for its contacts: its delegations to events with where each stands, naming a
delegation's attendees, registering a delegation of N places to an upcoming event, and a calendar
address of the group's delegations to share among its people."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from services.gateway.deps import Asker, Rpc
from services.gateway.routers.feeds import group_feed_address
from services.gateway.web.events import registration_state, titles_of, upcoming
from services.gateway.web.forms import FormToken, check_form_token
from services.gateway.web.languages import LANGUAGE_NAMES, page_language
from services.gateway.web.templating import pages_of
from shared.contracts.events import MAX_ATTENDEES, RegistrationView
from shared.contracts.members import MemberView, Visibility
from shared.errors import Conflict, Invalid
from shared.i18n import choose_text

router = APIRouter(include_in_schema=False)


async def _page(request: Request, rpc: Rpc, group_id: str, refusal: str | None = None, status: int = 200,
                feed: str | None = None):
    group = MemberView.model_validate(await rpc.members.get_member(group_id))
    delegations = [RegistrationView.model_validate(found) for found in await rpc.events.group_delegations(group_id)]
    now = datetime.now(UTC)
    coming = await upcoming(rpc, now)
    open_events = [event for event in coming if registration_state(event, now) != "closed"]
    titles = {event.id: event.title for event in coming}
    titles |= await titles_of(rpc, {delegation.event_id for delegation in delegations} - set(titles))
    return pages_of(request).render(request, "group.html", status=status, private=True, group=group,
                                    delegations=delegations, titles=titles, open_events=open_events,
                                    refusal=refusal, most_places=MAX_ATTENDEES, visibilities=list(Visibility),
                                    feed=feed, here=f"/group/{group_id}")


@router.get("/group/{group_id}")
async def group_page(group_id: str, request: Request, rpc: Rpc):
    return await _page(request, rpc, group_id)


@router.post("/group/{group_id}/delegations")
async def register_delegation(group_id: str, request: Request, rpc: Rpc, who: Asker, form_token: FormToken,
                              event_id: Annotated[str, Form(max_length=36)],
                              places: Annotated[int, Form(ge=1, le=MAX_ATTENDEES)]):
    check_form_token(request, form_token)
    assert who is not None, "the access table lets only a signed-in person here"
    group = MemberView.model_validate(await rpc.members.get_member(group_id))
    try:
        await rpc.events.register(event_id, {
            "kind": "delegation", "member_group_id": group_id, "places": places, "email": who.email,
            "display_name": choose_text(group.name, page_language(request)), "language": page_language(request)})
    except (Invalid, Conflict) as refused:
        return await _page(request, rpc, group_id, refusal=refused.detail, status=refused.status)
    return RedirectResponse(f"/group/{group_id}", status_code=303)


@router.post("/group/{group_id}/calendar")
async def group_calendar(group_id: str, request: Request, rpc: Rpc, form_token: FormToken):
    """A new address of the group's calendar of its delegations (the earlier one stops working)."""
    check_form_token(request, form_token)
    return await _page(request, rpc, group_id, feed=await group_feed_address(request, rpc, group_id))


@router.post("/group/{group_id}/entry")
async def change_entry(group_id: str, request: Request, rpc: Rpc, form_token: FormToken):
    """What the directory shows of the group, and to whom (its contacts decide it)."""
    check_form_token(request, form_token)
    data = await request.form()
    wanted = {tag for tag in data.getlist("help_languages") if isinstance(tag, str) and tag in LANGUAGE_NAMES}
    patch = {"public_contact": str(data.get("public_contact") or "").strip() or None,
             "website": str(data.get("website") or "").strip() or None,
             "help_languages": sorted(wanted), "visibility": str(data.get("visibility") or "public")}
    try:
        await rpc.members.patch_member(group_id, patch)
    except Invalid as refused:
        return await _page(request, rpc, group_id, refusal=refused.detail, status=refused.status)
    return RedirectResponse(f"/group/{group_id}", status_code=303)


@router.post("/group/{group_id}/delegations/{registration_id}/attendees")
async def name_attendees(group_id: str, registration_id: str, request: Request, rpc: Rpc, form_token: FormToken):
    check_form_token(request, form_token)
    names = [name.strip() for name in (await request.form()).getlist("attendee") if isinstance(name, str)]
    try:
        await rpc.events.update_attendees(registration_id, {"attendees": [{"name": name} for name in names if name]})
    except (Invalid, Conflict) as refused:
        return await _page(request, rpc, group_id, refusal=refused.detail, status=refused.status)
    return RedirectResponse(f"/group/{group_id}", status_code=303)
