"""The gateway's HTTP contract, with hand-written fake services behind a fake bus (no broker)."""
from __future__ import annotations

import pytest
from nameko.exceptions import RemoteError

from services.gateway.bus import BusUnavailable, CallTimedOut, UnknownService
from tests.unit.gateway_fakes import DRAFT, FEED_CACHE_BYTES, ORGANIZER, Down, assert_problem


def test_organizer_endpoints_need_somebody_with_a_personal_token_or_a_session(client, bus):
    response = client.post("/events", json=DRAFT)
    assert_problem(response, 401, "Authorization: Bearer")
    assert response.headers["www-authenticate"].startswith("Bearer")
    # the shared organizer token of old is no more: a bearer token must be a personal one
    assert_problem(client.post("/events", json=DRAFT, headers={"Authorization": "Bearer wrong"}), 401,
                   "personal API token")
    assert_problem(client.post("/events", json=DRAFT, headers={"Authorization": "Bearer tsu_wrong"}), 401,
                   "not valid")
    assert_problem(client.post("/events/x/publish"), 401)
    assert client.post("/events", json=DRAFT, headers=ORGANIZER).status_code == 201
    # the service is told who asked, signed: the claim names the token's person
    assert any("caller" in (context or {}) for context in bus.contexts)


def test_validation_errors_name_every_field(client):
    body = assert_problem(client.post("/events", headers=ORGANIZER,
                                      json={**DRAFT, "region": "atlantis", "capacity": -1}), 422, "region")
    assert {e["field"] for e in body["errors"]} == {"region", "capacity"}
    body = assert_problem(client.post("/events", headers=ORGANIZER, json={**DRAFT, "ends_at": "2027-06-11T10:00:00"}),
                          422, "ends_at: the event ends before it starts")
    assert body["errors"] == [{"field": "ends_at", "message": "the event ends before it starts"}]
    assert_problem(client.post("/events", headers=ORGANIZER, content=b"{not json"), 422)


def test_create_publish_and_read(client):
    created = client.post("/events", json=DRAFT, headers=ORGANIZER)
    assert created.status_code == 201
    event = created.json()
    assert created.headers["location"] == f"/events/{event['id']}"
    assert event["status"] == "draft" and event["starts_at"] == "2027-06-12T10:00:00+09:00"
    # a draft is invisible to the public, even its existence
    assert_problem(client.get(f"/events/{event['id']}"), 404)
    assert client.get("/events").json() == []
    assert client.get(f"/events/{event['id']}", headers=ORGANIZER).json()["status"] == "draft"
    published = client.post(f"/events/{event['id']}/publish", headers=ORGANIZER)
    assert published.status_code == 200 and published.json()["revision"] == 1
    assert client.get(f"/events/{event['id']}").json()["status"] == "published"
    assert [e["id"] for e in client.get("/events").json()] == [event["id"]]
    body = assert_problem(client.post(f"/events/{event['id']}/publish", headers=ORGANIZER), 409, "only a draft")
    assert body["errors"] == [{"field": "status", "message": "only a draft can be published"}]


def test_unknown_paths_and_methods_are_problems_too(client):
    assert_problem(client.get("/nowhere"), 404, "/nowhere")
    assert_problem(client.delete("/events"), 405, "DELETE")
    assert_problem(client.get("/events/unknown-id"), 404, "unknown-id")


@pytest.mark.parametrize("error, words", [(UnknownService(), "not running"),
                                          (CallTimedOut(), "no answer in time"),
                                          (BusUnavailable(), "message bus is unreachable")])
def test_a_service_that_does_not_answer_is_a_503_naming_it(client, services, error, words):
    services.events = Down(error)
    response = client.get("/events")
    body = assert_problem(response, 503, "events", words)
    assert body["service"] == "events" and response.headers["retry-after"]


def test_a_failing_service_is_a_500_that_does_not_leak_its_message(client, services):
    services.events = Down(RemoteError("KeyError", "secret internals"))
    body = assert_problem(client.get("/events"), 500, "events", "KeyError")
    assert "secret internals" not in body["detail"]


def test_health_lists_every_service(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert {name: s["status"] for name, s in response.json()["services"].items()} == {
        "events": "ok", "members": "ok", "notifications": "ok"}


def test_health_names_the_service_that_does_not_answer(client, services):
    services.notifications = Down(UnknownService())
    body = assert_problem(client.get("/health"), 503, "notifications")
    assert body["failing"] == ["notifications"]
    assert body["services"]["events"]["status"] == "ok"


def test_every_command_carries_an_idempotency_key_and_reads_carry_none(client, bus):
    client.post("/events", json=DRAFT, headers=ORGANIZER)
    client.post("/events", json=DRAFT, headers={**ORGANIZER, "Idempotency-Key": "client-chosen-key-1"})
    client.get("/events")
    made, given, read = bus.contexts[-3:]
    assert len(made["idempotency_key"]) >= 32  # one the gateway made for this request alone
    assert given["idempotency_key"] == "client-chosen-key-1"
    assert read is None  # nobody asked, nothing to repeat safely
    client.post("/events", json=DRAFT, headers=ORGANIZER)
    assert bus.contexts[-1]["idempotency_key"] != made["idempotency_key"]


def test_an_unusable_idempotency_key_is_refused(client):
    body = assert_problem(client.post("/events", json=DRAFT, headers={**ORGANIZER, "Idempotency-Key": "x" * 300}),
                          422, "Idempotency-Key")
    assert body["errors"][0]["field"] == "Idempotency-Key"


def test_made_up_feed_parameters_are_refused_or_kept_within_the_bound(client, services):
    cache = client.app.state.feed_cache
    cache.listening = True  # as when the invalidator is connected: feeds are kept
    for n in range(300):
        body = assert_problem(client.get("/feeds/events.ics", params={"lang": f"xx-{n}"}), 422, "lang")
        assert [e["field"] for e in body["errors"]] == ["lang"]
    assert services.events.feeds_built == 0
    for n in range(1_000):  # a network nobody uses is a valid, empty feed: kept, but within the bound
        assert client.get("/feeds/events.ics", params={"network": f"made-up-{n}"}).status_code == 200
        assert cache.size_bytes <= FEED_CACHE_BYTES
    assert 0 < len(cache) < 1_000
    built = services.events.feeds_built
    assert client.get("/feeds/events.ics", params={"network": "made-up-999"}).status_code == 200
    assert services.events.feeds_built == built  # the most recent ones are still there


def test_the_feed_source_and_the_cache_key_hold_only_what_selects_the_feed(client, services):
    client.app.state.feed_cache.listening = True
    first = client.get("/feeds/events.ics", params={"utm_source": "x", "lang": "EN-gb", "kind": "workshop",
                                                    "region": "kanto", "network": "Labour"})
    canonical = "http://127.0.0.1:8000/feeds/events.ics?region=kanto&kind=workshop&network=labour&lang=en"
    assert f"SOURCE:{canonical}\r\n" in first.text
    again = client.get("/feeds/events.ics", params={"region": "kanto", "kind": "workshop", "network": "labour",
                                                    "lang": "en"})
    assert again.text == first.text and services.events.feeds_built == 1
    series = client.get("/feeds/workshops.ics", params={"kind": "symposium", "lang": "ja-JP"})
    assert "SOURCE:http://127.0.0.1:8000/feeds/workshops.ics?lang=ja\r\n" in series.text
