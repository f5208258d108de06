"""A database that is unavailable for a while (here: the notifications database locked by another
process for longer than a write waits) is a fault that passes. Nothing is lost to it and nobody has to
replay anything: events wait and are applied once it is over, requests get a 503 with Retry-After, and
/health keeps answering."""
from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from shared.bus.dead_letters import list_dead_letters
from tests.integration.conftest import MailBox, secretariat_headers, seed_general_list, stack_settings
from tests.integration.patience import PATIENCE
from tsunagu.stack import Stack


@pytest.fixture(scope="module")
def faulty_stack(tmp_path_factory):
    # A write gives up after 1 s of waiting for a lock; an event put aside comes back after 1 s.
    settings = stack_settings(tmp_path_factory.mktemp("transient"), database_busy_seconds=1.0,
                              retry_seconds=1.0)
    with Stack(settings) as running:
        seed_general_list(settings)
        yield running


@contextmanager
def database_locked(path: Path):
    """Another process holds the database's write lock (as a long backup or a stuck job would)."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


def registration_mails(mailbox: MailBox, addresses: set[str]) -> dict[str, int]:
    counts = dict.fromkeys(addresses, 0)
    for message in mailbox.messages():
        recipient = message["X-Sink-Envelope-To"]
        if recipient in counts and message["List-Id"] is None:
            counts[recipient] += 1
    return counts


def test_registration_mail_waits_out_a_locked_database_and_is_sent_once(faulty_stack):
    settings = faulty_stack.settings
    http = httpx.Client(base_url=settings.gateway_url, timeout=30,
                        headers=secretariat_headers(settings))
    mailbox = MailBox(settings.mail_dir)
    event = http.post("/events", json={
        "kind": "workshop", "title": {"ja": "障害のあとで", "en": "After the fault"}, "region": "shikoku",
        "starts_at": "2027-03-06T13:00:00", "ends_at": "2027-03-06T17:00:00", "capacity": 100}).json()
    assert http.post(f"/events/{event['id']}/publish").status_code == 200
    addresses = {f"fault-{uuid.uuid4().hex[:8]}@example.org" for _ in range(10)}
    health_answers: list[int] = []

    with database_locked(settings.var_dir / "notifications.db"):
        for address in sorted(addresses):
            registered = http.post(f"/events/{event['id']}/registrations",
                                   json={"display_name": "Fault", "email": address, "language": "en"})
            assert registered.status_code == 201, registered.text  # the events database is fine
        # Requests that need the locked database are told to come back, not that something broke.
        subscribed = http.post("/lists/general/subscriptions", json={"email": "later@example.org"})
        assert subscribed.status_code == 503, subscribed.text
        assert subscribed.headers["content-type"] == "application/problem+json"
        assert int(subscribed.headers["retry-after"]) > 0
        # The events put aside hold no worker: the service keeps answering its health check.
        fault_ends = time.monotonic() + 12
        while time.monotonic() < fault_ends:
            health_answers.append(http.get("/health").status_code)
            time.sleep(0.5)

    assert set(health_answers) == {200}, health_answers
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline and 0 in registration_mails(mailbox, addresses).values():
        time.sleep(0.5)
    time.sleep(2)  # and nothing more trickles in
    assert registration_mails(mailbox, addresses) == dict.fromkeys(addresses, 1)
    stranded = [letter for letter in list_dead_letters(settings.amqp_uri)
                if letter.payload.get("registrant", {}).get("email") in addresses]
    assert stranded == []


def test_a_lock_shorter_than_a_writes_patience_is_no_fault(faulty_stack):
    """A lock held for less than TSUNAGU_DATABASE_BUSY_SECONDS only makes the request wait."""
    settings = faulty_stack.settings
    locked, answers = threading.Event(), []

    def subscribe_while_locked():
        locked.wait(10)
        answers.append(httpx.post(f"{settings.gateway_url}/lists/general/subscriptions", timeout=30,
                                  json={"email": f"soon-{uuid.uuid4().hex[:6]}@example.org"}).status_code)

    client = threading.Thread(target=subscribe_while_locked)
    client.start()
    with database_locked(settings.var_dir / "notifications.db"):
        locked.set()
        time.sleep(0.4)
    client.join(PATIENCE)
    assert answers == [202]
