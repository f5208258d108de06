"""An organizer publishes an event through the gateway; every confirmed subscriber of the general
list receives one announcement, in their language, through real RabbitMQ and real SMTP."""
from __future__ import annotations

import time

from tests.integration.conftest import SUBSCRIBERS, expected_recipients


def test_health_reports_three_services_learned_over_the_bus(gateway):
    response = gateway.http.get("/health")
    assert response.status_code == 200
    services = response.json()["services"]
    assert {name: state["status"] for name, state in services.items()} == {
        "events": "ok", "members": "ok", "notifications": "ok"}


def test_published_event_is_announced_once_to_each_subscriber(gateway, mailbox):
    event = gateway.new_event()
    assert gateway.publish(event["id"]).status_code == 200
    arrived = mailbox.wait_for([event["id"]], len(SUBSCRIBERS))[event["id"]]
    assert arrived == expected_recipients()
    time.sleep(1.5)  # nothing more trickles in afterwards
    assert mailbox.recipients_for(event["id"]) == expected_recipients()

    by_recipient = {m["X-Sink-Envelope-To"]: m for m in mailbox.for_event(event["id"])}
    assert by_recipient["en@example.org"]["Subject"] == "[International Migrants Day] International Migrants Day"
    assert by_recipient["en@example.org"]["Content-Language"] == "en"
    assert by_recipient["vi@example.org"]["Content-Language"] == "vi"  # the mail's own words in Vietnamese
    assert by_recipient["vi@example.org"]["Subject"].startswith("[Ngày Quốc tế Người di cư] ")
    assert by_recipient["easy@example.org"]["Content-Language"] == "ja-x-easy"
    assert by_recipient["ja@example.org"]["List-Id"].startswith("General <general.lists.")
    assert "2026年12月18日(金) 12:00〜14:00" in by_recipient["ja@example.org"].get_body(preferencelist=("plain",)).get_content()


def test_a_draft_is_not_announced(gateway, mailbox):
    event = gateway.new_event()
    time.sleep(2)
    assert mailbox.recipients_for(event["id"]) == {}


def test_publishing_twice_is_refused_and_announces_once(gateway, mailbox):
    event = gateway.new_event()
    assert gateway.publish(event["id"]).status_code == 200
    second = gateway.publish(event["id"])
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"
    assert mailbox.wait_for([event["id"]], len(SUBSCRIBERS))[event["id"]] == expected_recipients()
