"""The members service's entrypoints. They only route.

Subscriptions: none. Publishes: member_joined, member_updated, member_left, membership_renewed,
membership_renewal_due, member_erased.
"""
from __future__ import annotations

import base64
from datetime import date

from nameko.rpc import rpc
from nameko.timer import timer

from services.members import importer, models, operations
from shared.bus.commands import Commands
from shared.bus.relay import OutboxRelay
from shared.contracts.base import parse_contract
from shared.contracts.members import (DirectoryQuery, ImportReport, IndividualDraft, MemberGroupDraft, MemberPatch,
                                      MembershipDraft)
from shared.db import Database
from shared.erasure import reclaim_erased_space
from shared.health import Pingable

HOUSEKEEPING_SECONDS = 3600  # renewal reminders and ended memberships: hourly is plenty for dates


def _day(value: str | None) -> date:
    return date.fromisoformat(value) if value else date.today()


class MembersService(Pingable):
    name = "members"

    db = Database(models.metadata)
    relay = OutboxRelay(models.outbox)
    commands = Commands(models.commands)

    @rpc
    def create_group(self, draft: dict) -> dict:
        command = parse_contract(MemberGroupDraft, draft)
        with self.db.begin() as session:
            return self.commands.once(session, "create_group", draft,
                                      lambda: operations.create_group(session, command).to_wire())

    @rpc
    def create_individual(self, draft: dict) -> dict:
        command = parse_contract(IndividualDraft, draft)
        with self.db.begin() as session:
            return self.commands.once(session, "create_individual", draft,
                                      lambda: operations.create_individual(session, command).to_wire())

    @rpc
    def get_member(self, member_id: str) -> dict:
        with self.db() as session:
            return operations.get_member(session, member_id).to_wire()

    @rpc
    def patch_member(self, member_id: str, patch: dict) -> dict:
        command = parse_contract(MemberPatch, patch)
        with self.db.begin() as session:
            return self.commands.once(session, "patch_member", [member_id, patch],
                                      lambda: operations.patch_member(session, member_id, command).to_wire())

    @rpc
    def add_membership(self, member_id: str, draft: dict, today: str | None = None) -> dict:
        command = parse_contract(MembershipDraft, draft)
        with self.db.begin() as session:
            return self.commands.once(session, "add_membership", [member_id, draft, today], lambda: (
                operations.add_membership(session, member_id, command, _day(today)).to_wire()))

    @rpc
    def directory(self, query: dict, organizer: bool = False) -> list[dict]:
        command = parse_contract(DirectoryQuery, query)
        with self.db() as session:
            return [entry.to_wire() for entry in operations.directory(session, command, organizer)]

    @rpc
    def stats(self, as_of: str | None = None) -> dict:
        with self.db() as session:
            return operations.stats(session, _day(as_of)).to_wire()

    @rpc
    def renewals(self, due_before: str) -> list[dict]:
        with self.db() as session:
            return [view.to_wire() for view in operations.renewals(session, _day(due_before))]

    @rpc
    def import_csv(self, content_base64: str, dry_run: bool = False, today: str | None = None) -> dict:
        rows, problems, count = importer.parse(base64.b64decode(content_base64))
        with self.db() as session:
            counts, failed = operations.import_members(session, rows, _day(today))
            if dry_run:
                session.rollback()
            else:
                session.commit()
        rejected = sorted(problems + failed, key=lambda problem: problem.row)
        return ImportReport(dry_run=dry_run, rows=count, rejected=rejected, **counts).to_wire()

    @rpc
    def export_csv(self) -> str:
        with self.db() as session:
            return importer.export(operations.all_members(session))

    @rpc
    def erase(self, member_id: str) -> dict:
        with self.db.begin() as session:
            erased = self.commands.once(session, "erase", [member_id],
                                        lambda: operations.erase(session, member_id).to_wire())
        reclaim_erased_space(self.db.engine)
        return erased

    # --- for other services --------------------------------------------------------------------
    @rpc
    def is_current_member(self, member_id: str) -> bool:
        with self.db() as session:
            return operations.is_current_member(session, member_id)

    @rpc
    def group_contact(self, member_id: str) -> dict:
        with self.db() as session:
            return operations.group_contact(session, member_id)

    @rpc
    def members_in(self, region: str | None = None, network: str | None = None) -> list[str]:
        with self.db() as session:
            return operations.members_in(session, region, network)

    @rpc
    def run_housekeeping(self, today: str | None = None) -> dict:
        with self.db.begin() as session:
            return operations.housekeeping(session, _day(today))

    @timer(interval=HOUSEKEEPING_SECONDS)
    def housekeeping(self) -> None:
        with self.db.begin() as session:
            operations.housekeeping(session, date.today())
