"""What the service tests set up again and again, through the services' own use cases: an open event,
a registration, a directory search, a member import run to its end."""
from __future__ import annotations

from datetime import date, timedelta

from services.events import operations as events
from services.events import registrations
from services.members import imports
from services.members import operations as members
from shared.contracts.base import parse_contract
from shared.contracts.events import EventDraft, RegistrationRequest
from shared.contracts.identity import Caller, Grant, Role
from shared.contracts.members import DirectoryEntry, DirectoryQuery, MemberJoined, MemberView
from tests.samples import SECRETARIAT

EVENT = {"kind": "workshop", "title": {"ja": "ワークショップ"}, "region": "kinki-kansai",
         "starts_at": "2027-09-01T10:00", "ends_at": "2027-09-01T17:00"}


def open_event(db, **changes):
    with db.begin() as session:
        event = events.create_event(session, parse_contract(EventDraft, {**EVENT, **changes}))
        return events.publish_event(session, event.id, force=True)


def join(db, group_id):
    """The events service learns that a member group joined (it may register delegations)."""
    with db.begin() as session:
        registrations.record_member_joined(session, MemberJoined(member_id=group_id, member_kind="group",
                                                                 region="kanto", networks=[]))


ADDRESS_CHECK = registrations.AddressCheck("s" * 32, timedelta(hours=48))


def person(email: str) -> Caller:
    """Someone signed in with this address (a member)."""
    return Caller(account_id=f"acc-{email}", email=email, grants=(Grant(role=Role.MEMBER, member_id="m-1"),))


def register(db, event_id, confirmed: bool = True, **request):
    """A registration: an individual's made signed in with their own address (`confirmed`) or by anyone
    (its address to be confirmed); a delegation by someone who may act for its group (the secretariat)."""
    values = {"display_name": "Ana", "email": "ana@example.org", **request}
    command = parse_contract(RegistrationRequest, values)
    who = SECRETARIAT if command.member_group_id else person(str(command.email)) if confirmed else None
    with db.begin() as session:
        return registrations.register(session, event_id, command, ADDRESS_CHECK, who=who)


def search(db, viewer: Caller | None = None, **query):
    """The directory as the public sees it, or as `viewer` does: its answer read as the gateway reads it."""
    with db() as session:
        answer = members.directory(session, DirectoryQuery(**query), viewer)
    contract = MemberView if viewer is not None and viewer.is_organizing else DirectoryEntry
    return [contract.model_validate(entry) for entry in answer]


def run_import(db, data: bytes, dry_run=False, chunk_rows=imports.CHUNK_ROWS):
    """Queue the import, let the import worker work through it, and return its report."""
    with db.begin() as session:
        job = imports.start(session, data, dry_run, date(2026, 5, 1))
    imports.ImportWorker(db, chunk_rows=chunk_rows).work()
    with db() as session:
        report = imports.job_view(session, job.id).report
    counts = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
    return counts, report.rejected, report.rows
