"""What the service tests set up again and again, through the services' own use cases: an open event,
a registration, a directory search, a member import run to its end."""
from __future__ import annotations

from datetime import date

from services.events import operations as events
from services.events import registrations
from services.members import imports
from services.members import operations as members
from shared.contracts.base import parse_contract
from shared.contracts.events import EventDraft, RegistrationRequest
from shared.contracts.members import DirectoryQuery, MemberJoined
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


def register(db, event_id, **request):
    values = {"display_name": "Ana", "email": "ana@example.org", **request}
    with db.begin() as session:
        # a delegation is registered by someone who may act for its group: here, the secretariat
        return registrations.register(session, event_id, parse_contract(RegistrationRequest, values),
                                      who=SECRETARIAT)


def search(db, organizer=False, **query):
    """The directory as the public sees it, or (organizer) as the secretariat does."""
    with db() as session:
        return members.directory(session, DirectoryQuery(**query), SECRETARIAT if organizer else None)


def run_import(db, data: bytes, dry_run=False, chunk_rows=imports.CHUNK_ROWS):
    """Queue the import, let the import worker work through it, and return its report."""
    with db.begin() as session:
        job = imports.start(session, data, dry_run, date(2026, 5, 1))
    imports.ImportWorker(db, chunk_rows=chunk_rows).work()
    with db() as session:
        report = imports.job_view(session, job.id).report
    counts = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
    return counts, report.rejected, report.rows
