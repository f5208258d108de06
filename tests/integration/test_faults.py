"""Faults against the real system: duplicates, a broker that goes away, services killed with -9.
Whatever happens, a published event is announced to each subscriber exactly once."""
from __future__ import annotations

import threading
import time
import uuid

import httpx
from kombu import Connection, Producer

from shared.bus.dead_letters import list_dead_letters
from shared.bus.topology import event_exchange
from shared.contracts.base import utcnow
from shared.contracts.events import EventPublished, EventView
from tests.integration.conftest import SUBSCRIBERS, expected_recipients


def event_view(**overrides) -> EventView:
    now = utcnow()
    values = dict(id=str(uuid.uuid4()), status="published", revision=1, kind="workshop",
                  title={"ja": "ワークショップ"}, description={}, region="kanto", prefecture=None,
                  city="東京", venue=None, starts_at=now, ends_at=now, timezone="Asia/Tokyo", networks=[],
                  created_at=now, updated_at=now, published_at=now)
    values.update(overrides)
    return EventView(**values)


def publish_raw(settings, payload: dict, routing_key: str = "event_published") -> None:
    with Connection(settings.amqp_uri) as connection:
        Producer(connection.default_channel).publish(
            payload, exchange=event_exchange("events"), routing_key=routing_key, serializer="json",
            delivery_mode=2, declare=[event_exchange("events")])


def test_the_same_event_delivered_twice_sends_one_mail(stack, mailbox):
    published = EventPublished(event=event_view())
    publish_raw(stack.settings, published.to_wire())
    publish_raw(stack.settings, published.to_wire())
    # a second event_id for the same event revision (an operator's replay, a relay's double) too
    publish_raw(stack.settings, EventPublished(event=published.event).to_wire())
    event_id = published.event.id
    assert mailbox.wait_for([event_id], len(SUBSCRIBERS), 10)[event_id] == expected_recipients()
    time.sleep(2)
    assert mailbox.recipients_for(event_id) == expected_recipients()


def test_a_message_that_breaks_the_contract_is_dead_lettered_not_dropped(stack):
    marker = f"broken-{uuid.uuid4().hex}"
    publish_raw(stack.settings, {"event_id": str(uuid.uuid4()), "not_an_event": marker})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        letters = [d for d in list_dead_letters(stack.settings.amqp_uri)
                   if d.payload.get("not_an_event") == marker]
        if letters:
            break
        time.sleep(0.3)
    assert letters, "the broken message was not kept"
    assert letters[0].consumer == "notifications.announce_event"
    assert "event_published contract" in letters[0].reason
    # listing does not consume them
    assert any(d.payload.get("not_an_event") == marker for d in list_dead_letters(stack.settings.amqp_uri))


def test_broker_restart_while_publishing_loses_and_duplicates_nothing(stack, gateway, mailbox):
    created: list[str] = []
    outcomes: list[int] = []
    stop = threading.Event()

    def organizer_keeps_publishing():
        client = httpx.Client(base_url=stack.settings.gateway_url, timeout=15, headers=gateway.http.headers)
        while not stop.is_set():
            try:
                response = client.post("/events", json={
                    "kind": "workshop", "title": {"ja": "再接続テスト"}, "region": "kanto",
                    "starts_at": "2027-01-10T10:00:00", "ends_at": "2027-01-10T12:00:00"})
                if response.status_code != 201:
                    outcomes.append(response.status_code)
                    time.sleep(0.3)
                    continue
                created.append(response.json()["id"])
                outcomes.append(client.post(f"/events/{created[-1]}/publish").status_code)
            except httpx.HTTPError:
                outcomes.append(0)
            time.sleep(0.1)

    worker = threading.Thread(target=organizer_keeps_publishing)
    worker.start()
    try:
        while len(created) < 3:
            time.sleep(0.1)
        stack.stop_broker()
        time.sleep(2)
        stack.start_broker()
        stack.wait_healthy(60)
        settled = len(created)
        while len(created) < settled + 3:
            time.sleep(0.1)
    finally:
        stop.set()
        worker.join(30)

    assert any(code in (503, 0) for code in outcomes), "the outage was never noticed; nothing was tested"
    statuses = {event_id: gateway.http.get(f"/events/{event_id}").json()["status"] for event_id in created}
    published = [event_id for event_id, status in statuses.items() if status == "published"]
    drafts = [event_id for event_id, status in statuses.items() if status == "draft"]
    assert len(published) >= 6
    arrived = mailbox.wait_for(published, len(SUBSCRIBERS), timeout=60)
    for event_id in published:
        assert arrived[event_id] == expected_recipients(), (event_id, arrived[event_id])
    for event_id in drafts:
        assert mailbox.recipients_for(event_id) == {}


def test_notifications_killed_then_restarted_loses_nothing(stack, gateway, mailbox):
    stack.kill_process("notifications")
    try:
        events = [gateway.new_event() for _ in range(3)]
        for event in events:
            assert gateway.publish(event["id"]).status_code == 200
        time.sleep(1.5)
        assert all(mailbox.recipients_for(event["id"]) == {} for event in events)  # queued, waiting
    finally:
        stack.start_service("notifications")
    ids = [event["id"] for event in events]
    arrived = mailbox.wait_for(ids, len(SUBSCRIBERS), timeout=30)
    assert all(arrived[event_id] == expected_recipients() for event_id in ids), arrived
    stack.wait_healthy(30)


def test_events_service_killed_mid_burst_then_restarted_loses_nothing(stack, gateway, mailbox):
    created: list[str] = []
    stop = threading.Event()

    def burst():
        client = httpx.Client(base_url=stack.settings.gateway_url, timeout=20, headers=gateway.http.headers)
        while not stop.is_set():
            try:
                response = client.post("/events", json={
                    "kind": "symposium", "title": {"en": "Kill test"}, "region": "online",
                    "starts_at": "2027-02-01T10:00:00", "ends_at": "2027-02-01T11:00:00"})
                if response.status_code == 201:
                    created.append(response.json()["id"])
                    client.post(f"/events/{created[-1]}/publish")
            except httpx.HTTPError:
                pass

    worker = threading.Thread(target=burst)
    worker.start()
    try:
        while len(created) < 5:
            time.sleep(0.05)
        stack.kill_process("events")
        time.sleep(1)
        stack.start_service("events")
        stack.wait_healthy(60)
        settled = len(created)
        while len(created) < settled + 3:
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(60)

    statuses = {event_id: gateway.http.get(f"/events/{event_id}").json()["status"] for event_id in created}
    published = [event_id for event_id, status in statuses.items() if status == "published"]
    assert len(published) >= 5
    arrived = mailbox.wait_for(published, len(SUBSCRIBERS), timeout=60)
    for event_id in published:
        assert arrived[event_id] == expected_recipients(), (event_id, arrived[event_id])


def test_health_names_a_service_that_stopped_answering(stack, gateway):
    stack.kill_process("members")
    try:
        response = gateway.http.get("/health")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["failing"] == ["members"] and "members" in body["detail"]
    finally:
        stack.start_service("members")
    assert stack.wait_healthy(60)["services"]["members"]["status"] == "ok"
