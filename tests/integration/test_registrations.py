"""Registrations through the gateway, against the real broker and services."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.integration.oversell import check_never_oversold
from tests.integration.patience import PATIENCE

FORUM = {"kind": "national_forum", "title": {"ja": "全国フォーラム", "en": "National Forum"}, "region": "kyushu-okinawa",
         "starts_at": "2029-06-16T10:00", "ends_at": "2029-06-17T16:00", "capacity": 2,
         "sessions": [{"kind": "plenary", "title": {"ja": "全体会"}, "starts_at": "2029-06-16T10:00",
                       "ends_at": "2029-06-16T12:00"}]}


def problem(response: httpx.Response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    if field:
        assert field in [e["field"] for e in body.get("errors", [])], body
    return body


def test_register_wait_cancel_and_be_promoted(gateway):
    http = gateway.http
    event = http.post("/events", json=FORUM).json()
    plenary = event["sessions"][0]["id"]
    public = httpx.Client(base_url=str(http.base_url), timeout=30)
    problem(public.post(f"/events/{event['id']}/registrations",
                        json={"display_name": "A", "email": "a@example.org"}), 404, "event_id")  # a draft: unknown
    assert gateway.publish(event["id"], force=True).status_code == 200

    def register(name, **extra):
        response = public.post(f"/events/{event['id']}/registrations",
                               json={"display_name": name, "email": f"{name}@example.org", "language": "vi",
                                     "session_ids": [plenary], **extra})
        assert response.status_code == 201, response.text
        assert response.headers["location"] == f"/registrations/{response.json()['id']}"
        return response.json()

    first = register("first", needs={"interpretation": [{"source": "ja", "target": "vi"}], "step_free_access": True})
    second = register("second")
    third = register("third")
    assert [first["status"], second["status"], third["status"]] == ["confirmed", "confirmed", "waitlisted"]
    assert third["waitlist_position"] == 1
    assert first["manage_url"].endswith(f"/registrations/{first['id']}?token={first['manage_token']}")

    problem(public.get(f"/registrations/{first['id']}"), 404)
    problem(public.get(f"/registrations/{first['id']}", params={"token": "guess"}), 404)
    mine = public.get(f"/registrations/{first['id']}", params={"token": first["manage_token"]}).json()
    assert mine["status"] == "confirmed" and "manage_token" not in mine

    cancelled = public.delete(f"/registrations/{first['id']}", params={"token": first["manage_token"]})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    promoted = public.get(f"/registrations/{third['id']}", params={"token": third["manage_token"]}).json()
    assert promoted["status"] == "confirmed"

    problem(public.get(f"/events/{event['id']}/registrations"), 401)
    listed = http.get(f"/events/{event['id']}/registrations").json()
    assert [r["status"] for r in listed] == ["cancelled", "confirmed", "confirmed"]
    csv_response = http.get(f"/events/{event['id']}/registrations.csv")
    assert csv_response.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv_response.content.startswith("\ufeff".encode())
    assert "attachment" in csv_response.headers["content-disposition"]
    needs = http.get(f"/events/{event['id']}/needs").json()
    assert needs[0]["attendees"] == 2 and needs[1]["session_id"] == plenary


def test_bad_input_says_which_field_and_why(gateway):
    http = gateway.http
    problem(http.post("/events", json={**FORUM, "ends_at": "2029-06-15T10:00"}), 422, "ends_at")
    problem(http.post("/events", json={**FORUM, "region": "atlantis"}), 422, "region")
    problem(http.post("/events", json={**FORUM, "capacity": -3}), 422, "capacity")
    closed_at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    event = http.post("/events", json={**FORUM, "registration_closes_at": closed_at}).json()
    gateway.publish(event["id"], force=True)
    problem(http.post(f"/events/{event['id']}/registrations", json={"display_name": "Late", "email": "l@example.org"}),
            409, "registration_closes_at")
    problem(http.post(f"/events/{event['id']}/registrations", json={"display_name": "X", "email": "not-an-address"}),
            422, "email")
    problem(http.post(f"/events/{event['id']}/registrations",
                      json={"display_name": "X", "email": "x@example.org", "places": 3}), 422, "places")
    problem(http.post("/events/nope/registrations", json={"display_name": "X", "email": "x@example.org"}), 404)


def test_clash_needs_force_and_the_schedule_shows_it(gateway):
    http = gateway.http
    first = http.post("/events", json={**FORUM, "title": {"ja": "交渉1"}, "kind": "negotiation",
                                       "starts_at": "2030-02-01T10:00", "ends_at": "2030-02-01T12:00", "sessions": []}).json()
    gateway.publish(first["id"])
    second = http.post("/events", json={**FORUM, "title": {"ja": "交渉2"}, "kind": "negotiation",
                                        "starts_at": "2030-02-01T11:00", "ends_at": "2030-02-01T13:00", "sessions": []}).json()
    assert [c["event_id"] for c in second["conflicts"]] == [first["id"]]
    problem(gateway.publish(second["id"]), 409, "force")
    assert gateway.publish(second["id"], force=True).status_code == 200
    schedule = http.get("/schedule", params={"from": "2030-02-01", "to": "2030-02-02",
                                                             "region": "kyushu-okinawa"}).json()
    assert schedule["from"] == "2030-02-01" and [e["id"] for e in schedule["events"]] == [first["id"], second["id"]]
    cancelled = http.post(f"/events/{first['id']}/cancel", json={"reason": "延期"}).json()
    assert cancelled["status"] == "cancelled"
    again = http.get("/schedule", params={"from": "2030-02-01", "to": "2030-02-02"}).json()
    assert {e["id"]: e["status"] for e in again["events"]}[first["id"]] == "cancelled"


def test_never_oversold_with_two_instances_on_sqlite(stack):
    check_never_oversold(stack)


def test_a_member_groups_delegation_and_an_organizers_approval(stack, gateway):
    import time

    from shared.rpc import RpcPool
    http = gateway.http
    pool = RpcPool.for_operator(stack.settings, 1)
    try:
        with pool.services() as rpc:
            group = rpc.members.create_group({"name": {"ja": "移住者支援ネット九州"}, "kind": "npo",
                                              "region": "kyushu-okinawa", "external_id": "KYUSHU-1"})
            rpc.members.add_membership(group["id"], {"starts_on": "2020-04-01", "ends_on": "2099-03-31"})
    finally:
        pool.close()
    event = http.post("/events", json={**FORUM, "capacity": 10, "group_quota": 4, "requires_approval": True,
                                       "starts_at": "2031-06-16T10:00", "ends_at": "2031-06-17T16:00",
                                       "sessions": []}).json()
    gateway.publish(event["id"], force=True)
    delegation = {"kind": "delegation", "member_group_id": group["id"], "display_name": "九州ネット",
                  "email": "office@example.org", "places": 3}
    deadline = time.monotonic() + PATIENCE  # the events service learns of the new member over the bus
    while True:
        response = http.post(f"/events/{event['id']}/registrations", json=delegation)
        if response.status_code != 422 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["status"] == "pending"
    problem(http.post(f"/events/{event['id']}/registrations", json={**delegation, "places": 2}), 422, "places")

    named = http.put(f"/registrations/{receipt['id']}/attendees", params={"token": receipt["manage_token"]},
                     json={"attendees": [{"name": "Rosa", "needs": {"sign_language": "JSL"}}, {"name": "Ken"}]})
    assert named.status_code == 200 and [a["name"] for a in named.json()["attendees"]] == ["Rosa", "Ken"]
    problem(httpx.post(f"{stack.settings.gateway_url}/registrations/{receipt['id']}/approve"), 401)
    approved = http.post(f"/registrations/{receipt['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "confirmed"
    problem(http.post(f"/registrations/{receipt['id']}/reject"), 409, "status")
    needs = http.get(f"/events/{event['id']}/needs").json()
    assert needs[0]["attendees"] == 3 and needs[0]["sign_language"] == {"JSL": 1}
