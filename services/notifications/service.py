"""The notifications service's entrypoints. They only route.

Subscriptions (the whole list is shared/bus/subscriptions.py):
    events.event_published          → announce_event: the general list, the region's, the networks'
    events.registration_*           → mail_registration_*: one mail to the registrant per change
    members.membership_renewal_due  → mail_renewal_due: the renewal reminder
    members.sign_in_requested       → mail_sign_in_link: the one-time sign-in link
    members.member_erased           → forget_member: remove the person from every list, the ledger, messages
                                      and reminders; mail about them from before it is not sent
"""
from __future__ import annotations

import base64
from datetime import datetime

from nameko.dependency_providers import Config
from nameko.timer import timer

from services.notifications import erasure, models, operations, subscriber_import
from services.notifications.domain import announcement_key
from services.notifications.mailer import Mailer
from shared.audit import Audited
from shared.authority import organizer_of
from shared.bus.commands import Commands
from shared.bus.entrypoints import rpc
from shared.bus.inbox import Inbox
from shared.bus.requester import Requester
from shared.bus.subscriptions import subscribe
from shared.contracts.base import parse_contract, utcnow
from shared.contracts.events import (
    EventPublished,
    RegistrationAddressConfirmed,
    RegistrationApproved,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationExpired,
    RegistrationPending,
    RegistrationPromoted,
    RegistrationRejected,
    RegistrationWaitlisted,
)
from shared.contracts.identity import SignInRequested
from shared.contracts.members import MemberErased, MembershipRenewalDue
from shared.contracts.notifications import (
    AnnouncementDraft,
    ConfirmedSubscriber,
    MailingListDraft,
    SubscriberImportReport,
    SubscriptionRequest,
)
from shared.db import SETTINGS_KEY, Database, Sessions
from shared.erasure import reclaim_erased_space
from shared.health import Pingable
from shared.housekeeping import Housekeeping
from shared.observability import Observed

REMINDER_CHECK_SECONDS = 600


class NotificationsService(Pingable, Audited, Housekeeping):
    name = "notifications"

    db: Sessions = Database()  # workers see the Sessions it hands them
    observed = Observed()  # metrics port; the correlation id of each worker's log lines
    inbox = Inbox(models.inbox)
    mailer = Mailer()
    commands = Commands(models.commands)
    config = Config()
    asking = Requester()
    audit_trail = models.audit
    housekeeping_log = models.housekeeping

    # --- what happens elsewhere --------------------------------------------------------------------
    @subscribe(EventPublished)
    def announce_event(self, payload: dict) -> None:
        self.inbox.apply(payload, operations.announce_event)

    @subscribe(MemberErased)
    def forget_member(self, payload: dict) -> None:
        self.inbox.apply(payload, erasure.forget_member)
        reclaim_erased_space(self.db.engine)  # also after a redelivery: a crash may have come between

    @subscribe(MembershipRenewalDue)
    def mail_renewal_due(self, payload: dict) -> None:
        self.inbox.apply(payload, operations.mail_renewal_due)

    @subscribe(SignInRequested)
    def mail_sign_in_link(self, payload: dict) -> None:
        self.inbox.apply(payload, operations.mail_sign_in_link)

    @subscribe(RegistrationConfirmed)
    def mail_registration_confirmed(self, payload: dict) -> None:
        self.inbox.apply(payload, operations.mail_registration_change)

    @subscribe(RegistrationWaitlisted)
    def mail_registration_waitlisted(self, payload: dict) -> None:
        self.inbox.apply(payload, operations.mail_registration_change)

    @subscribe(RegistrationPromoted)
    def mail_registration_promoted(self, payload: dict) -> None:
        self.inbox.apply(payload, operations.mail_registration_change)

    @subscribe(RegistrationPending)
    def mail_registration_pending(self, payload: dict) -> None:
        self.inbox.apply(payload, operations.mail_registration_change)

    @subscribe(RegistrationApproved)
    def mail_registration_approved(self, payload: dict) -> None:
        self.inbox.apply(payload, operations.mail_registration_change)

    @subscribe(RegistrationRejected)
    def mail_registration_rejected(self, payload: dict) -> None:
        self.inbox.apply(payload, operations.mail_registration_change)

    @subscribe(RegistrationCancelled)
    def mail_registration_cancelled(self, payload: dict) -> None:
        self.inbox.apply(payload, operations.mail_registration_change)

    @subscribe(RegistrationAddressConfirmed)
    def mail_registration_address_confirmed(self, payload: dict) -> None:
        self.inbox.apply(payload, operations.mail_registration_change)

    @subscribe(RegistrationExpired)
    def mail_registration_expired(self, payload: dict) -> None:
        self.inbox.apply(payload, operations.mail_registration_change)

    # --- lists -----------------------------------------------------------------------------------
    @rpc
    def create_list(self, draft: dict) -> dict:
        command = parse_contract(MailingListDraft, draft)
        organizer_of(self.asking.organizer(), command.region, [command.network] if command.network else [],
                     f"the list {command.slug}")
        with self.db.begin() as session:
            return self.commands.once(session, "create_list", draft,
                                      lambda: operations.create_list(session, command).to_wire())

    @rpc
    def list_lists(self) -> list[dict]:
        self.asking.organizer()  # names and counts, no one's address
        with self.db() as session:
            return [view.to_wire() for view in operations.list_lists(session)]

    @rpc
    def public_lists(self) -> list[dict]:
        """What anyone may subscribe to: names and descriptions."""
        with self.db() as session:
            return [view.to_wire() for view in operations.public_lists(session)]

    @rpc
    def list_subscribers(self, slug: str) -> list[dict]:
        who = self.asking.organizer()
        with self.db.begin() as session:  # the audit entry is written with the read
            operations.organizer_of_list(session, slug, who)
            subscribers = operations.list_subscribers(session, slug)
            models.audit.record(session, who, "subscribers.list", f"list/{slug}", len(subscribers))
            return [view.to_wire() for view in subscribers]

    @rpc
    def add_confirmed_subscribers(self, slug: str, subscribers: list[dict]) -> int:
        checked = [parse_contract(ConfirmedSubscriber, item) for item in subscribers]
        who = self.asking.organizer()
        with self.db.begin() as session:
            operations.organizer_of_list(session, slug, who)
            return self.commands.once(session, "add_confirmed_subscribers", [slug, subscribers],
                                      lambda: operations.add_confirmed_subscribers(session, slug, checked))

    @rpc
    def import_subscribers(self, slug: str, content_base64: str, dry_run: bool = False) -> dict:
        who = self.asking.organizer()
        with self.db() as session:
            operations.organizer_of_list(session, slug, who)
        lines, problems, count = subscriber_import.parse(base64.b64decode(content_base64))

        def run() -> dict:
            counts, refused = operations.import_subscribers(session, slug, [(i.line, i.subscriber) for i in lines])
            rejected = sorted(problems + refused, key=lambda problem: problem.row)
            models.audit.record(session, who, "subscribers.import", f"list/{slug}", count)  # a dry run rolls back
            return SubscriberImportReport(dry_run=dry_run, rows=count, rejected=rejected, **counts).to_wire()
        if dry_run:
            with self.db() as session:
                report = run()
                session.rollback()
            return report
        with self.db.begin() as session:
            return self.commands.once(session, "import_subscribers", [slug, content_base64], run)

    @rpc
    def subscribe(self, slug: str, request: dict) -> None:
        command = parse_contract(SubscriptionRequest, request)
        with self.db.begin() as session:
            self.commands.once(session, "subscribe", [slug, request],
                               lambda: operations.subscribe(session, slug, command, self._secret()))

    @rpc
    def confirm_subscription(self, token: str) -> dict:
        with self.db.begin() as session:
            return self.commands.once(session, "confirm_subscription", [token],
                                      lambda: operations.confirm(session, token).to_wire())

    @rpc
    def unsubscribe(self, subscription_id: int, signature: str) -> dict:
        with self.db.begin() as session:
            return self.commands.once(session, "unsubscribe", [subscription_id, signature], lambda: (
                operations.unsubscribe(session, subscription_id, signature, self._secret()).to_wire()))

    @rpc
    def own_subscriptions(self) -> list[dict]:
        who = self.asking.someone()
        with self.db() as session:
            return [own.to_wire() for own in operations.own_subscriptions(session, who)]

    @rpc
    def leave_list(self, subscription_id: int) -> dict:
        who = self.asking.someone()
        with self.db.begin() as session:
            return operations.leave_list(session, subscription_id, who).to_wire()

    @rpc
    def unsubscribe_preview(self, subscription_id: int, signature: str) -> dict:
        with self.db() as session:
            return operations.unsubscribe_preview(session, subscription_id, signature, self._secret())

    # --- announcements ---------------------------------------------------------------------------
    @rpc
    def post_announcement(self, slug: str, draft: dict) -> dict:
        command = parse_contract(AnnouncementDraft, draft)
        who = self.asking.organizer()
        with self.db.begin() as session:
            operations.organizer_of_list(session, slug, who)
            return self.commands.once(session, "post_announcement", [slug, draft],
                                      lambda: operations.post_announcement(session, slug, command).to_wire())

    @rpc
    def announcement(self, announcement_id: str) -> dict:
        self.asking.organizer()  # counts of deliveries, no one's address
        with self.db() as session:
            return operations.announcement_view(session, announcement_id).to_wire()

    @rpc
    def announcement_deliveries(self, event_id: str, revision: int) -> dict:
        self.asking.organizer()
        with self.db() as session:
            return operations.delivery_counts(session, announcement_key(event_id, revision)).to_wire()

    # --- reminders before events -------------------------------------------------------------------
    @timer(interval=REMINDER_CHECK_SECONDS)
    def queue_reminders(self) -> None:
        with self.db.begin() as session:
            operations.queue_due_reminders(session, utcnow())

    @rpc
    def run_reminders(self, now: str | None = None) -> int:
        self.asking.secretariat()
        with self.db.begin() as session:
            return operations.queue_due_reminders(session, datetime.fromisoformat(now) if now else utcnow())

    # --- housekeeping (shared/housekeeping.py runs it hourly) ------------------------------------
    def housekeep(self, session, now: datetime) -> dict:
        return operations.prune_deliveries(session, now)

    def _secret(self) -> str:
        return self.config[SETTINGS_KEY].secret_key
