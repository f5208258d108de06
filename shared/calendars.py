"""What every calendar entry Tsunagu writes agrees on, whichever service writes it: the events service's
feeds and the notifications service's mailed `.ics` describe the same event the same way, so a calendar
app that has both merges them into one entry instead of showing the event twice.

- the UID, per event and per session, that never changes;
- STATUS from the event's state (postponed events are TENTATIVE with their new dates);
- PRODID;
- where it is (LOCATION, and the place line of a mail): room, venue, address, else the city; an online
  event with no place says its link;
- when it is: a whole-day event as DATE values with the exclusive end (RFC 5545 3.6.1);
- a VTIMEZONE for every zone used, each built once per process.

Text is cleaned before it goes in: control characters are never written (RFC 5545 TEXT has none), and
one-line properties (NAME, X-WR-CALNAME, SUMMARY, LOCATION) get no line break.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar

from shared.contracts.events import Venue
from shared.contracts.vocabulary import EventStatus

PRODID = "-//Tsunagu//Tsunagu events//EN"
_STATUS = {EventStatus.PUBLISHED: "CONFIRMED", EventStatus.COMPLETED: "CONFIRMED",
           EventStatus.POSTPONED: "TENTATIVE", EventStatus.CANCELLED: "CANCELLED"}

_BREAKS = re.compile(r"\s*[\x00-\x1f\x7f-\x9f\u2028\u2029]+\s*")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """Line breaks, tabs and control characters become one space."""
    if text.isprintable():  # the usual case, checked in C: nothing to clean
        return text.strip()
    return _BREAKS.sub(" ", text).strip()


def paragraphs(text: str) -> str:
    """Line feeds stay (icalendar escapes them); other control characters go."""
    if text.replace("\n", "").isprintable():
        return text
    return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def uid(component_id: str) -> str:
    """An event's or a session's UID: its id, the same in every feed and every mail."""
    return f"{component_id}@tsunagu"


def status(event_status: EventStatus | str) -> str:
    return _STATUS.get(EventStatus(event_status), "CONFIRMED")


def where(venue: Venue | None, city: str | None, room: str | None = None) -> str:
    """The place as one line: room, venue, address (else the city); the link of an online-only event."""
    parts = [room, venue.name if venue else None, venue.address if venue else None,
             city if not (venue and venue.address) else None]
    if venue and venue.online_url and not any(parts):
        parts.append(venue.online_url)
    return one_line(", ".join(part for part in parts if part))


def when(starts_at: datetime, ends_at: datetime, zone: str,
         all_day: bool) -> tuple[date, date] | tuple[datetime, datetime]:
    """DTSTART and DTEND: moments in the event's zone, or for a whole-day event its first day and the
    day after its last (stored ends are already that midnight; any other end counts its own day)."""
    tz = ZoneInfo(zone)
    starts, ends = starts_at.astimezone(tz), ends_at.astimezone(tz)
    if not all_day:
        return starts, ends
    last = ends.date() if ends.time() == time.min else ends.date() + timedelta(days=1)
    return starts.date(), last


@functools.lru_cache(maxsize=64)
def _vtimezone(tzid: str) -> icalendar.Timezone | None:
    try:
        return icalendar.Timezone.from_tzid(tzid)
    except ValueError:  # a zone the system does not know: written without a VTIMEZONE, as icalendar does
        return None


def add_timezones(cal: icalendar.Calendar, tzids: Iterable[str] | None = None) -> None:
    """`cal.add_missing_timezones()`, but each zone's VTIMEZONE is built once per process and shared
    (calendars are only serialised): building one walks the zone's transitions over decades, and cost a
    third of the notifications service's time per registration mail. `tzids`: the zones of components
    that will be written after the calendar's own (services/events/ical.py's assembled feeds)."""
    position = len(cal.timezones)
    for tzid in sorted(cal.get_missing_tzids() if tzids is None else set(tzids)):
        timezone = _vtimezone(tzid)
        if timezone is not None:
            cal.subcomponents.insert(position, timezone)
            position += 1
