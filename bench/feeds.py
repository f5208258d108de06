"""Calendar feeds.

1. Building a 10,000-event feed the way the events service does when events change (query, rows to
   contracts, components, serialisation) against the bare icalendar cost of the same events: the same
   properties set on icalendar.Event objects, the VTIMEZONE added, serialised. Goal: ≤ 1.5×.
   And the same feed after one of its events changed, as the service builds it (from each event's
   component kept since the last build: only the changed one written again), against the same bare
   full build. Goal: ≤ 0.1×.
2. A conditional GET answered 304 from the gateway's cache against the same server returning a fixed
   body of the same size. Goal: ≥ 0.8×.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import icalendar
from sqlalchemy.orm import sessionmaker

from bench.environment import organizer_headers
from bench.feed_server import FIXED_PATH
from bench.summary import Goal
from bench.wrk import run_wrk
from services.events import feeds, models
from services.events.feed_parts import FeedParts
from shared.db import make_engine
from shared.i18n import choose_text
from shared.migrations import upgrade
from shared.settings import Settings
from tsunagu.ports import free_port
from tsunagu.stack import ROOT, settings_env, wait_for_port

EVENTS = 10_000
ROUNDS = 3
GOALS = {"build": Goal(at_most=1.5), "one_change": Goal(at_most=0.1), "not_modified": Goal(at_least=0.8)}
TOKYO = ZoneInfo("Asia/Tokyo")


def _generated_rows() -> list[models.EventRow]:
    now = datetime.now(UTC)
    rows = []
    for n in range(EVENTS):
        starts = datetime(2027, 1, 1, 10, tzinfo=TOKYO) + timedelta(hours=7 * n)
        rows.append(models.EventRow(
            id=str(uuid.uuid4()), kind="migrants_day", status="cancelled" if n % 50 == 0 else "published",
            revision=1, sequence=n % 3, series="migrants-day", edition=None, occasion_id=None,
            title={"ja": f"国際移住者デー 集会 {n}", "en": f"Migrants Day rally {n}"},
            description={"ja": "移住者の権利を求めて、全国各地で同時に行動します。"},
            region="kanto", prefecture="東京都",
            city="千代田区", venue={"name": f"会場 {n % 40}", "address": "東京都千代田区", "latitude": 35.68,
                                    "longitude": 139.76, "online_url": None},
            venue_key=None, networks=["migrant-women"], search_text="", timezone="Asia/Tokyo", all_day=False,
            starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=None, requires_approval=False,
            registration_opens_at=None, registration_closes_at=None, attendee_names_deadline=None,
            group_quota=None, confirmed_places=0, waitlisted_places=0, next_arrival=1, cancel_reason=None,
            created_at=now, updated_at=now, published_at=now))
    return rows


def _bare_icalendar(rows: list[models.EventRow]) -> bytes:
    """The same events with icalendar alone: no contracts, no database."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//bench//EN")
    cal.add("version", "2.0")
    for row in rows:
        event = icalendar.Event()
        event.add("uid", f"{row.id}@tsunagu")
        event.add("summary", choose_text(row.title, "ja"))
        event.add("dtstart", row.starts_at.astimezone(TOKYO))
        event.add("dtend", row.ends_at.astimezone(TOKYO))
        event.add("location", f"{row.venue['name']}, {row.venue['address']}")
        event.add("description", choose_text(row.description, "ja"))
        event.add("dtstamp", row.updated_at)
        event.add("created", row.created_at)
        event.add("last-modified", row.updated_at)
        event.add("sequence", row.sequence)
        event.add("status", "CANCELLED" if row.status == "cancelled" else "CONFIRMED")
        event.add("url", f"https://tsunagu.example/events/{row.id}")
        event.add("categories", [row.kind, row.region, *row.networks])
        event.add("geo", (row.venue["latitude"], row.venue["longitude"]))
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def build_benchmark() -> dict:
    with tempfile.TemporaryDirectory(prefix="tsunagu-feed-bench-") as directory:
        engine = make_engine(f"sqlite:///{directory}/events.db")
        upgrade(engine, "events")
        db = sessionmaker(engine, expire_on_commit=False)
        rows = _generated_rows()
        with db.begin() as session:
            session.add_all(rows)
        with db() as session:
            plain_rows = session.query(models.EventRow).all()
        ours, bare, incremental = [], [], []
        parts = FeedParts()
        with db() as session:  # the service's first build: every component written and kept
            feeds.public_feed(session, "migrants-day", "ja", "https://tsunagu.example",
                              "https://tsunagu.example/feeds/migrants-day.ics", parts=parts)
        for round_number in range(ROUNDS):
            started = time.perf_counter()
            with db() as session:
                built = feeds.public_feed(session, "migrants-day", "ja", "https://tsunagu.example",
                                          "https://tsunagu.example/feeds/migrants-day.ics")
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            bare_body = _bare_icalendar(plain_rows)
            bare.append(time.perf_counter() - started)
            with db.begin() as session:  # an organizer changes one event's title
                changed = session.get(models.EventRow, rows[round_number * 97].id)
                changed.title = {"ja": f"変更 {round_number}"}
                changed.updated_at = datetime.now(UTC)
            started = time.perf_counter()
            with db() as session:
                again = feeds.public_feed(session, "migrants-day", "ja", "https://tsunagu.example",
                                          "https://tsunagu.example/feeds/migrants-day.ics", parts=parts)
            incremental.append(time.perf_counter() - started)
            assert f"変更 {round_number}" in again["body"]
        engine.dispose()
    # each round's build and one-change rebuild beside the same round's bare build; a figure is their median
    rounds = tuple(mine / theirs for mine, theirs in zip(ours, bare, strict=True))
    changed_rounds = tuple(mine / theirs for mine, theirs in zip(incremental, bare, strict=True))
    ratio, changed_ratio = statistics.median(rounds), statistics.median(changed_rounds)
    print(f"\n== Building a {EVENTS:,}-event feed (median of {ROUNDS}) ==")
    print(f"bare icalendar, same events          {statistics.median(bare):7.3f} s   ({len(bare_body):,} bytes)")
    built_bytes = len(built['body'].encode())
    print(f"events service feed (query → .ics)   {statistics.median(ours):7.3f} s   ({built_bytes:,} bytes)")
    print(f"ratio feed / bare icalendar: {ratio:.2f}× (goal {GOALS['build']})")
    print(f"one event changed, from kept parts   {statistics.median(incremental):7.3f} s   "
          f"(rounds {', '.join(f'{t:.3f}' for t in incremental)})")
    print(f"ratio one-change rebuild / bare icalendar full build: {changed_ratio:.3f}× (goal {GOALS['one_change']})")
    return {"bare_s": statistics.median(bare), "feed_s": statistics.median(ours), "ratio": ratio,
            "changed_s": statistics.median(incremental), "changed_ratio": changed_ratio,
            "rounds": rounds, "changed_rounds": changed_rounds}


def conditional_get_benchmark(settings: Settings) -> dict:
    headers = organizer_headers(settings)
    with httpx.Client(base_url=settings.gateway_url, headers=headers, timeout=30) as http:
        for n in range(200):
            event = http.post("/events", json={
                "kind": "workshop", "title": {"ja": f"ワークショップ {n}"}, "region": "kanto",
                "starts_at": f"2028-{1 + n % 12:02d}-{1 + n % 28:02d}T10:00",
                "ends_at": f"2028-{1 + n % 12:02d}-{1 + n % 28:02d}T12:00"}).json()
            http.post(f"/events/{event['id']}/publish", params={"force": "true"})
    port = free_port()
    with tempfile.NamedTemporaryFile(suffix=".ics", delete=False) as body_file:
        pass
    env = {**os.environ, **settings_env(settings)}
    # the fixed body: exactly the feed's bytes
    feed = httpx.get(f"{settings.gateway_url}/feeds/workshops.ics", timeout=30)
    Path(body_file.name).write_bytes(feed.content)
    server = subprocess.Popen([sys.executable, "-m", "bench.feed_server", str(port), body_file.name], cwd=ROOT, env=env)
    try:
        wait_for_port("127.0.0.1", port, 30)
        base = f"http://127.0.0.1:{port}"
        time.sleep(1.0)  # the server's invalidator connects to the bus; until then nothing is cached
        etag = ""
        for _ in range(50):
            response = httpx.get(f"{base}/feeds/workshops.ics", timeout=30)
            etag = response.headers["etag"]
            if httpx.get(f"{base}/feeds/workshops.ics", headers={"If-None-Match": etag}).status_code == 304:
                break
            time.sleep(0.2)
        baseline = httpx.get(f"{base}{FIXED_PATH}", timeout=30)
        if baseline.status_code != 200 or baseline.content != feed.content:  # a baseline of errors is none
            raise RuntimeError(f"the fixed body answers {baseline.status_code}, not the feed's bytes")
        fixed = run_wrk("fixed body (same server, same bytes)", f"{base}{FIXED_PATH}", 8, 8)
        lua = f'wrk.headers["If-None-Match"] = \'{etag}\''
        not_modified = run_wrk("feed, If-None-Match → 304", f"{base}/feeds/workshops.ics", 8, 8, lua)
    finally:
        server.terminate()
        server.wait(10)
        os.unlink(body_file.name)
    if fixed.errors or not_modified.errors:
        raise RuntimeError(f"{fixed.errors} + {not_modified.errors} requests failed")
    ratio = not_modified.rate / fixed.rate
    print(f"\n== Conditional GET of a {len(feed.content):,}-byte feed vs a fixed body (8 concurrent, wrk) ==")
    print(fixed.line())
    print(not_modified.line())
    print(f"ratio 304 / fixed body: {ratio:.2f}× (goal {GOALS['not_modified']})")
    return {"fixed_rps": fixed.rate, "not_modified_rps": not_modified.rate, "ratio": ratio}
