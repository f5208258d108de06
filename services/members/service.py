"""The members service's entrypoints. They only route.

Subscriptions: none. Publishes: member_joined, member_updated, member_left, membership_renewed,
membership_renewal_due, member_erased.
"""
from __future__ import annotations

import base64
from datetime import date, datetime

from nameko.dependency_providers import Config
from pydantic import TypeAdapter, ValidationError

from services.members import accounts, api_tokens, importer, imports, models, operations, sign_in
from services.members.import_runner import ImportRunner
from shared.audit import Audited
from shared.authority import organizer_of
from shared.bus.commands import Commands
from shared.bus.entrypoints import rpc
from shared.bus.relay import OutboxRelay
from shared.bus.requester import Requester
from shared.contracts.base import field_and_message, parse_contract, utcnow
from shared.contracts.identity import AccountDraft, AccountView, ApiTokenRequest, Caller, SignInRequest
from shared.contracts.members import (
    DirectoryQuery,
    IndividualDraft,
    MemberDate,
    MemberGroupDraft,
    MemberPatch,
    MembershipDraft,
    MemberView,
)
from shared.db import SETTINGS_KEY, Database, Sessions
from shared.erasure import reclaim_erased_space
from shared.errors import Invalid
from shared.health import Pingable
from shared.housekeeping import Housekeeping
from shared.observability import Observed

_MEMBER_DATE: TypeAdapter[date] = TypeAdapter(MemberDate)


def _day(value: str | None, field: str = "date") -> date:
    """A date argument, checked like every member date (Invalid naming `field`); none means today."""
    if not value:
        return date.today()
    try:
        return _MEMBER_DATE.validate_python(value)
    except ValidationError as exc:
        raise Invalid(field_and_message((), exc.errors()[0]["msg"])[1], field) from None


def _in_scope(member: MemberView, who: Caller) -> MemberView:
    """The member, if `who` organizes their region or one of their networks (403 otherwise)."""
    organizer_of(who, member.region, member.networks, f"the member {member.id}")
    return member


def _in_scope_or_own_entry(member: MemberView, who: Caller) -> MemberView:
    """The member, for organizers of their scope; their own entry, for a group's contacts and for an
    individual member (who choose what the directory shows of it)."""
    if who.speaks_for(member.id) if member.member_kind == "group" else who.is_member(member.id):
        return member
    return _in_scope(member, who)


class MembersService(Pingable, Audited, Housekeeping):
    name = "members"

    db: Sessions = Database()  # workers see the Sessions it hands them
    observed = Observed()  # metrics port; the correlation id of each worker's log lines
    relay = OutboxRelay(models.outbox)
    commands = Commands(models.commands)
    import_runner = ImportRunner()
    config = Config()
    asking = Requester()
    audit_trail = models.audit
    housekeeping_log = models.housekeeping

    @rpc
    def create_group(self, draft: dict) -> dict:
        command = parse_contract(MemberGroupDraft, draft)
        organizer_of(self.asking.organizer(), command.region, command.networks, "a new member group")
        with self.db.begin() as session:
            return self.commands.once(session, "create_group", draft,
                                      lambda: operations.create_group(session, command).to_wire())

    @rpc
    def create_individual(self, draft: dict) -> dict:
        command = parse_contract(IndividualDraft, draft)
        organizer_of(self.asking.organizer(), command.region, command.networks, "a new individual member")
        with self.db.begin() as session:
            return self.commands.once(session, "create_individual", draft,
                                      lambda: operations.create_individual(session, command).to_wire())

    @rpc
    def get_member(self, member_id: str) -> dict:
        who = self.asking.someone()
        with self.db.begin() as session:  # the audit entry is written with the read
            member = _in_scope_or_own_entry(operations.get_member(session, member_id), who)
            models.audit.record(session, who, "member.read", f"member/{member_id}", 1)
            return member.to_wire()

    @rpc
    def patch_member(self, member_id: str, patch: dict) -> dict:
        command = parse_contract(MemberPatch, patch)
        who = self.asking.someone()
        with self.db.begin() as session:
            _in_scope_or_own_entry(operations.get_member(session, member_id), who)
            # moved out of the organizer's scope: refused, and the change rolls back
            return self.commands.once(session, "patch_member", [member_id, patch], lambda: _in_scope_or_own_entry(
                operations.patch_member(session, member_id, command), who).to_wire())

    @rpc
    def add_membership(self, member_id: str, draft: dict, today: str | None = None) -> dict:
        command = parse_contract(MembershipDraft, draft)
        who = self.asking.organizer()
        with self.db.begin() as session:
            _in_scope(operations.get_member(session, member_id), who)
            return self.commands.once(session, "add_membership", [member_id, draft, today], lambda: (
                operations.add_membership(session, member_id, command, _day(today, "today")).to_wire()))

    @rpc
    def directory(self, query: dict) -> list[dict]:
        """Public entries for everyone; organizers see the members of their scope in full."""
        command = parse_contract(DirectoryQuery, query)
        viewer = self.asking.anyone()
        if viewer is None or not viewer.is_organizing:
            with self.db() as session:
                return operations.directory(session, command, viewer)
        with self.db.begin() as session:
            entries = operations.directory(session, command, viewer)
            models.audit.record(session, viewer, "directory.organizer_view", "directory", len(entries))
            return entries

    @rpc
    def stats(self, as_of: str | None = None) -> dict:
        self.asking.organizer()  # counts only: no one's record
        with self.db() as session:
            return operations.stats(session, _day(as_of, "as_of")).to_wire()

    @rpc
    def renewals(self, due_before: str) -> list[dict]:
        who = self.asking.organizer()
        with self.db.begin() as session:
            due = operations.renewals(session, _day(due_before, "due_before"), who)
            models.audit.record(session, who, "renewals.read", "memberships", len(due))
            return [view.to_wire() for view in due]

    @rpc
    def start_import(self, content_base64: str, dry_run: bool = False, today: str | None = None) -> dict:
        """Queue a CSV import (ImportJobView); the import thread works through it in the background."""
        self.asking.secretariat()  # an import may touch every region's members
        data = base64.b64decode(content_base64)
        with self.db.begin() as session:
            return self.commands.once(session, "start_import", [content_base64, dry_run, today], lambda: imports.start(
                session, data, dry_run, _day(today, "today") if today else None).to_wire())

    @rpc
    def import_checked(self, dry_run_id: str) -> dict:
        """Import the file a finished dry run checked (ImportJobView of the new job)."""
        self.asking.secretariat()
        with self.db.begin() as session:
            return self.commands.once(session, "import_checked", [dry_run_id],
                                      lambda: imports.import_checked(session, dry_run_id).to_wire())

    @rpc
    def import_job(self, job_id: str) -> dict:
        self.asking.secretariat()
        with self.db() as session:
            return imports.job_view(session, job_id).to_wire()

    @rpc
    def export_csv(self) -> str:
        """Every member the caller may see in full: the secretariat all, an organizer their scope's."""
        who = self.asking.organizer()
        with self.db.begin() as session:
            members = operations.all_members(session, who)
            models.audit.record(session, who, "members.export", "members", len(members))
            return importer.export(members)

    @rpc
    def erase(self, member_id: str) -> dict:
        who = self.asking.organizer()
        with self.db.begin() as session:
            _in_scope(operations.get_member(session, member_id), who)
            models.audit.record(session, who, "member.erase", f"member/{member_id}", 1)
            erased = self.commands.once(session, "erase", [member_id],
                                        lambda: operations.erase(session, member_id).to_wire())
        reclaim_erased_space(self.db.engine)
        return erased

    @rpc
    def add_account(self, draft: dict) -> dict:
        command = parse_contract(AccountDraft, draft)
        who = self.asking.secretariat()
        with self.db.begin() as session:
            return self.commands.once(session, "add_account", draft, lambda: self._audited(
                session, who, "account.add", accounts.add_account(session, command)))

    @staticmethod
    def _audited(session, who: Caller, action: str, account: AccountView) -> dict:
        models.audit.record(session, who, action, f"account/{account.id}", 1)
        return account.to_wire()

    @rpc
    def account_for_email(self, email: str) -> dict:
        self.asking.secretariat()
        with self.db() as session:
            return accounts.account_for_email(session, email).to_wire()

    @rpc
    def list_accounts(self) -> list[dict]:
        who = self.asking.secretariat()
        with self.db.begin() as session:
            listed = accounts.list_accounts(session)
            models.audit.record(session, who, "accounts.list", "accounts", len(listed))
            return [account.to_wire() for account in listed]

    @rpc
    def request_sign_in(self, request: dict) -> None:
        """Mails a sign-in link if the address has an account; answers the same either way."""
        command = parse_contract(SignInRequest, request)
        with self.db.begin() as session:
            sign_in.request_sign_in(session, command, self.config[SETTINGS_KEY].secret_key, utcnow())

    @rpc
    def issue_sign_in_link(self, email: str, language: str = "ja") -> str:
        """For the one who runs the system (command line, demo): the link's secret itself."""
        self.asking.secretariat()
        with self.db.begin() as session:
            return sign_in.issue_sign_in_link(session, email, language, self.config[SETTINGS_KEY].secret_key,
                                              utcnow())

    @rpc
    def complete_sign_in(self, token: str) -> dict:
        with self.db.begin() as session:
            return sign_in.complete_sign_in(session, token, utcnow()).to_wire()

    @rpc
    def refresh_session(self, session_id: str) -> dict:
        with self.db.begin() as session:
            return sign_in.refresh_session(session, session_id, utcnow()).to_wire()

    @rpc
    def list_sessions(self) -> list[dict]:
        """The caller's own sessions (so are the three below: their account is the claim's)."""
        account_id = self.asking.someone().account_id
        with self.db() as session:
            return [view.to_wire() for view in sign_in.list_sessions(session, account_id, utcnow())]

    @rpc
    def revoke_session(self, session_id: str) -> None:
        account_id = self.asking.someone().account_id
        with self.db.begin() as session:
            sign_in.revoke_session(session, account_id, session_id, utcnow())

    @rpc
    def create_api_token(self, request: dict) -> dict:
        command = parse_contract(ApiTokenRequest, request)
        who = self.asking.someone()
        with self.db.begin() as session:
            issued = api_tokens.create(session, who.account_id, command, utcnow())
            models.audit.record(session, who, "api_token.create", f"account/{who.account_id}/token/{issued.id}", 1)
            return issued.to_wire()

    @rpc
    def list_api_tokens(self) -> list[dict]:
        account_id = self.asking.someone().account_id
        with self.db() as session:
            return [view.to_wire() for view in api_tokens.list_tokens(session, account_id)]

    @rpc
    def revoke_api_token(self, token_id: str) -> None:
        who = self.asking.someone()
        with self.db.begin() as session:
            api_tokens.revoke(session, who.account_id, token_id, utcnow())
            models.audit.record(session, who, "api_token.revoke", f"account/{who.account_id}/token/{token_id}", 1)

    @rpc
    def api_token_caller(self, token: str) -> dict:
        with self.db.begin() as session:
            return api_tokens.caller_of(session, token, utcnow()).to_wire()

    # --- housekeeping (shared/housekeeping.py runs it hourly) ------------------------------------
    def housekeep(self, session, now: datetime) -> dict:
        """Renewals and ended memberships (by the day); sign-in links and sessions that ended."""
        return {**operations.housekeeping(session, now.date()), **sign_in.forget_ended(session, now),
                "checked_import_files_dropped": imports.forget_checked_files(session, now)}
