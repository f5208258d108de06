"""Feeds built by services/events/ical.py, read back by an independent parser (vobject)."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import vobject

from services.events import ical
from shared import calendars
from shared.contracts.events import EventView

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 1, 3, tzinfo=UTC)


def event(**overrides) -> EventView:
    values = {
        "id": "ev-1", "status": "published", "revision": 1, "sequence": 0, "kind": "migrants_day",
        "title": {"ja": "国際移住者デー 名古屋", "en": "Migrants Day Nagoya"}, "description": {"ja": "集会とデモ"},
        "region": "chubu-tokai", "prefecture": "愛知県", "city": "名古屋市",
        "venue": {"name": "久屋大通公園", "address": "名古屋市中区", "latitude": 35.17, "longitude": 136.91},
        "networks": ["migrant-women"], "timezone": "Asia/Tokyo",
        "starts_at": datetime(2026, 12, 18, 12, tzinfo=TOKYO), "ends_at": datetime(2026, 12, 18, 14, tzinfo=TOKYO),
        "sessions": [], "created_at": NOW, "updated_at": NOW, "published_at": NOW}
    values.update(overrides)
    return EventView(**values)


def parse(events, lang="ja", with_sessions=False):
    cal = ical.calendar("つなぐ", events, lang, "https://tsunagu.example", "https://tsunagu.example/feeds/x.ics",
                        with_sessions=with_sessions)
    text = cal.to_ical().decode()
    return vobject.readOne(text), text


def test_an_event_reads_back_field_by_field():
    parsed, text = parse([event()])
    vevent = parsed.vevent
    assert vevent.uid.value == "ev-1@tsunagu"
    assert vevent.summary.value == "国際移住者デー 名古屋"
    assert vevent.dtstart.value == datetime(2026, 12, 18, 12, tzinfo=TOKYO)
    assert vevent.dtstart.value.utcoffset() == timedelta(hours=9)
    assert "TZID=Asia/Tokyo" in text and "BEGIN:VTIMEZONE" in text
    assert vevent.sequence.value == "0" and vevent.status.value == "CONFIRMED"
    assert vevent.location.value == "久屋大通公園, 名古屋市中区"
    assert vevent.geo.value == "35.17;136.91"
    assert vevent.url.value == "https://tsunagu.example/events/ev-1"
    assert vevent.categories.value == ["migrants_day", "chubu-tokai", "migrant-women"]
    assert vevent.dtstamp.value == NOW and vevent.created.value == NOW and vevent.last_modified.value == NOW
    assert "集会とデモ" in vevent.description.value
    assert parsed.contents["x-wr-calname"][0].value == "つなぐ"
    assert parsed.contents["name"][0].value == "つなぐ"
    assert parsed.contents["refresh-interval"][0].value == "PT1H"
    assert parsed.contents["x-published-ttl"][0].value == "PT1H"


def test_text_in_the_requested_language_with_fallback():
    english, _ = parse([event()], lang="en")
    assert english.vevent.summary.value == "Migrants Day Nagoya"
    assert "集会とデモ" in english.vevent.description.value  # no English description: Japanese
    vietnamese, _ = parse([event()], lang="vi")
    assert vietnamese.vevent.summary.value == "国際移住者デー 名古屋"


def test_whole_day_events_are_dates_with_the_exclusive_end():
    forum = event(all_day=True, starts_at=datetime(2027, 6, 18, tzinfo=TOKYO), ends_at=datetime(2027, 6, 20, tzinfo=TOKYO))
    parsed, text = parse([forum])
    assert parsed.vevent.dtstart.value == date(2027, 6, 18) and parsed.vevent.dtend.value == date(2027, 6, 20)
    assert "DTSTART;VALUE=DATE:20270618" in text


def test_cancelled_and_postponed_events_stay_with_their_status():
    parsed, _ = parse([event(id="a", status="cancelled", sequence=2, cancel_reason="台風のため"),
                       event(id="b", status="postponed", sequence=1)])
    by_uid = {v.uid.value: v for v in parsed.vevent_list}
    assert by_uid["a@tsunagu"].status.value == "CANCELLED" and by_uid["a@tsunagu"].sequence.value == "2"
    assert "台風のため" in by_uid["a@tsunagu"].description.value
    assert by_uid["b@tsunagu"].status.value == "TENTATIVE"


def test_sessions_are_entries_of_their_own_related_to_the_event():
    forum = event(sessions=[{"id": "s-1", "kind": "plenary", "title": {"ja": "全体会"}, "room": "大講義室",
                             "starts_at": datetime(2026, 12, 18, 12, tzinfo=TOKYO),
                             "ends_at": datetime(2026, 12, 18, 13, tzinfo=TOKYO)}])
    parsed, _ = parse([forum], with_sessions=True)
    session = {v.uid.value: v for v in parsed.vevent_list}["s-1@tsunagu"]
    assert session.summary.value == "国際移住者デー 名古屋 — 全体会"
    assert session.contents["related-to"][0].value == "ev-1@tsunagu"
    assert session.location.value.startswith("大講義室")


def test_organizer_text_cannot_break_the_format():
    nasty = "Forum, Tokyo; \"2026\"\r\nATTENDEE:mailto:victim@example.org\r\nEND:VEVENT"
    parsed, text = parse([event(title={"ja": nasty}, description={"ja": "line1\nline2; a,b"})])
    assert len(parsed.vevent_list) == 1
    assert "attendee" not in parsed.vevent.contents
    assert parsed.vevent.summary.value.startswith("Forum, Tokyo; \"2026\"")
    assert "ATTENDEE:mailto:victim@example.org" in parsed.vevent.summary.value  # kept as text, harmless
    assert "line2; a,b" in parsed.vevent.description.value
    assert [line for line in text.splitlines() if line.startswith("ATTENDEE")] == []


def test_the_same_events_give_the_same_bytes_and_etag():
    first = ical.serialise(ical.calendar("x", [event()], "ja", "u", "s"), NOW)
    second = ical.serialise(ical.calendar("x", [event()], "ja", "u", "s"), NOW)
    changed = ical.serialise(ical.calendar("x", [event(sequence=1)], "ja", "u", "s"), NOW)
    assert first == second
    assert changed["etag"] != first["etag"] and first["etag"].startswith('"')
    assert first["last_modified"] == NOW.isoformat()


STORED_BEFORE_TITLES_WERE_ONE_LINE = {"ja": "一行目\n二行目\r\nEND:VCALENDAR\x07, ;\\", "en": "A\u2028B\x00"}


def test_line_breaks_and_control_characters_in_stored_text_cannot_break_the_calendar():
    broken = event(title=STORED_BEFORE_TITLES_WERE_ONE_LINE, description={"ja": "段落1\r\n段落2\x1b[31m"},
                   city="名古屋\n市", venue=None, cancel_reason="理由\x00", status="cancelled",
                   sessions=[{"id": "s-1", "title": {"ja": "分科会\n1"}, "starts_at": event().starts_at,
                              "ends_at": event().ends_at}])
    name = ical.one_line(STORED_BEFORE_TITLES_WERE_ONE_LINE["ja"])
    text = ical.calendar(name, [broken], "ja", "https://t", "https://t/s", with_sessions=True).to_ical().decode()
    assert not any(ord(c) < 32 and c not in "\r\n" or 0x7f <= ord(c) <= 0x9f for c in text)
    assert all(line.endswith("\r") or line == "" for line in text.split("\n"))  # no bare line feed
    parsed = vobject.readOne(text)
    assert sorted(c.name for c in parsed.getChildren() if c.name not in ("VEVENT", "VTIMEZONE")) == sorted([
        "VERSION", "PRODID", "CALSCALE", "NAME", "X-WR-CALNAME", "REFRESH-INTERVAL", "X-PUBLISHED-TTL", "SOURCE"])
    assert parsed.contents["x-wr-calname"][0].value.startswith("一行目 二行目 END:VCALENDAR")
    entries = {v.uid.value: v for v in parsed.vevent_list}
    assert entries["ev-1@tsunagu"].summary.value.startswith("一行目 二行目 END:VCALENDAR")
    assert entries["ev-1@tsunagu"].location.value == "名古屋 市"
    assert "段落1\n段落2[31m" in entries["ev-1@tsunagu"].description.value
    assert entries["s-1@tsunagu"].summary.value.endswith("分科会 1")
    again = icalendar.Calendar.from_ical(text)  # a second reader (which leaves NAME as written: TEXT, escaped)
    assert again["X-WR-CALNAME"].to_ical() == icalendar.vText(name).to_ical() and len(again.walk("VEVENT")) == 2
    assert str(again.walk("VEVENT")[0]["SUMMARY"]) == name


def test_the_same_holds_without_assertions(tmp_path):
    """icalendar refuses a line feed in NAME only with an assert: under `python -O` it would write it."""
    script = tmp_path / "build.py"
    script.write_text(
        "import sys\n"
        "from tests.unit.test_ical import STORED_BEFORE_TITLES_WERE_ONE_LINE as T, event\n"
        "from services.events import ical\n"
        "cal = ical.calendar(T['ja'], [event(title=T)], 'ja', 'https://t', 'https://t/s')\n"
        "sys.stdout.buffer.write(cal.to_ical())\n")
    built = subprocess.run([sys.executable, "-O", str(script)], capture_output=True, check=True,
                           cwd=Path(__file__).resolve().parents[2],
                           env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    text = built.stdout.decode()
    head = text.split("BEGIN:VTIMEZONE")[0].split("\r\n")
    assert sorted(line.split(":")[0].split(";")[0] for line in head if line) == sorted([
        "BEGIN", "VERSION", "PRODID", "CALSCALE", "NAME", "X-WR-CALNAME", "REFRESH-INTERVAL", "X-PUBLISHED-TTL",
        "SOURCE"])
    assert "\n" not in text.replace("\r\n", "")
    assert vobject.readOne(text).contents["name"][0].value.startswith("一行目 二行目 END:VCALENDAR")
    assert str(icalendar.Calendar.from_ical(text)["NAME"]).startswith("一行目 二行目 END:VCALENDAR")


def test_a_new_release_that_writes_differently_has_another_fingerprint(monkeypatch):
    first = ical.format_fingerprint("つなぐ")
    assert ical.format_fingerprint("つなぐ") == first and ical.format_fingerprint("Tsunagu") != first
    monkeypatch.setattr(calendars, "PRODID", "-//Tsunagu//Tsunagu events 2//EN")
    assert ical.format_fingerprint("つなぐ") != first
