"""Hundreds of people registering at once, through the gateway, to two instances of the events
service: confirmed places never exceed capacity. Used on SQLite and on PostgreSQL."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.integration.conftest import secretariat_headers
from tests.integration.patience import PATIENCE
from tsunagu.stack import Stack

CAPACITY = 40
SESSION_CAPACITY = 15
REQUESTS = 200
THREADS = 32


def instances_answering(stack: Stack) -> set[str]:
    """Which events instances answer pings (both share one RPC queue, so many pings reach both)."""
    from shared.rpc import RpcPool
    pool = RpcPool.for_operator(stack.settings, 8, timeout=10)
    try:
        def ping(_):
            with pool.services() as rpc:
                return rpc.events.ping()["instance"]
        with ThreadPoolExecutor(8) as executor:
            return set(executor.map(ping, range(40)))
    finally:
        pool.close()


def check_never_oversold(stack: Stack) -> None:
    stack.start_service("events", instance="events-2")
    try:
        stack.wait_healthy(PATIENCE)
        deadline_instances = set()
        for _ in range(20):
            deadline_instances = instances_answering(stack)
            if len(deadline_instances) == 2:
                break
        assert len(deadline_instances) == 2, f"the second instance never answered: {deadline_instances}"

        headers = secretariat_headers(stack.settings)
        base = stack.settings.gateway_url
        event = httpx.post(f"{base}/events", headers=headers, timeout=30, json={
            "kind": "symposium", "title": {"ja": "定員テスト"}, "region": "kanto", "capacity": CAPACITY,
            "starts_at": "2027-03-01T10:00", "ends_at": "2027-03-01T17:00",
            "sessions": [{"title": {"ja": "分科会"}, "capacity": SESSION_CAPACITY,
                          "starts_at": "2027-03-01T13:00", "ends_at": "2027-03-01T15:00"}]}).json()
        assert httpx.post(f"{base}/events/{event['id']}/publish", headers=headers, params={"force": "true"},
                          timeout=30).status_code == 200
        session_id = event["sessions"][0]["id"]

        local = threading.local()

        def register(index: int) -> tuple[int, str]:
            if not hasattr(local, "client"):
                local.client = httpx.Client(base_url=base, timeout=60)
            body = {"display_name": f"参加者{index}", "email": f"p{index}@example.org"}
            if index % 3 == 0:
                body["session_ids"] = [session_id]
            response = local.client.post(f"/events/{event['id']}/registrations", json=body)
            return response.status_code, response.json().get("status", response.text)

        with ThreadPoolExecutor(THREADS) as executor:
            answers = list(executor.map(register, range(REQUESTS)))
    finally:
        stack.stop_process("events-2")

    assert Counter(code for code, _ in answers) == {201: REQUESTS}, Counter(answers)
    statuses = Counter(status for _, status in answers)
    assert statuses["confirmed"] == CAPACITY, statuses  # every place taken, not one more
    assert statuses["waitlisted"] == REQUESTS - CAPACITY

    listed = httpx.get(f"{base}/events/{event['id']}/registrations", headers=headers, timeout=30).json()
    confirmed = [r for r in listed if r["status"] == "confirmed"]
    assert sum(r["places"] for r in confirmed) == CAPACITY
    assert sum(1 for r in confirmed if session_id in r["session_ids"]) <= SESSION_CAPACITY
    positions = [r["waitlist_position"] for r in listed if r["status"] == "waitlisted"]
    assert positions == list(range(1, REQUESTS - CAPACITY + 1))
    after = httpx.get(f"{base}/events/{event['id']}", timeout=30).json()
    assert after["confirmed_places"] == CAPACITY and after["places_left"] == 0
    assert after["sessions"][0]["confirmed_places"] <= SESSION_CAPACITY
