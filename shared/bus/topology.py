"""Exchanges and queues, declared exactly as nameko declares them (same names, same flags), so that
declaring them ahead of nameko never conflicts with nameko's own declaration."""
from __future__ import annotations

from kombu import Connection, Exchange, Queue

from shared.bus.subscriptions import SUBSCRIPTIONS, Subscription, subscriptions_from

DEAD_LETTER_QUEUE = "tsunagu.dead-letters"
PERSISTENT = 2


def event_exchange(source: str) -> Exchange:
    return Exchange(f"{source}.events", type="topic", durable=True, delivery_mode=PERSISTENT)


def subscription_queue(sub: Subscription) -> Queue:
    return Queue(sub.queue_name, exchange=event_exchange(sub.contract.source),
                 routing_key=sub.contract.event_type, durable=True, auto_delete=False, exclusive=False)


def retry_queue(consumer_queue: str) -> Queue:
    """Where an event that met a passing fault waits: it holds no consumer meanwhile, and when its
    time is up (per-message expiration) the broker puts it back on the consumer's own queue (and no
    other consumer's)."""
    return Queue(f"{consumer_queue}.retry", exchange=Exchange(""), routing_key=f"{consumer_queue}.retry",
                 durable=True, auto_delete=False,
                 queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": consumer_queue})


def dead_letter_queue() -> Queue:
    return Queue(DEAD_LETTER_QUEUE, exchange=Exchange(""), routing_key=DEAD_LETTER_QUEUE, durable=True,
                 auto_delete=False)


def declare_for_source(channel, source: str) -> None:
    """What a publisher needs before its first publish: its exchange and every subscriber's queue."""
    event_exchange(source)(channel).declare()
    for sub in subscriptions_from(source):
        subscription_queue(sub)(channel).declare()


def declare_all(connection: Connection) -> None:
    """The whole topology; the stack runs this once at start-up, before the services."""
    channel = connection.default_channel
    for source in sorted({sub.contract.source for sub in SUBSCRIPTIONS}):
        declare_for_source(channel, source)
    for sub in SUBSCRIPTIONS:
        retry_queue(sub.queue_name)(channel).declare()
    dead_letter_queue()(channel).declare()
