"""The outbox relay: publishes committed outbox rows with publisher confirms, then marks them sent.

It runs as a managed thread of the publishing service (a WokenWorker): a commit that wrote outbox rows
wakes it at once; otherwise it looks every `outbox_poll_seconds`. Broker down: rows wait and the relay
retries with backoff. Process killed: the rows are still there and the next start publishes them. A row can be
published twice (killed between confirm and mark, or two instances of a service on SQLite): delivery
is at-least-once and every consumer is idempotent.
"""
from __future__ import annotations

from kombu import Connection, Producer
from sqlalchemy import select, update

from shared.background import WokenWorker
from shared.bus.tables import OUTBOX_WRITTEN, Outbox
from shared.bus.topology import PERSISTENT, declare_for_source, event_exchange
from shared.contracts.base import utcnow

BATCH = 200


class OutboxPublisher:
    """Publishes rows of one service's outbox; usable on its own (tests, benchmarks) or by the relay."""

    def __init__(self, outbox: Outbox, sessionmaker, amqp_uri: str, source: str):
        self.outbox = outbox
        self.sessionmaker = sessionmaker
        self.amqp_uri = amqp_uri
        self.source = source
        self.exchange = event_exchange(source)
        self._connection: Connection | None = None

    def _producer(self) -> Producer:
        if self._connection is None:
            connection = Connection(self.amqp_uri, transport_options={"confirm_publish": True},
                                    connect_timeout=5)
            connection.ensure_connection(max_retries=1)
            # Subscribers' queues exist before the first event leaves, or it would be dropped.
            declare_for_source(connection.default_channel, self.source)
            self._connection = connection
        return Producer(self._connection.default_channel, exchange=self.exchange)

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # a dead connection cannot be closed politely
                pass
            self._connection = None

    def publish_batch(self) -> int:
        """Publish up to BATCH pending rows in order; returns how many were published."""
        table = self.outbox.table
        with self.sessionmaker() as session:  # read, then release the connection before the bus wait
            rows = session.execute(
                select(table.c.id, table.c.event_id, table.c.event_type, table.c.payload)
                .where(table.c.published_at.is_(None)).order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return 0
        producer = self._producer()
        for row in rows:
            producer.publish(row.payload, routing_key=row.event_type, serializer="json",
                             delivery_mode=PERSISTENT, message_id=row.event_id, retry=False,
                             headers={"tsunagu-event-type": row.event_type})
        with self.sessionmaker.begin() as session:
            session.execute(update(table).where(table.c.id.in_([row.id for row in rows]))
                            .values(published_at=utcnow()))
        return len(rows)

    def publish_all(self) -> int:
        total = 0
        while (count := self.publish_batch()) == BATCH:
            total += count
        return total + count


class OutboxRelay(WokenWorker):
    """Runs an OutboxPublisher in the background of a nameko service."""

    wake_flag = OUTBOX_WRITTEN

    def __init__(self, outbox: Outbox):
        self.outbox = outbox

    def poll_seconds(self) -> float:
        return self.settings.outbox_poll_seconds

    def begin(self, sessionmaker) -> None:
        self.publisher = OutboxPublisher(self.outbox, sessionmaker, self.settings.amqp_uri,
                                         self.container.service_name)

    def work(self) -> None:
        self.publisher.publish_all()

    def end(self) -> None:
        self.publisher.close()
