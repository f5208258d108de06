"""Exchanges and queues, declared exactly as nameko declares them (same names, same flags), so that
declaring them ahead of nameko never conflicts with nameko's own declaration.

The operator declares the whole topology (`declare_all`: the local stack at start-up, the compose
file's `declare` step) before any part starts. The parts only check that what they use is there
(passive declares need no permission): their broker users may not create or delete what is shared
(shared.bus.permissions)."""
from __future__ import annotations

from kombu import Connection, Exchange, Queue

from shared.bus.subscriptions import SUBSCRIPTIONS, Subscription, subscriptions_from
from shared.settings import SERVICE_NAMES, QueueType

RPC_EXCHANGE = "nameko-rpc"  # nameko's default (RPC_EXCHANGE_CONFIG_KEY)
RPC_QUEUE = "rpc-{service}"  # nameko's RPC_QUEUE_TEMPLATE
GATEWAY_REPLY_QUEUE = "rpc.reply-gateway-{key}"  # key: 32 hex digits, also the replies' routing key
DEAD_LETTERS = "tsunagu.dead-letters"  # the exchange and its one queue
PERSISTENT = 2


def rpc_exchange() -> Exchange:
    return Exchange(RPC_EXCHANGE, type="topic", durable=True)


def event_exchange(source: str) -> Exchange:
    return Exchange(f"{source}.events", type="topic", durable=True, delivery_mode=PERSISTENT)


def subscription_queue(sub: Subscription, queue_type: QueueType = QueueType.CLASSIC) -> Queue:
    return Queue(sub.queue_name, exchange=event_exchange(sub.contract.source),
                 routing_key=sub.contract.event_type, durable=True, auto_delete=False, exclusive=False,
                 queue_arguments=queue_type.arguments)


def retry_exchange(consumer: str) -> Exchange:
    """Where a consumer puts events aside: its own, so it can reach no other consumer's queues."""
    return Exchange(f"{consumer}.retry", type="direct", durable=True, delivery_mode=PERSISTENT)


def retry_queue(consumer: str, consumer_queue: str, queue_type: QueueType = QueueType.CLASSIC) -> Queue:
    """Where an event that met a passing fault waits: it holds no consumer meanwhile, and when its
    time is up (per-message expiration) the broker puts it back on the consumer's own queue (and no
    other consumer's)."""
    name = f"{consumer_queue}.retry"
    return Queue(name, exchange=retry_exchange(consumer), routing_key=name, durable=True, auto_delete=False,
                 queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": consumer_queue,
                                  **queue_type.arguments})


def dead_letter_queue(queue_type: QueueType = QueueType.CLASSIC) -> Queue:
    return Queue(DEAD_LETTERS, exchange=Exchange(DEAD_LETTERS, type="direct", durable=True),
                 routing_key=DEAD_LETTERS, durable=True, auto_delete=False,
                 queue_arguments=queue_type.arguments)


def require(channel, *queues: Queue, exchanges: tuple[Exchange, ...] = ()) -> None:
    """Check that these queues and exchanges (the queues' own too) exist, creating nothing: a part's broker
    user may not (a missing one closes the channel with NOT_FOUND, and the caller tries again later)."""
    for exchange in {each.name: each for each in (*exchanges, *(queue.exchange for queue in queues))}.values():
        channel.exchange_declare(exchange.name, exchange.type, passive=True)
    for queue in queues:
        channel.queue_declare(queue.name, passive=True)


def declare_all(connection: Connection, queue_type: QueueType) -> None:
    """The whole topology; the operator runs this once before the parts start (idempotent). The services'
    RPC queues are declared by the services themselves (nameko), of the same type (shared.bus.entrypoints)."""
    channel = connection.default_channel
    rpc_exchange()(channel).declare()
    for source in SERVICE_NAMES:  # every service publishes events; the gateway listens to some
        event_exchange(source)(channel).declare()
    for sub in SUBSCRIPTIONS:
        subscription_queue(sub, queue_type)(channel).declare()
        retry_queue(sub.consumer, sub.queue_name, queue_type)(channel).declare()
    dead_letter_queue(queue_type)(channel).declare()


def require_for_source(channel, source: str) -> None:
    """What a publisher needs before its first publish: its exchange and every subscriber's queue,
    or the event would be dropped."""
    require(channel, *(subscription_queue(sub) for sub in subscriptions_from(source)),
            exchanges=(event_exchange(source),))
