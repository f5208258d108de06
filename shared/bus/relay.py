"""The outbox relay: publishes committed outbox rows with publisher confirms, then marks them sent.

It runs as a managed thread of the publishing service (a WokenWorker): a commit that wrote outbox rows
wakes it at once; otherwise it looks every `outbox_poll_seconds`. Broker down: rows wait and the relay
retries with backoff. Process killed: the rows are still there and the next start publishes them. A row can be
published twice (killed between confirm and mark, or two instances of a service on SQLite): delivery
is at-least-once and every consumer is idempotent.
"""
from __future__ import annotations

import contextlib
import logging
import time

import amqp
from kombu import Connection, Producer
from nameko.constants import HEADER_PREFIX
from sqlalchemy import Text, bindparam, cast, select, update

from shared import correlation
from shared.background import WokenWorker
from shared.bus.tables import OUTBOX_WRITTEN, Outbox
from shared.bus.topology import PERSISTENT, event_exchange, require_for_source
from shared.contracts.base import utcnow
from shared.metrics import OUTBOX_LAG

log = logging.getLogger(__name__)
BATCH = 200
CONFIRM_TIMEOUT = 30.0


def _headers(row) -> dict[str, str]:
    headers = {"tsunagu-event-type": row.event_type}
    if row.correlation_id:  # nameko context data: the consumer's worker logs it, and hands it on
        headers[f"{HEADER_PREFIX}." + correlation.CONTEXT_KEY] = row.correlation_id
    return headers


class OutboxPublisher:
    """Publishes rows of one service's outbox; usable on its own (tests, benchmarks) or by the relay.

    A batch is published in one go and then waited for: the broker confirms every message (publisher
    confirms) before the rows are marked published, without one round trip per message.
    """

    def __init__(self, outbox: Outbox, sessionmaker, amqp_uri: str, source: str):
        self.outbox = outbox
        self.sessionmaker = sessionmaker
        self.amqp_uri = amqp_uri
        self.source = source
        self.exchange = event_exchange(source)
        table = outbox.table
        # The payload is read as the JSON text it is stored as and sent as such: no decoding and
        # encoding again on the way out.
        self._pending = (select(table.c.id, table.c.event_id, table.c.event_type, table.c.correlation_id,
                                cast(table.c.payload, Text).label("payload"))
                         .where(table.c.published_at.is_(None)).order_by(table.c.id).limit(BATCH))
        self._oldest = select(table.c.created_at).where(table.c.published_at.is_(None)).order_by(table.c.id).limit(1)
        self._mark = (update(table).where(table.c.id.in_(bindparam("ids", expanding=True)))
                      .values(published_at=bindparam("published_at")))
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._next_tag = 1  # the delivery tag the broker gives the next event published on the channel
        self._unconfirmed: set[int] = set()
        self._refused = False

    def _connect(self) -> Producer:
        if self._producer is None:
            connection = Connection(self.amqp_uri, connect_timeout=5)
            try:
                connection.ensure_connection(max_retries=1)
                channel: amqp.Channel = connection.default_channel  # py-amqp's: publisher confirms are its own
                # Subscribers' queues exist before the first event leaves, or it would be dropped; the
                # operator declares them (`tsunagu declare`), and until then the rows wait.
                require_for_source(channel, self.source)
            except BaseException:
                with contextlib.suppress(Exception):
                    connection.release()
                raise
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self._connection, self._next_tag, self._unconfirmed, self._refused = connection, 1, set(), False
            self._producer = Producer(channel, exchange=self.exchange, auto_declare=False)
        return self._producer

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self._unconfirmed = {tag for tag in self._unconfirmed if tag > delivery_tag}
        else:
            self._unconfirmed.discard(delivery_tag)

    def _on_nack(self, delivery_tag: int, multiple: bool, *_) -> None:
        self._refused = True
        self._on_ack(delivery_tag, multiple)

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # a dead connection cannot be closed politely
                self._connection.release()
        self._connection, self._producer = None, None

    def publish_batch(self) -> int:
        """Publish up to BATCH pending rows in order; returns how many were published."""
        with self.sessionmaker() as session:  # read, then release the connection before the bus wait
            rows = session.execute(self._pending).all()
        if not rows:
            return 0
        producer = self._connect()
        for row in rows:
            producer.publish(row.payload.encode("utf-8"), routing_key=row.event_type,
                             content_type="application/json", content_encoding="utf-8",
                             delivery_mode=PERSISTENT, message_id=row.event_id, retry=False,
                             headers=_headers(row))
            self._unconfirmed.add(self._next_tag)
            self._next_tag += 1
        deadline = time.monotonic() + CONFIRM_TIMEOUT
        while self._unconfirmed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the broker did not confirm {len(self._unconfirmed)} events")
            connection = self._connection
            assert connection is not None, "connected by _connect above"
            connection.drain_events(timeout=remaining)
        if self._refused:
            raise RuntimeError("the broker refused (nacked) an event; the batch will be published again")
        with self.sessionmaker.begin() as session:
            session.execute(self._mark, {"ids": [row.id for row in rows], "published_at": utcnow()})
        for row in rows:
            log.info("published %s %s", row.event_type, row.event_id, extra={"correlation_id": row.correlation_id})
        return len(rows)

    def lag_seconds(self) -> float:
        """How long the oldest row not yet published has waited (0 when none waits)."""
        with self.sessionmaker() as session:
            oldest = session.execute(self._oldest).scalar()
        return max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0

    def publish_all(self) -> int:
        total = 0
        while (count := self.publish_batch()) == BATCH:
            total += count
        return total + count


class OutboxRelay(WokenWorker):
    """Runs an OutboxPublisher in the background of a nameko service."""

    wake_flag = OUTBOX_WRITTEN
    gather_seconds = 0.025

    def __init__(self, outbox: Outbox):
        self.outbox = outbox

    def poll_seconds(self) -> float:
        return self.settings.outbox_poll_seconds

    def begin(self, sessionmaker) -> None:
        self.publisher = OutboxPublisher(self.outbox, sessionmaker, self.container.config["AMQP_URI"],
                                         self.container.service_name)

    def work(self) -> None:
        lag = OUTBOX_LAG.labels(self.container.service_name)
        lag.set(self.publisher.lag_seconds())  # before publishing: while the broker is away, it grows
        self.publisher.publish_all()
        lag.set(0.0)  # all published; what was committed meanwhile wakes the next round

    def end(self) -> None:
        self.publisher.close()
