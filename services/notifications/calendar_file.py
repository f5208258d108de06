"""The .ics attached to a registration mail: UID, STATUS, place and times from `shared.calendars`, as in
the events service's feeds, so a calendar that subscribes to a feed later merges the two entries
instead of showing the event twice."""
from __future__ import annotations

from datetime import datetime

import icalendar

from shared import calendars
from shared.contracts.events import Venue
from shared.i18n import choose_text


def event_ics(event: dict, language: str, url: str) -> bytes:
    """`event` as the mail's context keeps it: an event's or its summary's wire form."""
    venue = Venue.model_validate(event["venue"]) if event.get("venue") else None
    cal = icalendar.Calendar()
    cal.add("prodid", calendars.PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    entry = icalendar.Event()
    entry.add("uid", calendars.uid(event["id"]))
    entry.add("summary", calendars.one_line(choose_text(event["title"], language)))
    starts_at, ends_at = (datetime.fromisoformat(event[key]) for key in ("starts_at", "ends_at"))
    dtstart, dtend = calendars.when(starts_at, ends_at, event["timezone"], bool(event.get("all_day")))
    entry.add("dtstart", dtstart)
    entry.add("dtend", dtend)
    updated = datetime.fromisoformat(event["updated_at"])
    entry.add("dtstamp", updated)
    entry.add("last-modified", updated)
    entry.add("sequence", event.get("sequence", 0))
    entry.add("status", calendars.status(event.get("status", "published")))
    place = calendars.where(venue, event.get("city"))
    if place:
        entry.add("location", place)
    if venue and venue.latitude is not None:
        entry.add("geo", (venue.latitude, venue.longitude))
    entry.add("url", url, parameters={"VALUE": "URI"})
    cal.add_component(entry)
    calendars.add_timezones(cal)
    return cal.to_ical()
