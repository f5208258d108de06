"""The events service's entrypoints. They only route: parse the contract, run the use case, answer.

Subscriptions (the whole list is shared/bus/subscriptions.py):
    members.member_joined → record_member_joined: groups that may register delegations
    members.member_left   → record_member_left: … and those that may not any more
    members.member_erased → forget_member: erase the person from registrations, attendee lists, calendar
                            feeds and the outbox
Publishes: event_published, event_updated, event_postponed, event_cancelled, registration_*.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from nameko.dependency_providers import Config
from nameko.timer import timer
from sqlalchemy.orm import Session

from services.events import erasure, feeds, models, operations, registrations, retention
from services.events.feed_parts import FeedParts, KeptFeedParts
from shared.audit import Audited
from shared.authority import organizer_of
from shared.bus.commands import Commands
from shared.bus.entrypoints import rpc
from shared.bus.inbox import Inbox
from shared.bus.relay import OutboxRelay
from shared.bus.requester import Requester
from shared.bus.subscriptions import subscribe
from shared.contracts.base import parse_contract, utcnow
from shared.contracts.events import (
    AttendeesUpdate,
    EventDraft,
    EventFilter,
    EventPatch,
    MigrantsDayDraft,
    RegistrationRequest,
)
from shared.contracts.identity import Caller
from shared.contracts.members import MemberErased, MemberJoined, MemberLeft
from shared.db import SETTINGS_KEY, Database, Sessions
from shared.erasure import reclaim_erased_space
from shared.health import Pingable
from shared.housekeeping import Housekeeping
from shared.observability import Observed

RELEASE_SECONDS = 60  # places held for unconfirmed addresses go back within a minute of their time


def _wire(views) -> list[dict]:
    return [view.to_wire() for view in views]


class EventsService(Pingable, Audited, Housekeeping):
    name = "events"

    db: Sessions = Database()  # workers see the Sessions it hands them
    observed = Observed()  # metrics port; the correlation id of each worker's log lines
    feed_parts: FeedParts = KeptFeedParts()  # each public event's calendar component, kept between builds
    relay = OutboxRelay(models.outbox)
    inbox = Inbox(models.inbox)
    commands = Commands(models.commands)
    asking = Requester()
    config = Config()
    audit_trail = models.audit
    housekeeping_log = models.housekeeping

    @subscribe(MemberJoined)
    def record_member_joined(self, payload: dict) -> None:
        self.inbox.apply(payload, registrations.record_member_joined)

    @subscribe(MemberLeft)
    def record_member_left(self, payload: dict) -> None:
        self.inbox.apply(payload, registrations.record_member_left)

    @subscribe(MemberErased)
    def forget_member(self, payload: dict) -> None:
        self.inbox.apply(payload, erasure.forget_member)
        reclaim_erased_space(self.db.engine)  # also after a redelivery: a crash may have come between

    @contextmanager
    def _organizing(self, event_id: str) -> Iterator[tuple[Session, Caller]]:
        """A transaction in which the caller is an organizer of the event (401/403 otherwise)."""
        who = self.asking.organizer()
        with self.db.begin() as session:
            operations.organizer_of_event(session, event_id, who)
            yield session, who

    # --- events ---------------------------------------------------------------------------------
    @rpc
    def create_event(self, draft: dict) -> dict:
        command = parse_contract(EventDraft, draft)
        organizer_of(self.asking.organizer(), command.region, command.networks, "a new event")
        with self.db.begin() as session:
            return self.commands.once(session, "create_event", draft,
                                      lambda: operations.create_event(session, command).to_wire())

    @rpc
    def create_migrants_day(self, draft: dict) -> list[dict]:
        command = parse_contract(MigrantsDayDraft, draft)
        who = self.asking.organizer()
        for local in command.local_drafts():
            organizer_of(who, local.region, local.networks, f"a Migrants Day event in {local.region}")
        with self.db.begin() as session:
            return self.commands.once(session, "create_migrants_day", draft,
                                      lambda: _wire(operations.create_migrants_day(session, command)))

    @rpc
    def update_event(self, event_id: str, patch: dict) -> dict:
        command = parse_contract(EventPatch, patch)
        with self._organizing(event_id) as (session, who):
            return self.commands.once(session, "update_event", [event_id, patch],
                                      lambda: self._update_in_scope(session, event_id, command, who))

    @staticmethod
    def _update_in_scope(session, event_id: str, command: EventPatch, who) -> dict:
        view = operations.update_event(session, event_id, command)
        # moved to another region or networks: those must be the organizer's too (else it rolls back)
        organizer_of(who, view.region, view.networks, f"the event {event_id} as changed")
        return view.to_wire()

    @rpc
    def publish_event(self, event_id: str, force: bool = False) -> dict:
        with self._organizing(event_id) as (session, _):
            return self.commands.once(session, "publish_event", [event_id, force],
                                      lambda: operations.publish_event(session, event_id, force).to_wire())

    @rpc
    def cancel_event(self, event_id: str, reason: str | None = None) -> dict:
        with self._organizing(event_id) as (session, _):
            return self.commands.once(session, "cancel_event", [event_id, reason],
                                      lambda: operations.cancel_event(session, event_id, reason).to_wire())

    @rpc
    def postpone_event(self, event_id: str, starts_at: str | None = None, ends_at: str | None = None) -> dict:
        with self._organizing(event_id) as (session, _):
            return self.commands.once(session, "postpone_event", [event_id, starts_at, ends_at], lambda: (
                operations.postpone_event(session, event_id, _moment(starts_at), _moment(ends_at)).to_wire()))

    @rpc
    def complete_event(self, event_id: str) -> dict:
        with self._organizing(event_id) as (session, _):
            return self.commands.once(session, "complete_event", [event_id],
                                      lambda: operations.complete_event(session, event_id).to_wire())

    @rpc
    def get_event(self, event_id: str) -> dict:
        """The event; a never-published one only for its organizers (NotFound for anyone else)."""
        viewer = self.asking.anyone()
        with self.db() as session:
            return operations.get_event(session, event_id, viewer).to_wire()

    @rpc
    def list_events(self, filters: dict | None = None) -> list[dict]:
        command = parse_contract(EventFilter, filters or {})
        viewer = self.asking.anyone()
        with self.db() as session:
            return _wire(operations.list_events(session, command, viewer))

    @rpc
    def schedule(self, start: str, end: str, region: str | None = None, include_drafts: bool = False,
                 with_clashes: bool = False) -> list[dict]:
        viewer = self.asking.anyone()
        # what clashes with what names others' drafts: for those who organize, as on an event's own page
        with_clashes = with_clashes and viewer is not None and viewer.is_organizing
        with self.db() as session:
            return _wire(operations.events_between(session, datetime.fromisoformat(start), datetime.fromisoformat(end),
                                                   region, include_drafts, viewer, with_clashes))

    # --- registrations --------------------------------------------------------------------------
    @rpc
    def register(self, event_id: str, request: dict) -> dict:
        command = parse_contract(RegistrationRequest, request)
        manage_secret = self.commands.secret("register", "manage_token")
        who = self.asking.anyone()
        settings = self.config[SETTINGS_KEY]
        check = registrations.AddressCheck(settings.secret_key, timedelta(hours=settings.registration_hold_hours))
        with self.db.begin() as session:
            return self.commands.once(session, "register", [event_id, request], lambda: registrations.register(
                session, event_id, command, check, manage_secret, who).to_wire(), secret_fields=("manage_token",))

    @rpc
    def confirm_registration_address(self, token: str) -> dict:
        """The link mailed to an unconfirmed registrant: their places are theirs for good."""
        with self.db.begin() as session:
            return registrations.confirm_address(session, token, utcnow()).to_wire()

    @timer(interval=RELEASE_SECONDS)
    def release_unconfirmed(self) -> None:
        with self.db.begin() as session:
            registrations.release_unconfirmed(session, utcnow())

    @rpc
    def get_registration(self, registration_id: str, token: str | None = None) -> dict:
        who = self.asking.anyone()
        if who is None or token is not None:  # the registrant, with their link
            with self.db() as session:
                return registrations.get_registration(session, registration_id, token, who).to_wire()
        with self.db.begin() as session:  # an organizer or a group's contact: the read is audited
            view = registrations.get_registration(session, registration_id, None, who)
            models.audit.record(session, who, "registration.read", f"registration/{registration_id}", view.places)
            return view.to_wire()

    @rpc
    def group_delegations(self, group_id: str) -> list[dict]:
        who = self.asking.someone()
        with self.db.begin() as session:  # attendee names of a group: the read is audited
            views = registrations.group_delegations(session, group_id, who)
            models.audit.record(session, who, "delegations.read", f"member/{group_id}",
                                sum(view.places for view in views))
            return [view.to_wire() for view in views]

    @rpc
    def own_registrations(self) -> list[dict]:
        who = self.asking.someone()
        with self.db() as session:
            return [view.to_wire() for view in registrations.own_registrations(session, who)]

    @rpc
    def cancel_registration(self, registration_id: str, token: str | None = None) -> dict:
        who = self.asking.anyone()
        with self.db.begin() as session:
            return self.commands.once(session, "cancel_registration", [registration_id, token], lambda: (
                registrations.cancel_registration(session, registration_id, token, who).to_wire()))

    @rpc
    def decide_registration(self, registration_id: str, approve: bool) -> dict:
        who = self.asking.organizer()
        with self.db.begin() as session:
            return self.commands.once(session, "decide_registration", [registration_id, approve], lambda: (
                registrations.decide_pending(session, registration_id, approve, who).to_wire()))

    @rpc
    def update_attendees(self, registration_id: str, update: dict, token: str | None = None) -> dict:
        command = parse_contract(AttendeesUpdate, update)
        who = self.asking.anyone()
        with self.db.begin() as session:
            return self.commands.once(session, "update_attendees", [registration_id, update, token],
                                      lambda: registrations.update_attendees(
                                          session, registration_id, token, who, command).to_wire())

    @rpc
    def list_registrations(self, event_id: str) -> list[dict]:
        with self._organizing(event_id) as (session, who):  # the audit entry is written with the read
            views = registrations.list_registrations(session, event_id)
            models.audit.record(session, who, "registrations.list", f"event/{event_id}", len(views))
            return _wire(views)

    @rpc
    def registrations_csv(self, event_id: str) -> str:
        with self._organizing(event_id) as (session, who):
            models.audit.record(session, who, "registrations.csv", f"event/{event_id}",
                                registrations.registration_count(session, event_id))
            return registrations.registrations_csv(session, event_id)

    @rpc
    def needs_summary(self, event_id: str) -> list[dict]:
        with self._organizing(event_id) as (session, who):
            needs = registrations.needs_summary(session, event_id)
            models.audit.record(session, who, "needs.read", f"event/{event_id}",
                                next((each.attendees for each in needs if each.session_id is None), 0))
            return _wire(needs)


    # --- calendars ------------------------------------------------------------------------------
    @rpc
    def feed(self, request: dict) -> dict:
        """A calendar: {"feed": name | "event" | "private" | "group", …}; answers body, etag and last_modified
        (and, for a private or a group feed, its `owner`)."""
        lang, base, source = request.get("lang"), request["base_url"], request["source_url"]
        with self.db.begin() as session:  # the first build of a release records its format (feed_format)
            if request["feed"] == "event":
                return feeds.event_feed(session, request["event_id"], lang, base, source)
            if request["feed"] == "private":
                return feeds.private_feed(session, request["token"], lang, base, source)
            if request["feed"] == "group":
                return feeds.group_feed(session, request["token"], lang, base, source)
            return feeds.public_feed(session, request["feed"], lang, base, source, request.get("region"),
                                     request.get("kind"), request.get("network"), parts=self.feed_parts)

    # --- housekeeping (shared/housekeeping.py runs it hourly) ------------------------------------
    def housekeep(self, session, now: datetime) -> dict:
        return {"registrations_released": registrations.release_unconfirmed(session, now),
                **retention.anonymise_ended(session, now)}

    @rpc
    def issue_private_feed(self, registration_id: str, token: str | None = None) -> str:
        feed_secret = self.commands.secret("issue_private_feed", "token")
        who = self.asking.anyone()
        with self.db.begin() as session:
            return self.commands.once(session, "issue_private_feed", [registration_id, token], lambda: {
                "token": feeds.issue_private_feed(session, registration_id, token, who, feed_secret)},
                secret_fields=("token",))["token"]

    @rpc
    def revoke_private_feed(self, registration_id: str, token: str | None = None) -> int:
        who = self.asking.anyone()
        with self.db.begin() as session:
            return self.commands.once(session, "revoke_private_feed", [registration_id, token],
                                      lambda: feeds.revoke_private_feed(session, registration_id, token, who))

    @rpc
    def issue_group_feed(self, group_id: str) -> str:
        """(Re)issue the calendar feed of a member group's delegations, for its contacts: its secret."""
        feed_secret = self.commands.secret("issue_group_feed", "token")
        who = self.asking.someone()
        with self.db.begin() as session:
            return self.commands.once(session, "issue_group_feed", [group_id], lambda: {
                "token": feeds.issue_group_feed(session, group_id, who, feed_secret)},
                secret_fields=("token",))["token"]

    @rpc
    def revoke_group_feed(self, group_id: str) -> int:
        who = self.asking.someone()
        with self.db.begin() as session:
            return self.commands.once(session, "revoke_group_feed", [group_id],
                                      lambda: feeds.revoke_group_feed(session, group_id, who))


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
