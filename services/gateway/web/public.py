"""The public pages: the home page, an event's page with its registration form, and a registrant's
own page (reached by the secret link they were given) to see, cancel and subscribe to their places."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError

from services.gateway.deps import Rpc
from services.gateway.routers.feeds import webcal_url
from services.gateway.throttle import Throttled
from services.gateway.web.events import event_or_none, registration_state
from services.gateway.web.events import upcoming as coming
from services.gateway.web.forms import FormToken, check_form_token, checked_form
from services.gateway.web.languages import page_language
from services.gateway.web.month import month as month_view
from services.gateway.web.month import month_of, span
from services.gateway.web.registration_form import RegistrationForm
from services.gateway.web.templating import pages_of
from shared.contracts.events import (
    DEFAULT_TIMEZONE,
    REGISTRATION_CONFIRM_PAGE,
    AddressConfirmed,
    EventView,
    RegistrationReceipt,
    RegistrationView,
)
from shared.contracts.vocabulary import EventKind, EventStatus, Region
from shared.errors import Conflict, Forbidden, Invalid, NotFound

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Query(max_length=100)]
# The registrant's secret link, or nothing when they are signed in with the registration's address.
OwnToken = Annotated[str | None, Query(max_length=100)]
OwnTokenField = Annotated[str | None, Form(max_length=100)]
UPCOMING = 200  # events the home page shows at most


def _wants_html(request: Request) -> bool:
    """A browser asks for HTML first; API clients (curl's */*, JSON) keep the JSON answer."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept.split(",")[0]


@router.get("/", include_in_schema=True, tags=["about"], summary="What is here (a browser gets the home page)")
async def home(request: Request, rpc: Rpc, region: Region | None = None, kind: EventKind | None = None,
               month: Annotated[str | None, Query(max_length=7, description="The calendar's month, YYYY-MM")] = None):
    if not _wants_html(request):
        return JSONResponse({"name": "Tsunagu", "health": "/health", "events": "/events", "schedule": "/schedule",
                             "feeds": "/feeds", "directory": "/directory", "api_docs": "/docs"})
    now = datetime.now(UTC)
    upcoming = [event for event in await coming(rpc, now) if event.status is not EventStatus.DRAFT][:UPCOMING]
    shown = [event for event in upcoming if (region is None or event.region is region)
             and (kind is None or event.kind is kind)]
    forum = next((event for event in upcoming if event.kind is EventKind.NATIONAL_FORUM), None)
    migrants_day = [event for event in upcoming if event.kind is EventKind.MIGRANTS_DAY]
    first = month_of(month, now.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date())
    start, end = span(first)
    in_month = [EventView.model_validate(event) for event in await rpc.events.schedule(
        start.isoformat(), end.isoformat(), region.value if region else None, False)]
    calendar = month_view(first, [event for event in in_month if event.status is not EventStatus.DRAFT
                                  and (kind is None or event.kind is kind)])
    return pages_of(request).render(request, "home.html", events=shown, forum=forum, migrants_day=migrants_day,
                                    regions=list(Region), kinds=list(EventKind), region=region, kind=kind,
                                    calendar=calendar)


def _event_page_context(request: Request, event: EventView) -> dict:
    """What the event's page shows beside the event: its calendar links and a link to a map."""
    base = request.app.state.settings.gateway_url
    ics = f"{base}/events/{event.id}.ics?lang={page_language(request)}"
    venue = event.venue
    if venue and venue.latitude is not None and venue.longitude is not None:
        map_link = (f"https://www.openstreetmap.org/?mlat={venue.latitude}&mlon={venue.longitude}"
                    f"#map=17/{venue.latitude}/{venue.longitude}")
    elif venue and venue.address:
        map_link = f"https://www.openstreetmap.org/search?{urlencode({'query': venue.address})}"
    else:
        map_link = None  # a link only: no map is embedded, nothing is fetched from the map's site
    return {"calendar": {"ics": ics, "webcal": webcal_url(ics)}, "map_link": map_link,
            "registration": registration_state(event, datetime.now(UTC))}


def _not_found(request: Request):
    return pages_of(request).render(request, "not_found.html", status=404)


@router.get("/event/{event_id}")
async def event_page(event_id: str, request: Request, rpc: Rpc):
    event = await event_or_none(rpc, event_id)
    if event is None:
        return _not_found(request)
    form = RegistrationForm.blank(page_language(request))
    context = _event_page_context(request, event)
    # what the page shows that can change: the event (a change raises updated_at), its places, the form's state
    same_as = (event.id, event.revision, event.status, event.updated_at, event.confirmed_places,
               event.waitlisted_places, tuple(session.confirmed_places for session in event.sessions),
               context["registration"])
    return pages_of(request).render(request, "event.html", same_as=same_as, event=event, form=form, **context)


@router.post("/event/{event_id}/register",
             dependencies=[Depends(Throttled("registration", setting="registrations_per_minute"))])
async def register(event_id: str, request: Request, rpc: Rpc):
    data = await checked_form(request)
    event = await event_or_none(rpc, event_id)
    if event is None:
        return _not_found(request)
    form = RegistrationForm.read(data, page_language(request))
    try:
        registration = form.request()
        receipt = RegistrationReceipt.model_validate(await rpc.events.register(event_id, registration.to_wire()))
    except ValidationError as invalid:
        form.explain(invalid)
    except (Invalid, Conflict, Forbidden) as refused:
        form.refused(refused)
    if form.errors:
        return pages_of(request).render(request, "event.html", status=422, here=f"/event/{event_id}", event=event,
                                        form=form,
                                        **_event_page_context(request, event))
    manage = _own_page(receipt.id, receipt.manage_token)
    return pages_of(request).render(request, "registered.html", private=True, here=manage, event=event,
                                    registration=receipt, manage=manage)


def _own_page(registration_id: str, token: str | None) -> str:
    """The registrant's own page: the secret link that shows, cancels and subscribes to it (or, for them
    signed in with its address, the page without the secret)."""
    return f"/registration/{registration_id}" + (f"?{urlencode({'token': token})}" if token else "")


async def _own(rpc: Rpc, registration_id: str, token: str | None) -> tuple[RegistrationView, EventView] | None:
    try:
        registration = RegistrationView.model_validate(await rpc.events.get_registration(registration_id, token))
    except (NotFound, Forbidden):
        return None
    event = await event_or_none(rpc, registration.event_id)
    return (registration, event) if event else None


@router.get("/registration/{registration_id}")
async def registration_page(registration_id: str, request: Request, rpc: Rpc, token: OwnToken = None):
    found = await _own(rpc, registration_id, token)
    if found is None:
        return _not_found(request)
    registration, event = found
    return pages_of(request).render(request, "registration.html", private=True, registration=registration,
                                    event=event, token=token, feed=None, refusal=None)


@router.post("/registration/{registration_id}/cancel")
async def cancel(registration_id: str, request: Request, rpc: Rpc, form_token: FormToken,
                 token: OwnTokenField = None):
    check_form_token(request, form_token)
    token = token or None
    try:
        await rpc.events.cancel_registration(registration_id, token)
    except (NotFound, Forbidden):
        return _not_found(request)
    except Conflict:
        pass  # already cancelled: the page says what it is now
    return RedirectResponse(_own_page(registration_id, token), status_code=303)


@router.post("/registration/{registration_id}/calendar")
async def private_calendar(registration_id: str, request: Request, rpc: Rpc,
                           form_token: FormToken, token: OwnTokenField = None):
    check_form_token(request, form_token)
    token = token or None
    found = await _own(rpc, registration_id, token)
    if found is None:
        return _not_found(request)
    registration, event = found
    try:
        feed_token = await rpc.events.issue_private_feed(registration_id, token)
    except (Forbidden, Conflict) as refused:
        return pages_of(request).render(request, "registration.html", status=refused.status, private=True,
                                        here=_own_page(registration_id, token), registration=registration,
                                        event=event, token=token, feed=None, refusal=refused.detail)
    request.app.state.feed_cache.drop_all()  # an earlier address of this feed stops answering at once
    base = request.app.state.settings.gateway_url
    feed = f"{base}/feeds/private/{feed_token}.ics"
    return pages_of(request).render(request, "registration.html", private=True, here=_own_page(registration_id, token),
                                    registration=registration, event=event, token=token, feed=feed, refusal=None)


@router.get(REGISTRATION_CONFIRM_PAGE)
async def confirm_address_page(request: Request, token: Token):
    # a page with a button: a mail scanner opening the link confirms nothing
    return pages_of(request).render(request, "registration_confirm.html", private=True, token=token, confirmed=None)


@router.post(REGISTRATION_CONFIRM_PAGE)
async def confirm_address(request: Request, token: Annotated[str, Form(max_length=100)], rpc: Rpc):
    """No form token: the secret in the mailed link is what proves the right to press the button."""
    try:
        confirmed = AddressConfirmed.model_validate(await rpc.events.confirm_registration_address(token))
    except (NotFound, Conflict):
        return pages_of(request).render(request, "link_not_valid.html", status=404, private=True)
    return pages_of(request).render(request, "registration_confirm.html", private=True, here="/", token=token,
                                    confirmed=confirmed)
