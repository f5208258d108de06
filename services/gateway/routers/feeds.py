"""Calendar feeds (iCalendar): the National Forum, International Migrants Day, Workshops, any filtered
set of events, one event with its sessions, and a registrant's private feed.

Feeds are answered from the gateway's FeedCache with a strong ETag and Last-Modified; a calendar app
that asks again with If-None-Match or If-Modified-Since gets 304 without anything being rebuilt.

Only parameters that select a feed are accepted, each checked (a supported language, a known region or
kind, a well-formed network slug), so that nobody can make the gateway build and keep a feed per made-up
value; the feed's SOURCE is its canonical address, whatever else the first caller added.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Query, Request, Response
from pydantic import AfterValidator, BaseModel

from services.gateway.deps import Rpc
from services.gateway.feed_cache import Feed
from services.gateway.rpc import call_service
from shared.contracts.base import Slug
from shared.contracts.events import NAMED_FEEDS
from shared.contracts.vocabulary import EventKind, Region
from shared.errors import NotFound
from shared.i18n import SUPPORTED_LANGUAGES, supported_language


def _supported(tag: str | None) -> str | None:
    if tag is None:
        return None
    language = supported_language(tag)
    if language is None:
        raise ValueError(f"{tag[:35]!r} is not a supported language; ask for one of {', '.join(SUPPORTED_LANGUAGES)} "
                         "(or a regional form of one, such as en-GB)")
    return language


router = APIRouter(tags=["calendars"])
Lang = Annotated[str | None, Query(max_length=35, description=(
    "Language of titles and descriptions (then ja, then en): one of " + ", ".join(SUPPORTED_LANGUAGES)
    + ", or a regional form of one (en-GB is en)")), AfterValidator(_supported)]
Network = Annotated[Slug | None, Query(max_length=63, description="A thematic network's slug")]
Token = Annotated[str | None, Query(max_length=100, description="The secret from the registrant's manage link")]
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


def webcal_url(url: str) -> str:
    """A feed's address as calendar apps subscribe to it (the API's links, and the pages' buttons)."""
    return urlunsplit(("webcal", *urlsplit(url)[1:]))


def _link(url: str) -> dict:
    return {"url": url, "https_url": urlunsplit(("https", *urlsplit(url)[1:])), "webcal_url": webcal_url(url)}


def _not_modified(request: Request, feed: Feed) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:  # RFC 9110: If-None-Match wins, compared weakly
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or feed.etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:  # the exact moment of the change against the whole second the client holds
            return feed.last_modified <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
    return False


def _last_modified_header(changed_at: datetime, now: datetime) -> str:
    """HTTP dates have whole seconds. The date told is never before the change, so a client holding it
    learns of the next one; nor after the answer (RFC 9110 §8.8.2.1): an answer given within the second
    of the change tells the second before it, and the client gets the feed once more next time."""
    changed_at = changed_at.astimezone(UTC)
    rounded_up = changed_at.replace(microsecond=0) + timedelta(seconds=1 if changed_at.microsecond else 0)
    return format_datetime(min(rounded_up, now.astimezone(UTC).replace(microsecond=0)), usegmt=True)


def _answer(request: Request, feed: Feed, private: bool = False) -> Response:
    headers = {"ETag": feed.etag,
               "Last-Modified": _last_modified_header(feed.last_modified, datetime.now(UTC)),
               "Cache-Control": f"{'private' if private else 'public'}, max-age=300"}
    if _not_modified(request, feed):
        return Response(status_code=304, headers=headers)
    return Response(feed.body, media_type=CALENDAR, headers=headers)


async def _feed(request: Request, path: str, selection: dict, rpc_request: dict, private: bool = False) -> Response:
    """The feed at `path` selected by `selection` (its parameters, in the order of its canonical address)."""
    cache = request.app.state.feed_cache
    key = (path, *selection.values())
    feed = cache.get(key)
    if feed is None:  # built once after a change, by the events service, off the event loop
        settings = request.app.state.settings
        query = urlencode({name: value for name, value in selection.items() if value is not None})
        rpc_request = {**rpc_request, "base_url": settings.gateway_url,
                       "source_url": settings.gateway_url + path + (f"?{query}" if query else "")}
        feed = await cache.get_or_build(key, lambda: call_service(request.app.state.bus, "events", "feed",
                                                                  rpc_request))
    return _answer(request, feed, private)


@router.get("/feeds", response_model=list[FeedLink], summary="Every public calendar feed, with https and webcal links")
def list_feeds(request: Request):
    base = request.app.state.settings.gateway_url
    links = [{"name": name, "title": feed.title, **_link(f"{base}/feeds/{name}.ics")}
             for name, feed in NAMED_FEEDS.items()]
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
    return await _feed(request, f"/feeds/private/{quote(feed_token, safe='')}.ics", {"lang": lang},
                       {"feed": "private", "token": feed_token, "lang": lang}, private=True)


@router.api_route("/feeds/group/{feed_token}.ics", methods=["GET", "HEAD"], response_class=Response,
                  responses={200: {"content": {"text/calendar": {}}}, 304: {"description": "Not modified"}},
                  summary="A member group's feed of its delegations (the address is the secret)")
async def group_feed(feed_token: str, request: Request, lang: Lang = None):
    return await _feed(request, f"/feeds/group/{quote(feed_token, safe='')}.ics", {"lang": lang},
                       {"feed": "group", "token": feed_token, "lang": lang}, private=True)


@router.api_route("/feeds/{name}.ics", methods=["GET", "HEAD"], response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}, 304: {"description": "Not modified"}},
            summary="A public feed: national-forum, migrants-day, workshops, or events (with filters)")
async def public_feed(name: str, request: Request, lang: Lang = None, region: Region | None = None,
                      kind: EventKind | None = None, network: Network = None):
    if name not in NAMED_FEEDS:
        raise NotFound(f"no feed {name!r}; GET /feeds lists them", "feed")
    if name != "events":
        kind = None  # each series' feed holds one kind of its own
    filters = {"region": region.value if region else None, "kind": kind.value if kind else None, "network": network}
    return await _feed(request, f"/feeds/{name}.ics", {**filters, "lang": lang},
                       {"feed": name, "lang": lang, **filters})


@router.api_route("/events/{event_id}.ics", methods=["GET", "HEAD"], response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}, 304: {"description": "Not modified"}},
            summary="One event, its sessions as their own entries")
async def event_feed(event_id: str, request: Request, lang: Lang = None):
    return await _feed(request, f"/events/{quote(event_id, safe='')}.ics", {"lang": lang},
                       {"feed": "event", "event_id": event_id, "lang": lang})


@router.post("/registrations/{registration_id}/calendar-feed", status_code=201, response_model=PrivateFeed,
             summary="Issue (or reissue) the registrant's private feed; an earlier address stops working")
async def issue_private_feed(registration_id: str, request: Request, rpc: Rpc,
                             token: Token = None):
    feed_token = await rpc.events.issue_private_feed(registration_id, token)
    request.app.state.feed_cache.drop_all()  # the old address must stop answering here at once
    return _link(f"{request.app.state.settings.gateway_url}/feeds/private/{feed_token}.ics")


@router.delete("/registrations/{registration_id}/calendar-feed", status_code=204,
               summary="Revoke the registrant's private feed")
async def revoke_private_feed(registration_id: str, request: Request, rpc: Rpc,
                              token: Token = None):
    await rpc.events.revoke_private_feed(registration_id, token)
    request.app.state.feed_cache.drop_all()
    return Response(status_code=204)


@router.post("/members/{group_id}/calendar-feed", status_code=201, response_model=PrivateFeed,
             summary="Issue (or reissue) a member group's feed of its delegations (its contacts); an earlier "
                     "address stops working")
async def issue_group_feed(group_id: str, request: Request, rpc: Rpc):
    return _link(await group_feed_address(request, rpc, group_id))


async def group_feed_address(request: Request, rpc: Rpc, group_id: str) -> str:
    """A new address of the group's feed (this route's, and the group's page's)."""
    feed_token = await rpc.events.issue_group_feed(group_id)
    request.app.state.feed_cache.drop_all()  # the old address must stop answering here at once
    return f"{request.app.state.settings.gateway_url}/feeds/group/{feed_token}.ics"


@router.delete("/members/{group_id}/calendar-feed", status_code=204,
               summary="Revoke a member group's feed (its contacts)")
async def revoke_group_feed(group_id: str, request: Request, rpc: Rpc):
    await rpc.events.revoke_group_feed(group_id)
    request.app.state.feed_cache.drop_all()
    return Response(status_code=204)
