"""The gateway on the bus, from outside: two gateway processes (TSUNAGU_HTTP_WORKERS=2) each with its
own reply queue and its own feed cache that a change empties; a registration whose call timed out
while the events service was away is not created when the service comes back; a broker restart is a
503 naming the bus, and the same gateway answers again afterwards."""
from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.integration.conftest import Gateway, management_api, stack_settings
from tests.integration.patience import PATIENCE, eventually
from tsunagu.stack import Stack

RPC_TIMEOUT = 3.0


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    settings = stack_settings(tmp_path_factory.mktemp("workers"), http_workers=2)
    settings.rpc_timeout = RPC_TIMEOUT
    with Stack(settings) as running:
        yield running


def published_event(gateway: Gateway) -> dict:
    event = gateway.new_event()
    assert gateway.publish(event["id"]).status_code == 200
    return event


def reply_queues(stack: Stack) -> list[str]:
    return [queue["name"] for queue in management_api(stack.settings, "queues")
            if queue["name"].startswith("rpc.reply-gateway-")]


def test_two_gateway_processes_each_have_a_reply_queue_and_a_feed_cache_a_change_empties(two_workers):
    gateway = Gateway(two_workers.settings)
    assert len(eventually(lambda: len(reply_queues(two_workers)) == 2 and reply_queues(two_workers))) == 2
    event = published_event(gateway)
    feed = f"/events/{event['id']}.ics"
    public = httpx.Client(base_url=two_workers.settings.gateway_url, timeout=30)  # a new connection per request
    for _ in range(20):  # both processes build and keep the feed
        assert public.get(feed, headers={"Connection": "close"}).status_code == 200
    renamed = f"改名 {uuid.uuid4().hex[:6]}"
    assert gateway.http.patch(f"/events/{event['id']}", json={"title": {"ja": renamed}}).status_code == 200

    def every_answer_is_new() -> bool:
        return all(renamed in public.get(feed, headers={"Connection": "close"}).text for _ in range(20))
    assert eventually(every_answer_is_new), "a gateway process kept serving the feed from before the change"


def test_a_registration_that_timed_out_while_events_was_away_is_not_created(two_workers):
    gateway = Gateway(two_workers.settings)
    event = published_event(gateway)
    email = f"late-{uuid.uuid4().hex[:8]}@example.org"
    two_workers.stop_process("events")
    try:
        response = gateway.http.post(f"/events/{event['id']}/registrations",
                                     json={"display_name": "Late", "email": email})
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["service"] == "events" and "no answer in time" in response.json()["detail"]
        time.sleep(RPC_TIMEOUT)  # past the request's expiration
    finally:
        two_workers.start_service("events")
    two_workers.wait_healthy(PATIENCE)
    control = gateway.http.post(f"/events/{event['id']}/registrations",
                                json={"display_name": "On time", "email": f"ok-{email}"})
    assert control.status_code == 201, control.text
    registered = [r["email"] for r in gateway.http.get(f"/events/{event['id']}/registrations").json()]
    assert registered == [f"ok-{email}"]


def test_a_broker_restart_is_a_503_naming_the_bus_and_the_same_gateway_answers_after_it(two_workers):
    gateway = Gateway(two_workers.settings)
    event = published_event(gateway)
    gateway_pid = two_workers.processes["gateway"].pid
    two_workers.stop_broker()
    try:
        response = gateway.http.get(f"/events/{event['id']}")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert "message bus" in response.json()["detail"], response.json()
    finally:
        two_workers.start_broker()
    for name in two_workers.exited():  # what the supervisor of `make run` does
        if name != "gateway":
            two_workers.processes.pop(name)
            two_workers.start_service(name)
    two_workers.wait_healthy(PATIENCE)
    assert eventually(lambda: gateway.http.get(f"/events/{event['id']}").status_code == 200)
    assert two_workers.processes["gateway"].pid == gateway_pid and "gateway" not in two_workers.exited()
    assert len(eventually(lambda: len(reply_queues(two_workers)) == 2 and reply_queues(two_workers))) == 2
