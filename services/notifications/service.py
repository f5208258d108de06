"""The notifications service's entrypoints. They only route.

Subscriptions (the whole list is shared/bus/subscriptions.py):
    events.event_published → announce_event: an announcement to the general list
    members.member_erased  → forget_member: remove the person from every list and delivery record
"""
from __future__ import annotations

from nameko.rpc import rpc

from services.notifications import models, operations
from services.notifications.domain import announcement_key
from services.notifications.mailer import Mailer
from shared.bus.inbox import Inbox
from shared.bus.subscriptions import subscribe
from shared.contracts.base import parse_contract
from shared.contracts.events import EventPublished
from shared.contracts.members import MemberErased
from shared.contracts.notifications import ConfirmedSubscriber, MailingListDraft
from shared.db import Database
from shared.health import Pingable


class NotificationsService(Pingable):
    name = "notifications"

    db = Database(models.metadata)
    inbox = Inbox(models.inbox)
    mailer = Mailer()

    @subscribe(EventPublished)
    def announce_event(self, payload: dict) -> None:
        self.inbox.apply(payload, operations.announce_event)

    @subscribe(MemberErased)
    def forget_member(self, payload: dict) -> None:
        self.inbox.apply(payload, operations.forget_member)

    @rpc
    def create_list(self, draft: dict) -> dict:
        command = parse_contract(MailingListDraft, draft)
        with self.db.begin() as session:
            return operations.create_list(session, command).to_wire()

    @rpc
    def list_lists(self) -> list[dict]:
        with self.db() as session:
            return [view.to_wire() for view in operations.list_lists(session)]

    @rpc
    def add_confirmed_subscribers(self, slug: str, subscribers: list[dict]) -> int:
        commands = [parse_contract(ConfirmedSubscriber, item) for item in subscribers]
        with self.db.begin() as session:
            return operations.add_confirmed_subscribers(session, slug, commands)

    @rpc
    def announcement_deliveries(self, event_id: str, revision: int) -> dict:
        with self.db() as session:
            return operations.delivery_counts(session, announcement_key(event_id, revision)).to_wire()
