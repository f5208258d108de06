"""The members service's entrypoints. They only route."""
from __future__ import annotations

from nameko.rpc import rpc

from services.members import models, operations
from shared.bus.relay import OutboxRelay
from shared.contracts.base import parse_contract
from shared.contracts.members import MemberGroupDraft
from shared.db import Database
from shared.health import Pingable

# Subscriptions: none yet (see shared/bus/subscriptions.py). Publishes: member_joined.


class MembersService(Pingable):
    name = "members"

    db = Database(models.metadata)
    relay = OutboxRelay(models.outbox)

    @rpc
    def create_group(self, draft: dict) -> dict:
        command = parse_contract(MemberGroupDraft, draft)
        with self.db.begin() as session:
            return operations.create_group(session, command).to_wire()

    @rpc
    def list_groups(self) -> list[dict]:
        with self.db() as session:
            return [view.to_wire() for view in operations.list_groups(session)]
