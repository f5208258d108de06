"""Calendar feeds through the gateway, read back by an independent parser (vobject), kept in step with
changes learned from the bus, and answered 304 when nothing changed."""
from __future__ import annotations

import time
import uuid
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import httpx
import vobject

from tests.integration.patience import PATIENCE

TOKYO = ZoneInfo("Asia/Tokyo")


def fetch(http: httpx.Client, path: str, **params) -> tuple[httpx.Response, dict]:
    response = http.get(path, params=params or None)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    parsed = vobject.readOne(response.text)
    return response, {v.uid.value: v for v in parsed.contents.get("vevent", [])}


def wait_until(check, timeout: float = PATIENCE):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def test_migrants_day_feed_holds_every_city_on_18_december_in_tokyo_time(gateway):
    http = gateway.http
    occasion = http.post("/events/migrants-day", json={
        "year": 2032, "title": {"ja": "国際移住者デー", "en": "Migrants Day"},
        "local_events": [{"region": "kanto", "city": "東京", "starts_at": "2032-12-18T18:30", "ends_at": "2032-12-18T20:30"},
                         {"region": "chubu-tokai", "city": "名古屋", "starts_at": "2032-12-18T12:00",
                          "ends_at": "2032-12-18T14:00", "venue": {"name": "栄", "latitude": 35.17, "longitude": 136.9}}]})
    assert occasion.status_code == 201, occasion.text
    for local in occasion.json():
        gateway.publish(local["id"], force=True)
    response, entries = wait_until(lambda: (lambda r: r if all(f"{e['id']}@tsunagu" in r[1] for e in occasion.json()) else None)(
        fetch(http, "/feeds/migrants-day.ics")))
    for vevent in entries.values():
        start = vevent.dtstart.value
        day = start.astimezone(TOKYO).date() if isinstance(start, datetime) else start  # whole-day: a date
        assert (day.month, day.day) == (12, 18)
        assert "migrants_day" in vevent.categories.value
    nagoya = entries[f"{occasion.json()[1]['id']}@tsunagu"]
    assert nagoya.dtstart.value == datetime(2032, 12, 18, 12, tzinfo=TOKYO)
    assert nagoya.dtstart.value.utcoffset() == timedelta(hours=9)
    assert nagoya.geo.value == "35.17;136.9"
    assert "BEGIN:VTIMEZONE" in response.text and "TZID:Asia/Tokyo" in response.text


def test_uid_stays_sequence_rises_cancelled_stays_and_304_until_a_change(gateway):
    http = gateway.http
    forum = http.post("/events", json={
        "kind": "national_forum", "series": "national-forum", "edition": 12, "title": {"ja": "第12回全国フォーラム"},
        "region": "tohoku", "city": "仙台市", "starts_at": "2033-06-18", "ends_at": "2033-06-19", "all_day": True,
        "capacity": 300}).json()
    gateway.publish(forum["id"], force=True)
    uid = f"{forum['id']}@tsunagu"
    first, entries = wait_until(lambda: (lambda r: r if uid in r[1] else None)(fetch(http, "/feeds/national-forum.ics")))
    assert entries[uid].dtstart.value == date(2033, 6, 18) and entries[uid].dtend.value == date(2033, 6, 20)
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    assert http.get("/feeds/national-forum.ics", headers={"If-None-Match": etag}).status_code == 304
    assert settled(http, "/feeds/national-forum.ics").headers["etag"] == etag  # and If-Modified-Since: 304
    again, entries_again = fetch(http, "/feeds/national-forum.ics")
    assert again.headers["etag"] == etag and uid in entries_again  # UID stable across fetches

    http.patch(f"/events/{forum['id']}", json={"city": "盛岡市"})  # a change attendees must know about
    changed = wait_until(lambda: http.get("/feeds/national-forum.ics", headers={"If-None-Match": etag}).status_code == 200)
    assert changed, "the feed did not learn of the change"
    _, after = fetch(http, "/feeds/national-forum.ics")
    assert after[uid].uid.value == uid and int(after[uid].sequence.value) == int(entries[uid].sequence.value) + 1
    assert "盛岡市" in after[uid].location.value

    http.post(f"/events/{forum['id']}/cancel", json={"reason": "会場の都合"})
    cancelled = wait_until(lambda: (lambda e: e if uid in e and e[uid].status.value == "CANCELLED" else None)(
        fetch(http, "/feeds/national-forum.ics")[1]))
    assert cancelled, "the cancelled forum vanished or kept its old status"
    assert int(cancelled[uid].sequence.value) > int(after[uid].sequence.value)


def test_filtered_feeds_one_event_with_sessions_and_the_feed_list(gateway):
    http = gateway.http
    event = http.post("/events", json={
        "kind": "symposium", "title": {"ja": "医療シンポジウム", "en": "Medical symposium"}, "region": "shikoku",
        "networks": ["medical"], "starts_at": "2034-02-11T13:00", "ends_at": "2034-02-11T17:00",
        "sessions": [{"title": {"ja": "報告", "en": "Reports"}, "room": "201", "starts_at": "2034-02-11T13:00",
                      "ends_at": "2034-02-11T15:00"}]}).json()
    gateway.publish(event["id"], force=True)
    uid = f"{event['id']}@tsunagu"
    _, shikoku = wait_until(lambda: (lambda r: r if uid in r[1] else None)(
        fetch(http, "/feeds/events.ics", region="shikoku", network="medical", lang="en")))
    assert shikoku[uid].summary.value == "Medical symposium"
    _, kanto = fetch(http, "/feeds/events.ics", region="kanto")
    assert uid not in kanto
    _, one = fetch(http, f"/events/{event['id']}.ics", lang="en")
    session_uid = f"{event['sessions'][0]['id']}@tsunagu"
    assert set(one) == {uid, session_uid}
    assert one[session_uid].summary.value == "Medical symposium — Reports"
    assert one[session_uid].contents["related-to"][0].value == uid
    _, workshops = fetch(http, "/feeds/workshops.ics")
    assert uid not in workshops and all("workshop" in v.categories.value for v in workshops.values())
    listed = http.get("/feeds").json()
    names = {feed["name"]: feed for feed in listed}
    assert {"national-forum", "migrants-day", "workshops", "events"} <= set(names)
    assert names["migrants-day"]["webcal_url"].startswith("webcal://")
    assert names["migrants-day"]["https_url"].startswith("https://")
    assert http.get("/feeds/nothing.ics").status_code == 404


def test_a_registrants_private_feed_can_be_revoked_and_reissued(gateway, mailbox):
    http = gateway.http
    event = http.post("/events", json={"kind": "workshop", "title": {"ja": "東北ワークショップ"}, "region": "tohoku",
                                       "starts_at": "2035-09-01T10:00", "ends_at": "2035-09-01T16:00"}).json()
    gateway.publish(event["id"], force=True)
    public = httpx.Client(base_url=str(http.base_url), timeout=30)
    receipt = public.post(f"/events/{event['id']}/registrations",
                          json={"display_name": "Lin", "email": "lin.private@example.org"}).json()
    assert public.post(f"/registrations/{receipt['id']}/calendar-feed").status_code == 404  # the manage link is needed
    refused = public.post(f"/registrations/{receipt['id']}/calendar-feed", params={"token": receipt["manage_token"]})
    assert refused.status_code == 403  # not before the address is confirmed
    mailbox.confirm_registration("lin.private@example.org")
    issued = public.post(f"/registrations/{receipt['id']}/calendar-feed", params={"token": receipt["manage_token"]})
    assert issued.status_code == 201
    path = httpx.URL(issued.json()["url"]).path
    response, entries = fetch(public, path)
    uid = f"{event['id']}@tsunagu"
    assert uid in entries and response.headers["cache-control"].startswith("private")

    public.delete(f"/registrations/{receipt['id']}", params={"token": receipt["manage_token"]})
    cancelled = wait_until(lambda: fetch(public, path)[1][uid].status.value == "CANCELLED")
    assert cancelled, "the registrant's cancellation did not reach their feed"

    reissued = public.post(f"/registrations/{receipt['id']}/calendar-feed", params={"token": receipt["manage_token"]})
    assert public.get(path).status_code == 404  # the old address stops at once
    assert fetch(public, httpx.URL(reissued.json()["url"]).path)[1][uid].uid.value == uid
    assert public.delete(f"/registrations/{receipt['id']}/calendar-feed",
                         params={"token": receipt["manage_token"]}).status_code == 204
    assert public.get(httpx.URL(reissued.json()["url"]).path).status_code == 404


def last_modified(response: httpx.Response) -> datetime:
    return parsedate_to_datetime(response.headers["last-modified"])


def settled(http: httpx.Client, path: str, **params) -> httpx.Response:
    """The feed once a client holding its Last-Modified is answered 304 (a change less than a second old
    is not yet told by a whole-second date)."""
    def attempt():
        response = http.get(path, params=params)
        again = http.get(path, params=params, headers={"If-Modified-Since": response.headers["last-modified"]})
        return response if again.status_code == 304 else None
    response = wait_until(attempt)
    assert response is not None, "If-Modified-Since with the feed's own date never answered 304"
    return response


def test_last_modified_moves_on_when_events_leave_a_filtered_feed(gateway):
    http = gateway.http
    network = f"shikoku-{uuid.uuid4().hex[:8]}"
    path, params = "/feeds/events.ics", {"region": "shikoku", "network": network}

    def workshop(day: int) -> dict:
        return gateway.new_event(kind="workshop", title={"ja": f"四国ワークショップ {day}"}, region="shikoku",
                                 city="高松市", networks=[network], starts_at=f"2038-05-{day}T10:00",
                                 ends_at=f"2038-05-{day}T16:00")

    staying, leaving = workshop(10), workshop(17)
    gateway.publish(staying["id"], force=True)
    gateway.publish(leaving["id"], force=True)  # the newest change of the feed is the one that will leave
    uids = {f"{e['id']}@tsunagu" for e in (staying, leaving)}
    assert wait_until(lambda: uids <= set(fetch(http, path, **params)[1]))
    before = settled(http, path, **params)

    assert http.patch(f"/events/{leaving['id']}", json={"region": "chugoku"}).status_code == 200
    after, entries = wait_until(lambda: (lambda r: r if r[0].headers["etag"] != before.headers["etag"] else None)(
        fetch(http, path, **params)))
    assert set(entries) == {f"{staying['id']}@tsunagu"}
    assert last_modified(after) >= last_modified(before)
    since_before = {"If-Modified-Since": before.headers["last-modified"]}
    assert http.get(path, params=params, headers=since_before).status_code == 200
    assert f"{leaving['id']}@tsunagu" in fetch(http, path, region="chugoku", network=network)[1]

    assert http.patch(f"/events/{staying['id']}", json={"region": "chugoku"}).status_code == 200
    emptied, entries = wait_until(lambda: (lambda r: r if not r[1] else None)(fetch(http, path, **params)))
    assert last_modified(emptied) >= last_modified(after)
    since_after = {"If-Modified-Since": after.headers["last-modified"]}
    assert http.get(path, params=params, headers=since_after).status_code == 200
    final = settled(http, path, **params)  # a date at or after the last change: 304
    assert http.get(path, params=params, headers={"If-None-Match": final.headers["etag"]}).status_code == 304
    later = (last_modified(final) + timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert http.get(path, params=params, headers={"If-Modified-Since": later}).status_code == 304

    never_used, entries = fetch(http, path, network=f"unused-{uuid.uuid4().hex[:8]}")
    served_at = parsedate_to_datetime(never_used.headers["date"])
    assert entries == {} and served_at - timedelta(days=1) < last_modified(never_used) <= served_at


def test_the_feed_source_is_its_canonical_address_whatever_the_first_caller_added(gateway):
    http = gateway.http
    network = f"source-{uuid.uuid4().hex[:8]}"
    event = gateway.new_event(kind="workshop", title={"ja": "北海道ワークショップ", "en": "Hokkaido workshop"},
                              region="hokkaido", networks=[network], starts_at="2038-07-01T10:00",
                              ends_at="2038-07-01T16:00")
    gateway.publish(event["id"], force=True)
    uid = f"{event['id']}@tsunagu"
    base = str(http.base_url).rstrip("/")
    canonical = f"{base}/feeds/events.ics?region=hokkaido&network={network}&lang=en"

    def first_after_change():  # extra parameters, another order, another spelling of English
        response, entries = fetch(http, "/feeds/events.ics", utm_source="mail", lang="en-GB", network=network,
                                  region="hokkaido", ref="x")
        return response if uid in entries else None
    first = wait_until(first_after_change)
    assert vobject.readOne(first.text).contents["source"][0].value == canonical
    plain, _ = fetch(http, "/feeds/events.ics", region="hokkaido", network=network, lang="en")
    assert plain.headers["etag"] == first.headers["etag"] and plain.text == first.text

    one, _ = fetch(http, f"/events/{event['id']}.ics", lang="en", tracking="1")
    assert vobject.readOne(one.text).contents["source"][0].value == f"{base}/events/{event['id']}.ics?lang=en"


def test_unknown_feed_parameters_are_refused_naming_them(gateway):
    public = httpx.Client(base_url=str(gateway.http.base_url), timeout=30)

    def refused(field: str, **params) -> None:
        response = public.get("/feeds/events.ics", params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]

    for n in range(300):
        refused("lang", lang=f"xx-{n}")
    refused("lang", lang="zz")
    refused("region", region="atlantis")
    refused("kind", kind="party")
    refused("network", network="Not a slug")
    refused("network", network="n" * 200)
    english, _ = fetch(public, "/feeds/events.ics", lang="en")
    assert fetch(public, "/feeds/events.ics", lang="en-GB")[0].headers["etag"] == english.headers["etag"]
    assert public.get("/feeds/national-forum.ics", params={"lang": "xx"}).status_code == 422
    assert public.get(f"/events/{uuid.uuid4()}.ics", params={"lang": "xx"}).status_code == 422


def test_the_feed_list_calls_each_named_feed_what_calendar_apps_will_call_it(gateway):
    links = [link for link in gateway.http.get("/feeds").json() if not link["name"].startswith("events-")]
    assert {link["name"] for link in links} == {"national-forum", "migrants-day", "workshops", "events"}
    for link in links:
        for lang in ("ja", "en"):
            response = gateway.http.get(f"/feeds/{link['name']}.ics", params={"lang": lang})
            assert vobject.readOne(response.text).x_wr_calname.value == link["title"][lang]
