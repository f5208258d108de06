"""The outbox relay against a real RabbitMQ: rows wait while the broker is away, and while the
subscribers' queues are not declared yet (its broker user may not declare them); then they go out in
order, persistent; and they are marked sent only after the broker confirmed them."""
from __future__ import annotations

import json
import time

import pytest
from amqp.exceptions import NotFound
from kombu import Connection
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from services.events import models
from shared.bus.parts import BrokerPart
from shared.bus.relay import OutboxPublisher
from shared.bus.subscriptions import subscriptions_from
from shared.bus.topology import subscription_queue
from shared.contracts.events import EventPublished
from shared.db import make_engine
from shared.settings import Settings
from tests.databases import make_tables
from tests.integration.patience import PATIENCE
from tests.samples import event_view
from tsunagu.ports import free_amqp_port
from tsunagu.stack import Stack


@pytest.fixture
def broker(tmp_path):
    stack = Stack(Settings(environment="test", amqp_port=free_amqp_port(), var_dir=tmp_path))
    yield stack
    stack.stop_broker()


@pytest.fixture
def db(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/events.db")
    make_tables(engine, models)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def pending(db) -> int:
    table = models.outbox.table
    with db() as session:
        return len(session.execute(select(table.c.id).where(table.c.published_at.is_(None))).all())


def test_rows_wait_for_the_broker_then_go_out_in_order(broker, db):
    events = [EventPublished(event=event_view()) for _ in range(5)]
    with db.begin() as session:
        for event in events:
            models.outbox.record(session, event)
    publisher = OutboxPublisher(models.outbox, db, broker.settings.amqp_uri_for(BrokerPart.EVENTS), "events")

    with pytest.raises(Exception):  # noqa: B017 — any connection error will do: the broker is not there
        publisher.publish_batch()
    assert pending(db) == 5

    broker.start_broker()
    with pytest.raises(NotFound):  # the exchange and the subscribers' queues are not declared yet
        publisher.publish_batch()
    assert pending(db) == 5

    broker.declare_topology()
    assert publisher.publish_all() == 5
    assert pending(db) == 0
    assert publisher.publish_all() == 0  # nothing is sent twice

    received = []
    with Connection(broker.settings.amqp_uri) as connection:
        queue = subscription_queue(subscriptions_from("events")[0])(connection.default_channel)
        deadline = time.monotonic() + PATIENCE
        while len(received) < 5 and time.monotonic() < deadline:
            message = queue.get(no_ack=False)
            if message is None:
                time.sleep(0.1)
                continue
            received.append((json.loads(message.body)["event_id"], message.properties["delivery_mode"]))
            message.ack()
    assert received == [(str(event.event_id), 2) for event in events]
    publisher.close()
