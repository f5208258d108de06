"""Calendars with the icalendar library (RFC 5545, RFC 7986): typed functions that turn events into
components. No iCalendar text is written by hand, so organizers' text is always escaped.

What calendar apps need to keep a copy in sync:
- a UID per event and per session that never changes;
- DTSTAMP and LAST-MODIFIED (the event's last change, so an unchanged feed is byte-for-byte the same
  and keeps its ETag), CREATED, and SEQUENCE raised on every change that matters to an attendee;
- cancelled events kept with STATUS:CANCELLED (a removed event stays as a ghost in many apps);
  postponed ones as TENTATIVE with their new dates;
- a VTIMEZONE for every zone used; whole-day events as DATE values with the exclusive end.

UID, STATUS, PRODID, the place and the times are `shared.calendars`' (the mailed .ics uses the same),
as is the cleaning of text, whatever was stored: icalendar does not escape NAME and X-WR-CALNAME, and
only an `assert` (gone under `python -O`) stops a line feed there from ending the line.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import icalendar

from shared import calendars
from shared.calendars import one_line, paragraphs, uid
from shared.contracts.events import EventView, SessionView
from shared.contracts.vocabulary import EventStatus
from shared.i18n import choose_text

REFRESH = timedelta(hours=1)
POSTPONED_NOTE = {"ja": "延期されました。", "en": "This event has been postponed."}
CANCELLED_NOTE = {"ja": "中止されました。", "en": "This event has been cancelled."}



def _description(event: EventView, lang: str | None, url: str) -> str:
    lines = []
    if event.status is EventStatus.CANCELLED:
        lines.append(choose_text(CANCELLED_NOTE, lang) + (f" {event.cancel_reason}" if event.cancel_reason else ""))
    elif event.status is EventStatus.POSTPONED:
        lines.append(choose_text(POSTPONED_NOTE, lang))
    text = choose_text(event.description, lang)
    if text:
        lines.append(text)
    if event.venue and event.venue.online_url:
        lines.append(event.venue.online_url)
    lines.append(url)
    return paragraphs("\n\n".join(lines))


def _common(component: icalendar.Event, event: EventView, url: str) -> None:
    component.add("dtstamp", event.updated_at)
    component.add("created", event.created_at)
    component.add("last-modified", event.updated_at)
    component.add("sequence", event.sequence)
    component.add("status", calendars.status(event.status))
    component.add("url", url, parameters={"VALUE": "URI"})
    component.add("categories", [one_line(category) for category in (event.kind.value, event.region.value,
                                                                     *event.networks)])
    if event.venue and event.venue.latitude is not None:
        component.add("geo", (event.venue.latitude, event.venue.longitude))


def _times(component: icalendar.Event, starts_at: datetime, ends_at: datetime, zone: str, all_day: bool) -> None:
    dtstart, dtend = calendars.when(starts_at, ends_at, zone, all_day)
    component.add("dtstart", dtstart)
    component.add("dtend", dtend)


def event_component(event: EventView, lang: str | None, base_url: str) -> icalendar.Event:
    url = f"{base_url}/events/{event.id}"
    component = icalendar.Event()
    component.add("uid", uid(event.id))
    component.add("summary", one_line(choose_text(event.title, lang)))
    _times(component, event.starts_at, event.ends_at, event.timezone, event.all_day)
    place = calendars.where(event.venue, event.city)
    if place:
        component.add("location", place)
    component.add("description", _description(event, lang, url))
    _common(component, event, url)
    return component


def session_component(event: EventView, session: SessionView, lang: str | None, base_url: str) -> icalendar.Event:
    url = f"{base_url}/events/{event.id}"
    component = icalendar.Event()
    component.add("uid", uid(session.id))
    component.add("summary", one_line(f"{choose_text(event.title, lang)} — {choose_text(session.title, lang)}"))
    _times(component, session.starts_at, session.ends_at, event.timezone, all_day=False)
    place = calendars.where(event.venue, event.city, session.room)
    if place:
        component.add("location", place)
    component.add("description", _description(event, lang, url))
    component.add("related-to", uid(event.id))
    _common(component, event, url)
    return component


def _head(name: str, source_url: str) -> icalendar.Calendar:
    """A feed's calendar with its own properties and no component yet."""
    cal = icalendar.Calendar()
    cal.add("prodid", calendars.PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    name = icalendar.vText(one_line(name))  # TEXT (RFC 7986): escaped, which icalendar leaves to its caller here
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", icalendar.vDuration(REFRESH))
    cal.add("source", source_url, parameters={"VALUE": "URI"})
    return cal


def calendar(name: str, events: Iterable[EventView], lang: str | None, base_url: str, source_url: str,
             with_sessions: bool = False) -> icalendar.Calendar:
    cal = _head(name, source_url)
    for event in events:
        cal.add_component(event_component(event, lang, base_url))
        if with_sessions:
            for session in event.sessions:
                cal.add_component(session_component(event, session, lang, base_url))
    calendars.add_timezones(cal)
    return cal


def serialise(cal: icalendar.Calendar, changed_at: datetime) -> dict:
    """The body, a strong ETag of exactly those bytes, and when the feed's content last changed."""
    return served(cal.to_ical(), changed_at)


def served(body: bytes, changed_at: datetime) -> dict:
    return {"body": body.decode("utf-8"), "etag": '"' + hashlib.sha256(body).hexdigest()[:40] + '"',
            "last_modified": changed_at.isoformat()}


@dataclass(frozen=True)
class Part:
    """One event's component as written (its bytes inside the calendar) and the zones it names."""

    ical: bytes
    tzids: frozenset[str]


def event_part(event: EventView, lang: str | None, base_url: str) -> Part:
    component = event_component(event, lang, base_url)
    alone = icalendar.Calendar()
    alone.add_component(component)
    return Part(component.to_ical(), frozenset(alone.get_missing_tzids()))


_END = b"END:VCALENDAR\r\n"


def assembled(name: str, parts: Iterable[Part], source_url: str) -> bytes:
    """The bytes `calendar(name, events, …)` writes, from each event's part written before: a calendar's
    text is its own lines, its VTIMEZONEs, then each component's text as that component writes it alone
    (a test compares the two byte for byte)."""
    parts = list(parts)
    cal = _head(name, source_url)
    calendars.add_timezones(cal, set().union(*(part.tzids for part in parts)))
    text = cal.to_ical()
    assert text.endswith(_END), "icalendar ends a calendar with its END line"
    return b"".join([text[:-len(_END)], *(part.ical for part in parts), _END])


_SAMPLE_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)


def format_fingerprint(*names: str) -> str:
    """A hash of what this code (and this icalendar) writes for fixed sample events and the given feed
    names: it changes when a release writes calendars differently."""
    day = timedelta(days=1)
    sample = EventView(
        id="sample", status=EventStatus.CANCELLED, revision=2, sequence=1, kind="workshop",
        title={"ja": "見本", "en": "Sample"}, description={"ja": "説明"}, region="kanto", prefecture="東京都",
        city="東京", venue={"name": "会場", "address": "住所", "latitude": 35.0, "longitude": 139.0,
                           "online_url": "https://example.org"},
        networks=["sample"], timezone="Asia/Tokyo", starts_at=_SAMPLE_MOMENT, ends_at=_SAMPLE_MOMENT + day,
        sessions=[{"id": "s", "title": {"ja": "分科会"}, "room": "1", "starts_at": _SAMPLE_MOMENT,
                   "ends_at": _SAMPLE_MOMENT + day}],
        cancel_reason="理由", created_at=_SAMPLE_MOMENT, updated_at=_SAMPLE_MOMENT, published_at=_SAMPLE_MOMENT)
    events = [sample, sample.model_copy(update={"id": "whole-day", "all_day": True, "status": EventStatus.POSTPONED})]
    digest = hashlib.sha256()
    for lang in ("ja", "en"):
        digest.update(calendar("sample", events, lang, "https://b", "https://s", with_sessions=True).to_ical())
    for name in names:
        digest.update(name.encode("utf-8") + b"\0")
    return digest.hexdigest()
