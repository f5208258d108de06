"""A command the bus delivers twice runs once: the same registration, the same announcement, the same
answer — on the real broker, whether the second delivery comes from a crash or a client's retry."""
from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import httpx
from nameko.standalone.rpc import ClusterRpcProxy

from shared.bus.commands import IDEMPOTENCY_KEY
from shared.bus.requester import Voucher
from shared.contracts.identity import OPERATOR
from tests.integration.conftest import SUBSCRIBERS
from tests.integration.patience import PATIENCE


def rpc_config(settings) -> dict:
    return {"AMQP_URI": settings.amqp_uri, "serializer": "json", "ACCEPT": ["json"]}


def published_event(gateway, **overrides) -> dict:
    event = gateway.new_event(kind="symposium", region="kinki-kansai", capacity=500, **overrides)
    assert gateway.publish(event["id"], force=True).status_code == 200
    return event


def mail_to(mailbox, address: str) -> list:
    return [m for m in mailbox.messages() if m["X-Sink-Envelope-To"] == address]


def test_a_registration_delivered_twice_is_made_once(stack, gateway, mailbox):
    event = published_event(gateway)
    request = {"display_name": "二度届く", "email": f"twice-{uuid.uuid4().hex[:8]}@example.org", "language": "ja"}
    with ClusterRpcProxy(rpc_config(stack.settings), context_data={IDEMPOTENCY_KEY: uuid.uuid4().hex},
                         timeout=20) as rpc:
        first = rpc.events.register(event["id"], request)
        second = rpc.events.register(event["id"], request)  # what a redelivery after a crash does
    assert second == first  # the same registration, and the same manage token
    listed = gateway.http.get(f"/events/{event['id']}/registrations").json()
    assert [r["id"] for r in listed] == [first["id"]]
    mine = httpx.get(f"{stack.settings.gateway_url}/registrations/{first['id']}",
                     params={"token": second["manage_token"]})
    assert mine.status_code == 200
    deadline = time.monotonic() + PATIENCE
    while not mail_to(mailbox, request["email"]) and time.monotonic() < deadline:
        time.sleep(0.25)
    time.sleep(1.5)
    assert len(mail_to(mailbox, request["email"])) == 1


def test_an_announcement_delivered_twice_is_sent_once(stack, mailbox):
    subject = f"Twice {uuid.uuid4().hex[:6]}"
    draft = {"subject": {"en": subject}, "body": {"en": "Once is enough."}}
    context = {IDEMPOTENCY_KEY: uuid.uuid4().hex, **Voucher(stack.settings.secret_key).context(OPERATOR)}
    with ClusterRpcProxy(rpc_config(stack.settings), context_data=context, timeout=20) as rpc:
        first = rpc.notifications.post_announcement("general", draft)
        second = rpc.notifications.post_announcement("general", draft)
    assert second["id"] == first["id"]

    def received() -> Counter:
        return Counter(m["X-Sink-Envelope-To"] for m in mailbox.messages() if m["Subject"] == subject)
    deadline = time.monotonic() + PATIENCE
    while len(received()) < len(SUBSCRIBERS) and time.monotonic() < deadline:
        time.sleep(0.25)
    time.sleep(1.5)
    assert received() == Counter({subscriber["email"]: 1 for subscriber in SUBSCRIBERS})


def test_a_client_sending_again_with_its_key_gets_the_same_answer(stack, gateway):
    event = published_event(gateway)
    url = f"{stack.settings.gateway_url}/events/{event['id']}/registrations"
    request = {"display_name": "Retry", "email": f"retry-{uuid.uuid4().hex[:8]}@example.org"}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = httpx.post(url, json=request, headers=key)
    again = httpx.post(url, json=request, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.json()["manage_token"] == first.json()["manage_token"]
    other = httpx.post(url, json={**request, "display_name": "Someone else"}, headers=key)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    without = httpx.post(url, json=request)  # no key: a new request, a new registration
    assert without.status_code == 201 and without.json()["id"] != first.json()["id"]


def test_events_killed_during_registrations_leaves_no_orphan_and_no_double(stack, gateway, mailbox):
    """8 clients register 160 people; the events service is killed with -9 in the middle and started
    again. Clients that got no answer send again with the same Idempotency-Key, as a client should.
    Every registration that exists was answered to its client, and each person has one."""
    event = published_event(gateway)
    url = f"{stack.settings.gateway_url}/events/{event['id']}/registrations"
    people = [f"crash-{n:03d}-{uuid.uuid4().hex[:6]}@example.org" for n in range(160)]
    answered: dict[str, str] = {}  # email → registration id
    lock = threading.Lock()

    def client(mine: list[str]) -> None:
        http = httpx.Client(timeout=30)
        for email in mine:
            key = {"Idempotency-Key": str(uuid.uuid4())}
            deadline = time.monotonic() + PATIENCE
            while time.monotonic() < deadline:
                try:
                    response = http.post(url, json={"display_name": "Crash", "email": email}, headers=key)
                except httpx.HTTPError:
                    time.sleep(0.5)
                    continue
                if response.status_code == 201:
                    with lock:
                        answered[email] = response.json()["id"]
                    break
                assert response.status_code == 503, response.text
                time.sleep(0.5)

    threads = [threading.Thread(target=client, args=(people[n::8],)) for n in range(8)]
    for thread in threads:
        thread.start()
    while len(answered) < 40:
        time.sleep(0.05)
    stack.kill_process("events")
    time.sleep(1)
    stack.start_service("events")
    for thread in threads:
        thread.join(PATIENCE)
    stack.wait_healthy(PATIENCE)

    assert sorted(answered) == sorted(people)
    listed = gateway.http.get(f"/events/{event['id']}/registrations").json()
    assert Counter(r["email"] for r in listed) == Counter(dict.fromkeys(people, 1))
    assert {r["id"] for r in listed} == set(answered.values())
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline and not all(mail_to(mailbox, email) for email in people):
        time.sleep(0.5)
    time.sleep(1.5)
    assert Counter(m["X-Sink-Envelope-To"] for m in mailbox.messages()
                   if m["X-Sink-Envelope-To"] in set(people)) == Counter(dict.fromkeys(people, 1))
