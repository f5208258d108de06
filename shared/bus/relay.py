"""The outbox relay: publishes committed outbox rows with publisher confirms, then marks them sent.

It runs as a managed thread of the publishing service. A commit that wrote outbox rows wakes it at
once; otherwise it looks every `outbox_poll_seconds`. Broker down: rows wait and the relay retries with
backoff. Process killed: the rows are still there and the next start publishes them. A row can be
published twice (killed between confirm and mark, or two instances of a service on SQLite): delivery
is at-least-once and every consumer is idempotent.
"""
from __future__ import annotations

import logging
import threading

from kombu import Connection, Producer
from nameko.extensions import DependencyProvider
from sqlalchemy import event, select, update

from shared.bus.tables import OUTBOX_WRITTEN, Outbox
from shared.bus.topology import PERSISTENT, declare_for_source, event_exchange
from shared.contracts.base import utcnow
from shared.db import SETTINGS_KEY, Database, find_dependency

log = logging.getLogger(__name__)
BATCH = 200
MAX_BACKOFF = 15.0


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


class OutboxRelay(DependencyProvider):
    """Runs an OutboxPublisher in the background of a nameko service."""

    def __init__(self, outbox: Outbox):
        self.outbox = outbox

    def setup(self):
        self.settings = self.container.config[SETTINGS_KEY]
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._running = False

    def start(self):
        database = find_dependency(self.container, Database)  # set up by now: setup() precedes start()
        self.publisher = OutboxPublisher(self.outbox, database.sessionmaker, self.settings.amqp_uri,
                                         self.container.service_name)
        event.listen(database.sessionmaker, "after_commit", self._after_commit)
        self._running = True
        self._wake.set()  # publish whatever an earlier run left behind
        self.container.spawn_managed_thread(self._run, identifier="outbox_relay")

    def stop(self):
        self._running = False
        self._stopped.set()
        self._wake.set()

    def kill(self):
        self.stop()

    def _after_commit(self, session):
        if session.info.pop(OUTBOX_WRITTEN, False):
            self._wake.set()

    def _run(self):
        backoff = 0.5
        while self._running:
            self._wake.wait(self.settings.outbox_poll_seconds)
            self._wake.clear()
            if not self._running:
                break
            try:
                self.publisher.publish_all()
                backoff = 0.5
            except Exception as exc:  # broker or database away: keep the rows, try again later
                log.warning("outbox relay of %s could not publish (%s); retrying in %.1fs",
                            self.container.service_name, exc, backoff)
                self.publisher.close()
                self._stopped.wait(backoff)  # not time.sleep: stop() ends the backoff at once
                backoff = min(backoff * 2, MAX_BACKOFF)
                self._wake.set()
        self.publisher.close()
