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
from shared.contracts.events import EventPublished
from tests.integration.conftest import SUBSCRIBERS, expected_recipients, secretariat_headers
from tests.integration.patience import PATIENCE
from tests.samples import event_view


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
    assert mailbox.wait_for([event_id], len(SUBSCRIBERS))[event_id] == expected_recipients()
    time.sleep(2)
    assert mailbox.recipients_for(event_id) == expected_recipients()


def test_a_message_that_breaks_the_contract_is_dead_lettered_not_dropped(stack):
    marker = f"broken-{uuid.uuid4().hex}"
    publish_raw(stack.settings, {"event_id": str(uuid.uuid4()), "not_an_event": marker})
    deadline = time.monotonic() + PATIENCE
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


class OrganizerBurst:
    """An organizer creating and publishing events in a loop on its own thread, noting every answer."""

    def __init__(self, settings, kind: str):
        self.settings, self.kind = settings, kind
        self.created: list[str] = []
        self.outcomes: list[int] = []  # HTTP statuses; 0 for a request that got no answer
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop)

    def _loop(self) -> None:
        client = httpx.Client(base_url=self.settings.gateway_url, timeout=60,
                              headers=secretariat_headers(self.settings))
        while not self._stop.is_set():
            try:
                response = client.post("/events", json={
                    "kind": self.kind, "title": {"ja": "障害テスト", "en": "Fault test"}, "region": "online",
                    "starts_at": "2027-02-01T10:00:00", "ends_at": "2027-02-01T11:00:00"})
                self.outcomes.append(response.status_code)
                if response.status_code == 201:
                    self.created.append(response.json()["id"])
                    self.outcomes.append(client.post(f"/events/{self.created[-1]}/publish",
                                                     params={"force": "true"}).status_code)
                else:
                    time.sleep(0.3)
            except httpx.HTTPError:
                self.outcomes.append(0)
            time.sleep(0.05)

    def wait_for_more(self, count: int, timeout: float = PATIENCE) -> None:
        target, deadline = len(self.created) + count, time.monotonic() + timeout
        while len(self.created) < target:
            assert time.monotonic() < deadline, "the organizer could not create events any more"
            time.sleep(0.05)

    def __enter__(self) -> OrganizerBurst:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(PATIENCE)

    def published_and_drafts(self, gateway) -> tuple[list[str], list[str]]:
        statuses = {event_id: gateway.http.get(f"/events/{event_id}").json()["status"]
                    for event_id in self.created}
        return ([e for e, status in statuses.items() if status == "published"],
                [e for e, status in statuses.items() if status == "draft"])


def assert_announced_exactly_once(mailbox, published: list[str], drafts: list[str]) -> None:
    arrived = mailbox.wait_for(published, len(SUBSCRIBERS))
    for event_id in published:
        assert arrived[event_id] == expected_recipients(), (event_id, arrived[event_id])
    for event_id in drafts:
        assert mailbox.recipients_for(event_id) == {}


def test_broker_restart_while_publishing_loses_and_duplicates_nothing(stack, gateway, mailbox):
    with OrganizerBurst(stack.settings, "workshop") as organizer:
        organizer.wait_for_more(3)
        stack.stop_broker()
        time.sleep(2)
        stack.start_broker()
        stack.wait_healthy(PATIENCE)
        organizer.wait_for_more(3)
    assert any(code in (503, 0) for code in organizer.outcomes), "the outage was never noticed"
    published, drafts = organizer.published_and_drafts(gateway)
    assert len(published) >= 6
    assert_announced_exactly_once(mailbox, published, drafts)


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
    arrived = mailbox.wait_for(ids, len(SUBSCRIBERS))
    assert all(arrived[event_id] == expected_recipients() for event_id in ids), arrived
    stack.wait_healthy(PATIENCE)


def test_events_service_killed_mid_burst_then_restarted_loses_nothing(stack, gateway, mailbox):
    with OrganizerBurst(stack.settings, "symposium") as organizer:
        organizer.wait_for_more(5)
        stack.kill_process("events")
        time.sleep(1)
        stack.start_service("events")
        stack.wait_healthy(PATIENCE)
        organizer.wait_for_more(3)
    published, drafts = organizer.published_and_drafts(gateway)
    assert len(published) >= 5
    assert_announced_exactly_once(mailbox, published, drafts)


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
    assert stack.wait_healthy(PATIENCE)["services"]["members"]["status"] == "ok"
