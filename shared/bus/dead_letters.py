"""Dead letters: messages a consumer could not apply, kept on a durable queue with the reason.

An operator lists them (`tsunagu dead-letters`) and replays them once the cause is mended; a replay
republishes to the original exchange, and consumers that already applied the event skip it (inbox).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from kombu import Connection, Producer

from shared.bus.topology import DEAD_LETTERS, PERSISTENT, dead_letter_queue, event_exchange, require, retry_queue
from shared.contracts.base import utcnow


@dataclass(frozen=True)
class DeadLetter:
    consumer: str
    source: str
    event_type: str
    reason: str
    failed_at: str
    payload: dict


def send_to_dead_letters(amqp_uri: str, consumer: str, source: str, event_type: str, payload,
                         reason: str) -> None:
    """Keep a message that cannot be applied. Raises when the broker cannot take it (then the caller
    must not ack the original)."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}, connect_timeout=5) as conn:
        channel = conn.default_channel
        require(channel, dead_letter_queue())
        Producer(channel).publish(
            payload, exchange=DEAD_LETTERS, routing_key=DEAD_LETTERS, serializer="json",
            delivery_mode=PERSISTENT, retry=False,
            headers={"tsunagu-consumer": consumer, "tsunagu-source": source,
                     "tsunagu-event-type": event_type, "tsunagu-reason": reason[:2000],
                     "tsunagu-failed-at": utcnow().isoformat()})


def send_for_retry(amqp_uri: str, consumer: str, consumer_queue: str, payload, delay_seconds: float,
                   context: dict) -> None:
    """Put an event aside for `delay_seconds`, after which the broker hands it to `consumer_queue`
    again. `context` travels as nameko context data (headers `nameko.<key>`), so the next attempt
    knows how long the fault has lasted. Raises when the broker cannot take it (then the caller must
    not ack the original)."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}, connect_timeout=5) as conn:
        channel = conn.default_channel
        queue = retry_queue(consumer, consumer_queue)
        require(channel, queue)
        Producer(channel).publish(
            payload, exchange=queue.exchange.name, routing_key=queue.name, serializer="json", delivery_mode=PERSISTENT,
            retry=False, expiration=max(delay_seconds, 0.001),
            headers={f"nameko.{key}": value for key, value in context.items()})


def _as_dead_letter(message) -> DeadLetter:
    headers = message.headers or {}
    body = message.body
    payload = json.loads(body) if isinstance(body, (bytes, str)) else body
    return DeadLetter(consumer=headers.get("tsunagu-consumer", "?"),
                      source=headers.get("tsunagu-source", "?"),
                      event_type=headers.get("tsunagu-event-type", "?"),
                      reason=headers.get("tsunagu-reason", "?"),
                      failed_at=headers.get("tsunagu-failed-at", "?"), payload=payload)


def list_dead_letters(amqp_uri: str) -> list[DeadLetter]:
    """Read every dead letter and leave them all on the queue."""
    with Connection(amqp_uri, connect_timeout=5) as conn:
        queue = dead_letter_queue()(conn.default_channel)
        queue.queue_declare(passive=True)  # the operator's topology: classic or quorum, it is there
        held, letters = [], []
        while (message := queue.get(no_ack=False, accept=["json"])) is not None:
            held.append(message)
            letters.append(_as_dead_letter(message))
        for message in held:  # all fetched before any goes back, so none is read twice
            message.requeue()
        return letters


def replay_dead_letters(amqp_uri: str) -> int:
    """Republish every dead letter to its original exchange; returns how many."""
    count = 0
    with Connection(amqp_uri, transport_options={"confirm_publish": True}, connect_timeout=5) as conn:
        channel = conn.default_channel
        queue = dead_letter_queue()(channel)
        queue.queue_declare(passive=True)
        producer = Producer(channel)
        while (message := queue.get(no_ack=False, accept=["json"])) is not None:
            letter = _as_dead_letter(message)
            producer.publish(letter.payload, exchange=event_exchange(letter.source),
                             routing_key=letter.event_type, serializer="json", delivery_mode=PERSISTENT,
                             retry=False)
            message.ack()
            count += 1
    return count
