"""Calendar feeds (iCalendar): the National Forum, International Migrants Day, Workshops, any filtered
set of events, one event with its sessions, and a registrant's private feed.

Feeds are answered from the gateway's FeedCache with a strong ETag and Last-Modified; a calendar app
that asks again with If-None-Match or If-Modified-Since gets 304 without anything being rebuilt.
"""
from __future__ import annotations

from datetime import timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from services.gateway.auth import MaybeOrganizer
from services.gateway.feed_cache import Feed
from services.gateway.rpc import Services, call_service, services
from shared.contracts.vocabulary import EventKind, Region
from shared.errors import NotFound

router = APIRouter(tags=["calendars"])
Rpc = Annotated[Services, Depends(services)]
Lang = Annotated[str | None, Query(max_length=35, description="Language of titles and descriptions (fallback ja → en)")]
Token = Annotated[str | None, Query(max_length=100, description="The secret from the registrant's manage link")]
NAMED = {"national-forum": {"ja": "全国フォーラム", "en": "National Forum"},
         "migrants-day": {"ja": "国際移住者デー", "en": "International Migrants Day"},
         "workshops": {"ja": "ワークショップ", "en": "Workshops"},
         "events": {"ja": "すべてのイベント", "en": "All events"}}
CALENDAR = "text/calendar; charset=utf-8"


class FeedLink(BaseModel):
    name: str
    title: dict[str, str]
    url: str
    https_url: str
    webcal_url: str


class PrivateFeed(BaseModel):
    url: str
    https_url: str
    webcal_url: str


def _link(url: str) -> dict:
    parts = urlsplit(url)
    return {"url": url, "https_url": urlunsplit(("https", *parts[1:])),
            "webcal_url": urlunsplit(("webcal", *parts[1:]))}


def _not_modified(request: Request, feed: Feed) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:  # RFC 9110: If-None-Match wins, compared weakly
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or feed.etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            return feed.last_modified.replace(microsecond=0) <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
    return False


def _answer(request: Request, feed: Feed, private: bool = False) -> Response:
    headers = {"ETag": feed.etag,
               "Last-Modified": format_datetime(feed.last_modified.astimezone(timezone.utc), usegmt=True),
               "Cache-Control": f"{'private' if private else 'public'}, max-age=300"}
    if _not_modified(request, feed):
        return Response(status_code=304, headers=headers)
    return Response(feed.body, media_type=CALENDAR, headers=headers)


async def _feed(request: Request, key: tuple, rpc_request: dict, private: bool = False) -> Response:
    cache = request.app.state.feed_cache
    feed = cache.get(key)
    if feed is None:  # built once after a change, by the events service, off the event loop
        settings = request.app.state.settings
        rpc_request = {**rpc_request, "base_url": settings.gateway_url,
                       "source_url": settings.gateway_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")}
        feed = await run_in_threadpool(cache.get_or_build, key, lambda: call_service(
            request.app.state.rpc_pool, "events", "feed", rpc_request))
    return _answer(request, feed, private)


@router.get("/feeds", response_model=list[FeedLink], summary="Every public calendar feed, with https and webcal links")
def list_feeds(request: Request):
    base = request.app.state.settings.gateway_url
    links = [{"name": name, "title": title, **_link(f"{base}/feeds/{name}.ics")} for name, title in NAMED.items()]
    for region in Region:
        links.append({"name": f"events-{region.value}", "title": {"en": f"Events: {region.value}"},
                      **_link(f"{base}/feeds/events.ics?region={region.value}")})
    for kind in EventKind:
        links.append({"name": f"events-{kind.value}", "title": {"en": f"Events: {kind.value}"},
                      **_link(f"{base}/feeds/events.ics?kind={kind.value}")})
    return links


@router.api_route("/feeds/private/{feed_token}.ics", methods=["GET", "HEAD"], response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}, 304: {"description": "Not modified"}},
            summary="A registrant's private feed (the address is the secret)")
async def private_feed(feed_token: str, request: Request, lang: Lang = None):
    return await _feed(request, ("private", feed_token, lang), {"feed": "private", "token": feed_token, "lang": lang},
                       private=True)


@router.api_route("/feeds/{name}.ics", methods=["GET", "HEAD"], response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}, 304: {"description": "Not modified"}},
            summary="A public feed: national-forum, migrants-day, workshops, or events (with filters)")
async def public_feed(name: str, request: Request, lang: Lang = None, region: Region | None = None,
                      kind: EventKind | None = None, network: Annotated[str | None, Query(max_length=64)] = None):
    if name not in NAMED:
        raise NotFound(f"no feed {name!r}; GET /feeds lists them", "feed")
    filters = {"region": region.value if region else None, "kind": kind.value if kind else None, "network": network}
    return await _feed(request, ("public", name, lang, *filters.values()), {"feed": name, "lang": lang, **filters})


@router.api_route("/events/{event_id}.ics", methods=["GET", "HEAD"], response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}, 304: {"description": "Not modified"}},
            summary="One event, its sessions as their own entries")
async def event_feed(event_id: str, request: Request, lang: Lang = None):
    return await _feed(request, ("event", event_id, lang), {"feed": "event", "event_id": event_id, "lang": lang})


@router.post("/registrations/{registration_id}/calendar-feed", status_code=201, response_model=PrivateFeed,
             summary="Issue (or reissue) the registrant's private feed; an earlier address stops working")
def issue_private_feed(registration_id: str, request: Request, rpc: Rpc, organizer: MaybeOrganizer, token: Token = None):
    feed_token = rpc.events.issue_private_feed(registration_id, token, organizer)
    request.app.state.feed_cache.drop_all()  # the old address must stop answering here at once
    return _link(f"{request.app.state.settings.gateway_url}/feeds/private/{feed_token}.ics")


@router.delete("/registrations/{registration_id}/calendar-feed", status_code=204,
               summary="Revoke the registrant's private feed")
def revoke_private_feed(registration_id: str, request: Request, rpc: Rpc, organizer: MaybeOrganizer,
                        token: Token = None):
    rpc.events.revoke_private_feed(registration_id, token, organizer)
    request.app.state.feed_cache.drop_all()
    return Response(status_code=204)
