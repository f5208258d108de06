"""The events service's feed and the notifications service's mailed .ics describe an event the same way
(shared.calendars): a calendar app that has both merges them into one entry."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from services.events import ical
from services.notifications.calendar_file import event_ics
from shared.calendars import add_timezones
from shared.contracts.events import EventSummary, EventView
from shared.contracts.vocabulary import EventStatus

MOMENT = datetime(2027, 12, 18, 4, 0, tzinfo=UTC)  # 13:00 in Tokyo, International Migrants Day
BASE = {"id": "f3b6c0de-0000-4000-8000-000000000001", "revision": 2, "sequence": 1, "kind": "migrants_day",
        "title": {"ja": "国際移住者デー 東京集会", "en": "Migrants Day, Tokyo"}, "description": {"ja": "集会"},
        "region": "kanto", "prefecture": "東京都", "city": "千代田区", "networks": [], "timezone": "Asia/Tokyo",
        "starts_at": MOMENT, "ends_at": MOMENT + timedelta(hours=3), "created_at": MOMENT - timedelta(days=30),
        "updated_at": MOMENT - timedelta(days=1), "published_at": MOMENT - timedelta(days=20)}
CASES = {
    "in person": {"status": EventStatus.PUBLISHED,
                  "venue": {"name": "日比谷図書文化館", "address": "千代田区日比谷公園1-4", "latitude": 35.67,
                            "longitude": 139.75}},
    "online only": {"status": EventStatus.PUBLISHED, "city": None,
                    "venue": {"online_url": "https://meet.example.org/migrants-day"}},
    "hybrid": {"status": EventStatus.POSTPONED,
               "venue": {"name": "日比谷図書文化館", "online_url": "https://meet.example.org/migrants-day"}},
    "whole day": {"status": EventStatus.PUBLISHED, "all_day": True,
                  "starts_at": datetime(2027, 12, 17, 15, 0, tzinfo=UTC),  # 18 December, Tokyo
                  "ends_at": datetime(2027, 12, 19, 15, 0, tzinfo=UTC)},  # exclusive: 20 December
    "cancelled": {"status": EventStatus.CANCELLED, "cancel_reason": "台風のため",
                  "venue": {"name": "日比谷図書文化館"}},
}
COMPARED = ("UID", "STATUS", "LOCATION", "DTSTART", "DTEND", "SEQUENCE")


def _entry(body: bytes) -> dict:
    """The compared properties as icalendar reads them, checked against a second parser (vobject)."""
    event = next(iter(icalendar.Calendar.from_ical(body).walk("VEVENT")))
    read = {name: (event.decoded(name) if name in ("DTSTART", "DTEND") else str(event.get(name)))
            for name in COMPARED if name in event}
    other = vobject.readOne(body.decode("utf-8")).vevent
    assert other.uid.value == read["UID"] and other.dtstart.value == read["DTSTART"]
    assert getattr(other, "location", None) is None or other.location.value == read.get("LOCATION")
    return read


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("mailed_form", [EventView, EventSummary])
def test_feed_entry_and_mailed_ics_agree(case, mailed_form):
    event = EventView.model_validate({**BASE, **CASES[case]})
    feed = ical.calendar("Tsunagu", [event], "ja", "https://tsunagu.example.org", "https://tsunagu.example.org/feeds")
    wire = event.to_wire()
    mailed = wire if mailed_form is EventView else EventSummary.model_validate(
        {name: wire[name] for name in EventSummary.model_fields}).to_wire()
    in_feed = _entry(feed.to_ical())
    in_mail = _entry(event_ics(mailed, "ja", f"https://tsunagu.example.org/events/{event.id}"))
    assert in_mail == in_feed
    assert set(COMPARED) - {"LOCATION"} <= in_feed.keys()


def test_an_online_only_event_says_its_link_as_its_place():
    event = EventView.model_validate({**BASE, **CASES["online only"]})
    in_mail = _entry(event_ics(event.to_wire(), "en", "https://tsunagu.example.org/events/x"))
    assert in_mail["LOCATION"] == "https://meet.example.org/migrants-day"


def test_every_zone_used_gets_one_vtimezone_in_every_calendar_that_uses_it():
    def calendar_in(*zones: str) -> icalendar.Calendar:
        cal = icalendar.Calendar()
        for zone in zones:
            entry = icalendar.Event()
            entry.add("dtstart", datetime(2027, 12, 18, 12, tzinfo=ZoneInfo(zone)))
            cal.add_component(entry)
        return cal
    for cal in (calendar_in("Asia/Tokyo", "Asia/Manila", "Asia/Tokyo"), calendar_in("Asia/Manila", "Asia/Tokyo")):
        add_timezones(cal)
        assert sorted(tz.tz_name for tz in cal.timezones) == ["Asia/Manila", "Asia/Tokyo"]
        assert cal.get_missing_tzids() == set()
        parsed = icalendar.Calendar.from_ical(cal.to_ical())
        assert [c.name for c in parsed.subcomponents][:2] == ["VTIMEZONE", "VTIMEZONE"]
