"""The .ics attached to a registration mail: the same UID as the events service's feeds, so a calendar
that subscribes to a feed later merges the two entries instead of showing the event twice."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from shared.i18n import choose_text

STATUS = {"published": "CONFIRMED", "completed": "CONFIRMED", "postponed": "TENTATIVE", "cancelled": "CANCELLED"}


def event_ics(event: dict, language: str, url: str) -> bytes:
    zone = ZoneInfo(event["timezone"])
    starts, ends = (datetime.fromisoformat(event[k]).astimezone(zone) for k in ("starts_at", "ends_at"))
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Tsunagu//Tsunagu events//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    entry = icalendar.Event()
    entry.add("uid", f"{event['id']}@tsunagu")
    entry.add("summary", choose_text(event["title"], language))
    if event.get("all_day"):
        entry.add("dtstart", starts.date())
        entry.add("dtend", ends.date() if ends.time() == datetime.min.time() else ends.date() + timedelta(days=1))
    else:
        entry.add("dtstart", starts)
        entry.add("dtend", ends)
    updated = datetime.fromisoformat(event["updated_at"])
    entry.add("dtstamp", updated)
    entry.add("last-modified", updated)
    entry.add("sequence", event.get("sequence", 0))
    entry.add("status", STATUS.get(event.get("status", "published"), "CONFIRMED"))
    venue = event.get("venue") or {}
    place = ", ".join(p for p in (venue.get("name"), venue.get("address") or event.get("city")) if p)
    if place:
        entry.add("location", place)
    if venue.get("latitude") is not None:
        entry.add("geo", (venue["latitude"], venue["longitude"]))
    entry.add("url", url, parameters={"VALUE": "URI"})
    cal.add_component(entry)
    cal.add_missing_timezones()
    return cal.to_ical()
