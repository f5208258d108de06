"""What people and programs send to the events API, through the gateway to the real events service:
whole-day Migrants Day events, dates and numbers at the edge of what computers hold, texts of any
length, and drafts that must stay invisible. Every refusal is a 4xx problem naming the field."""
from __future__ import annotations

import uuid

import httpx
import pytest

BIG = 2 ** 63
EVENT = {"kind": "symposium", "title": {"ja": "入力検証シンポジウム"}, "region": "kanto",
         "starts_at": "2037-03-10T10:00", "ends_at": "2037-03-10T17:00"}
SESSION = {"title": {"ja": "分科会"}, "starts_at": "2037-03-10T10:00", "ends_at": "2037-03-10T12:00"}


def problem(response: httpx.Response, status: int, field: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert len(response.content) < 5_000  # what was wrong, not what was sent
    fields = [e["field"] for e in body.get("errors", [])]
    assert any(f == field or f.startswith(field + ".") for f in fields), body
    return body


@pytest.fixture(scope="module")
def public(gateway) -> httpx.Client:
    return httpx.Client(base_url=str(gateway.http.base_url), timeout=30)


@pytest.fixture(scope="module")
def published(gateway) -> dict:
    event = gateway.new_event(**{**EVENT, "title": {"ja": f"公開済み {uuid.uuid4().hex[:6]}"}})
    assert gateway.publish(event["id"], force=True).status_code == 200
    return event


# --- International Migrants Day as whole-day events -----------------------------------------------

def test_migrants_day_local_events_can_be_whole_days(gateway, public):
    response = gateway.http.post("/events/migrants-day", json={
        "year": 2036, "title": {"ja": "国際移住者デー", "en": "Migrants Day"},
        "local_events": [
            {"region": "kanto", "city": "東京", "all_day": True, "starts_at": "2036-12-18", "ends_at": "2036-12-18"},
            {"region": "kyushu-okinawa", "city": "福岡", "all_day": True, "starts_at": "2036-12-18",
             "ends_at": "2036-12-20"},
            {"region": "chubu-tokai", "city": "名古屋", "starts_at": "2036-12-18T18:00", "ends_at": "2036-12-18T20:00"}]})
    assert response.status_code == 201, response.text
    tokyo, fukuoka, nagoya = response.json()
    assert tokyo["all_day"] and fukuoka["all_day"] and not nagoya["all_day"]
    assert (tokyo["starts_at"], tokyo["ends_at"]) == ("2036-12-18T00:00:00+09:00", "2036-12-19T00:00:00+09:00")
    assert fukuoka["ends_at"] == "2036-12-21T00:00:00+09:00"  # the last day is inclusive
    assert len({tokyo["occasion_id"], fukuoka["occasion_id"], nagoya["occasion_id"]}) == 1
    assert gateway.publish(tokyo["id"], force=True).status_code == 200
    ics = public.get(f"/events/{tokyo['id']}.ics")
    assert ics.status_code == 200 and "DTSTART;VALUE=DATE:20361218" in ics.text and "DTEND;VALUE=DATE:20361219" in ics.text


def test_a_whole_day_local_event_must_be_on_18_december(gateway):
    problem(gateway.http.post("/events/migrants-day", json={
        "year": 2036, "title": {"ja": "国際移住者デー"},
        "local_events": [{"region": "kanto", "city": "東京", "all_day": True,
                          "starts_at": "2036-12-17", "ends_at": "2036-12-18"}]}), 422, "local_events.0.starts_at")
    problem(gateway.http.post("/events/migrants-day", json={
        "year": 2036, "title": {"ja": "国際移住者デー"},
        "local_events": [{"region": "kanto", "city": "東京", "all_day": True,
                          "starts_at": "2036-12-18", "ends_at": "2036-12-17"}]}), 422, "local_events.0.ends_at")


# --- dates and numbers computers cannot hold ---------------------------------------------------

@pytest.mark.parametrize("path, params, field", [
    ("/events", {"from": "0001-01-01"}, "from"),
    ("/events", {"to": "9999-12-31T23:59:00-12:00"}, "to"),
    ("/events", {"from": "0001-01-01T00:00:00+14:00"}, "from"),
    ("/events", {"to": "9999-12-31"}, "to"),
    ("/schedule", {"from": "9999-12-31"}, "from"),
    ("/schedule", {"from": "0001-01-01"}, "from"),
    ("/schedule", {"from": "2030-01-01", "to": "9999-12-31"}, "to"),
])
def test_implausible_dates_in_queries_are_refused_naming_the_parameter(public, path, params, field):
    body = problem(public.get(path, params=params), 422, field)
    assert "1900" in body["detail"] and "2200" in body["detail"]


def test_dates_at_the_edges_and_times_without_an_offset_are_answered(public, published):
    assert public.get("/schedule", params={"from": "2200-12-31"}).status_code == 200
    assert public.get("/events", params={"from": "1900-01-01", "to": "2200-12-31T23:59:00-12:00"}).status_code == 200
    found = public.get("/events", params={"from": "2037-03-10T09:00", "to": "2037-03-10T11:00"})  # Japan's time
    assert found.status_code == 200, found.text
    assert published["id"] in {e["id"] for e in found.json()}


@pytest.mark.parametrize("change, field", [
    ({"capacity": BIG}, "capacity"),
    ({"capacity": 2 ** 31}, "capacity"),
    ({"group_quota": BIG}, "group_quota"),
    ({"series": "national-forum", "edition": BIG}, "edition"),
    ({"sessions": [{**SESSION, "capacity": BIG}]}, "sessions.0.capacity"),
    ({"starts_at": "0001-01-01T10:00"}, "starts_at"),
    ({"starts_at": "0001-01-01T00:00:00+14:00", "ends_at": "0001-01-01T10:00:00+14:00"}, "starts_at"),
    ({"ends_at": "9999-12-31T23:59:00-12:00"}, "ends_at"),
    ({"all_day": True, "starts_at": "2037-03-10", "ends_at": "9999-12-31"}, "ends_at"),
    ({"registration_opens_at": "0001-01-01T00:00"}, "registration_opens_at"),
    ({"registration_closes_at": "9999-12-31T23:59:59"}, "registration_closes_at"),
    ({"attendee_names_deadline": "0001-01-01T00:00"}, "attendee_names_deadline"),
    ({"sessions": [{**SESSION, "starts_at": "0001-01-01T10:00"}]}, "sessions.0.starts_at"),
])
def test_implausible_numbers_and_dates_in_an_event_are_refused(gateway, change, field):
    problem(gateway.http.post("/events", json={**EVENT, **change}), 422, field)


def test_a_patch_and_a_postponement_are_held_to_the_same_bounds(gateway, published):
    http, event_id = gateway.http, published["id"]
    problem(http.patch(f"/events/{event_id}", json={"capacity": BIG}), 422, "capacity")
    problem(http.patch(f"/events/{event_id}", json={"starts_at": "0001-01-01T10:00"}), 422, "starts_at")
    problem(http.patch(f"/events/{event_id}", json={"all_day": True, "starts_at": "2037-03-10",
                                                   "ends_at": "9999-12-31"}), 422, "ends_at")
    problem(http.post(f"/events/{event_id}/postpone", json={"starts_at": "0001-01-01T00:00:00+14:00"}), 422,
            "starts_at")
    problem(http.post(f"/events/{event_id}/postpone", json={"ends_at": "9999-12-31T23:59:00-12:00"}), 422, "ends_at")
    assert http.get(f"/events/{event_id}").json()["status"] == "published"  # nothing was changed


def test_migrants_day_capacities_and_registrations_are_bounded(gateway, public, published):
    problem(gateway.http.post("/events/migrants-day", json={
        "year": 2036, "title": {"ja": "国際移住者デー"},
        "local_events": [{"region": "kanto", "city": "東京", "starts_at": "2036-12-18T10:00",
                          "ends_at": "2036-12-18T12:00", "capacity": BIG}]}), 422, "local_events.0.capacity")
    problem(public.post(f"/events/{published['id']}/registrations", json={
        "kind": "delegation", "display_name": "G", "email": "g@example.org", "member_group_id": "x",
        "places": BIG}), 422, "places")


# --- texts of any length -----------------------------------------------------------------------

@pytest.mark.parametrize("change, field", [
    ({"title": {"ja": "長" * 10_000}}, "title"),
    ({"title": {"ja": "一行目\n二行目"}}, "title"),
    ({"description": {"ja": "説明" * 20_000}}, "description"),
    ({"title": {f"en-v{n}": "t" for n in range(40)}}, "title"),
    ({"networks": [f"network-{n}" for n in range(1_000)]}, "networks"),
    ({"networks": ["labour rights"]}, "networks"),
    ({"networks": ["n" * 100]}, "networks"),
    ({"sessions": [{**SESSION, "title": {"ja": "長" * 1_000}}]}, "sessions.0.title"),
    ({"sessions": [{**SESSION, "room": "r" * 1_000}]}, "sessions.0.room"),
    ({"sessions": [SESSION] * 300}, "sessions"),
    ({"sessions": [{**SESSION, "languages": ["ja"] * 100}]}, "sessions.0.languages"),
    ({"venue": {"name": "会場", "online_url": "javascript:alert(1)"}}, "venue.online_url"),
    ({"city": "市\r\nX-Header: 1"}, "city"),
    ({"timezone": "Asia/" + "x" * 10_000}, "timezone"),
    ({"title": {"ja": "題", "en-" + "x" * 10_000: "t"}}, "title"),
])
def test_event_texts_have_documented_limits(gateway, change, field):
    problem(gateway.http.post("/events", json={**EVENT, **change}), 422, field)


def test_registration_texts_have_limits(public, published):
    def register(**fields):
        return public.post(f"/events/{published['id']}/registrations",
                           json={"display_name": "Ana", "email": "ana@example.org", **fields})
    problem(register(display_name="Ana\r\nBcc: all@example.org"), 422, "display_name")
    problem(register(session_ids=["s" * 1_000]), 422, "session_ids")
    problem(register(session_ids=[f"s{n}" for n in range(1_000)]), 422, "session_ids")
    problem(register(kind="delegation", member_group_id="g" * 1_000, places=2), 422, "member_group_id")
    problem(register(kind="delegation", member_group_id="g", places=2,
                     attendees=[{"name": "a"}] * 10_000), 422, "attendees")
    problem(register(needs={"note": "n" * 10_000}), 422, "needs.note")


# --- drafts stay invisible ---------------------------------------------------------------------

def test_a_draft_answers_exactly_like_an_unknown_event(gateway, public):
    draft = gateway.new_event(**EVENT)
    unknown = str(uuid.uuid4())
    cancelled_draft = gateway.new_event(**{**EVENT, "title": {"ja": "取りやめた下書き"}})
    assert gateway.http.post(f"/events/{cancelled_draft['id']}/cancel").status_code == 200
    for hidden in (draft["id"], cancelled_draft["id"]):
        for method, path, payload in [
                ("POST", "/events/{}/registrations", {"display_name": "A", "email": "a@example.org"}),
                ("GET", "/events/{}", None), ("GET", "/events/{}.ics", None)]:
            seen = public.request(method, path.format(hidden), json=payload)
            expected = public.request(method, path.format(unknown), json=payload)
            assert seen.status_code == expected.status_code == 404, (path, seen.text)
            assert seen.json()["detail"].replace(hidden, "ID") == expected.json()["detail"].replace(unknown, "ID")
            assert seen.json()["errors"] == [{**e, "message": e["message"].replace(unknown, hidden)}
                                             for e in expected.json()["errors"]]
    listed = {e["id"] for e in public.get("/events", params={"status": "cancelled"}).json()}
    scheduled = {e["id"] for e in public.get("/schedule", params={"from": "2037-03-01"}).json()["events"]}
    feed = public.get("/feeds/events.ics", params={"region": "kanto"}).text
    assert cancelled_draft["id"] not in listed | scheduled and cancelled_draft["id"] not in feed
