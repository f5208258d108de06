"""The events service's entrypoints. They only route: parse the contract, run the use case, answer."""
from __future__ import annotations

from nameko.rpc import rpc

from services.events import models, operations
from shared.bus.relay import OutboxRelay
from shared.contracts.base import parse_contract
from shared.contracts.events import EventDraft
from shared.db import Database
from shared.health import Pingable

# Subscriptions: none yet (see shared/bus/subscriptions.py). Publishes: event_published.


class EventsService(Pingable):
    name = "events"

    db = Database(models.metadata)
    relay = OutboxRelay(models.outbox)

    @rpc
    def create_event(self, draft: dict) -> dict:
        command = parse_contract(EventDraft, draft)
        with self.db.begin() as session:
            return operations.create_event(session, command).to_wire()

    @rpc
    def publish_event(self, event_id: str) -> dict:
        with self.db.begin() as session:
            return operations.publish_event(session, event_id).to_wire()

    @rpc
    def get_event(self, event_id: str) -> dict:
        with self.db() as session:
            return operations.get_event(session, event_id).to_wire()

    @rpc
    def list_events(self, status: str | None = None) -> list[dict]:
        with self.db() as session:
            return [view.to_wire() for view in operations.list_events(session, status)]
