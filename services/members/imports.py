"""Importing the member list: a background job per file, worked through chunk by chunk.

`start` checks the file (encoding, header, that csv can read it) and answers at once with a queued
job. `ImportWorker` works through it a chunk of rows per transaction and lets the service's other
work run in between, so the directory and /health keep answering during a 60,000-row import. A real
import commits each chunk with the job's progress, so a restarted service carries on where it
stopped. A dry run writes nothing but its progress: it checks and matches every row against the
members as they are and against what the earlier rows of the file would have done (a file lists a
member once per membership), so its counts are those the real import would give.

A row is matched to a member by the `id` column (the export's), else external_id, else email
(individuals) or contact_email (groups), else — for a group — its name in any language, compared
folded (ｶﾗﾊﾞｵの会 is カラバオの会), never to a group whose external id differs from the row's. A contact
address or name shared by two groups matches neither: the row is refused, asking for an id. Matched
text that differs only in width (half- and full-width) is unchanged: what is stored stays as typed.
"""
from __future__ import annotations

import time
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.members import domain, importer, operations
from services.members.importer import ImportRow
from services.members.models import ImportJobRow, ImportProblemRow, MemberRow
from shared.contracts.base import utcnow
from shared.contracts.members import ImportJobStatus, ImportJobView, ImportProblem, ImportReport, MemberGroupDraft
from shared.db import rows_changed
from shared.errors import Conflict, Invalid, NotFound, TsunaguError
from shared.spreadsheets import decode_spreadsheet

# Rows per transaction: at most so many, and no more than fit in about CHUNK_SECONDS; then the
# service's other work runs (under eventlet nothing else does while a chunk is being handled).
CHUNK_ROWS = 500
CHUNK_SECONDS = 0.2
LEASE = timedelta(seconds=30)  # a job whose worker stops renewing this is taken up by another
FAILURES_BEFORE_GIVING_UP = 3
WAKE_FLAG = "import_queued"
CHECKED_KEPT_FOR = timedelta(hours=1)  # a dry run's file, for the import that follows it


# --- matching ---------------------------------------------------------------------------------------

@dataclass(eq=False, slots=True)  # one member is one object: compared by identity
class Known:
    """A member as an import sees it: in the database (`id`), or created by an earlier row of a dry run
    (`id` None, and then its `values` and `periods` are only here — about 1.5 KB a member). A member in
    the database has its `values` (the draft's fields) and `periods` read when a row needs them."""

    id: str | None
    member_kind: str
    external_id: str | None = None
    values: dict | None = None
    periods: dict[tuple[str, str], tuple[str | None, dict]] | None = None  # (type, starts_on) → (id, values)


def _nfkc(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _same(a, b) -> bool:
    """Equal, counting text that differs only in width (or surrounding spaces) as the same."""
    if isinstance(a, str) and isinstance(b, str):
        return _nfkc(a) == _nfkc(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b


class MatchIndex:
    """Every member's matching keys, in memory for the length of an import: one query at its start
    instead of several per row, and it also holds what earlier rows of a dry run would have created."""

    def __init__(self) -> None:
        self._by_id: dict[str, Known] = {}
        self._by_external_id: dict[str, Known] = {}
        self._by_email: dict[str, Known] = {}
        self._by_contact: dict[str, list[Known]] = defaultdict(list)
        self._by_name: dict[str, list[Known]] = defaultdict(list)

    @classmethod
    def load(cls, session: Session) -> MatchIndex:
        index = cls()
        rows = session.execute(select(MemberRow.id, MemberRow.member_kind, MemberRow.external_id, MemberRow.email,
                                      MemberRow.contact_email, MemberRow.name).where(MemberRow.erased_at.is_(None)))
        for row in rows:
            index.add(Known(row.id, row.member_kind, row.external_id), {
                "external_id": row.external_id, "email": row.email, "contact_email": row.contact_email,
                "name": row.name})
        return index

    def add(self, known: Known, values: dict, aliases: tuple[str | None, ...] = ()) -> None:
        known.external_id = values.get("external_id") or known.external_id
        for alias in (known.id, *aliases):
            if alias:
                self._by_id[alias] = known
        if values.get("external_id"):
            self._by_external_id[_nfkc(values["external_id"])] = known
        if known.member_kind == "individual" and values.get("email"):
            self._by_email[_nfkc(values["email"]).lower()] = known
        if known.member_kind == "group":
            if values.get("contact_email"):
                self._by_contact[_nfkc(values["contact_email"]).lower()].append(known)
            for key in {domain.name_key(text) for text in (values.get("name") or {}).values()}:
                self._by_name[key].append(known)

    def remove(self, known: Known, values: dict) -> None:
        """Before `add` with changed values: the old keys no longer lead to it."""
        for unique, key in ((self._by_external_id, _nfkc(values.get("external_id"))),
                            (self._by_email, _nfkc(values.get("email")).lower())):
            if unique.get(key) is known:
                del unique[key]
        for shared in (self._by_contact, self._by_name):
            for key in [_nfkc(values.get("contact_email")).lower(),
                        *(domain.name_key(text) for text in (values.get("name") or {}).values())]:
                if known in shared.get(key, ()):
                    shared[key].remove(known)

    def find(self, row: ImportRow) -> Known | None:
        member = row.member
        if row.member_id and row.member_id in self._by_id:
            return self._by_id[row.member_id]
        if member.external_id and _nfkc(member.external_id) in self._by_external_id:
            return self._by_external_id[_nfkc(member.external_id)]
        if not isinstance(member, MemberGroupDraft):
            return self._by_email.get(_nfkc(member.email).lower())
        if member.contact_email:
            found = self._only(self._by_contact.get(_nfkc(member.contact_email).lower(), []), "contact_email",
                               member.external_id)
            if found:
                return found
        named = [known for text in member.name.values() for known in self._by_name.get(domain.name_key(text), [])]
        return self._only(named, "name", member.external_id)

    @staticmethod
    def _only(found: list[Known], field_name: str, external_id: str | None) -> Known | None:
        """The one group found; a group with another external id is another group, whatever its name."""
        distinct = {id(known): known for known in found
                    if not (external_id and known.external_id and _nfkc(known.external_id) != _nfkc(external_id))}
        if len(distinct) > 1:
            raise Invalid(f"{len(distinct)} groups share this {field_name}; give the row their id or "
                          "external_id", field_name)
        return next(iter(distinct.values()), None)

    def owner(self, key: str, value: str | None) -> Known | None:
        """Who holds an external id or an individual's email, if anyone."""
        if not value:
            return None
        return (self._by_external_id if key == "external_id" else self._by_email).get(
            _nfkc(value) if key == "external_id" else _nfkc(value).lower())


def _load(session: Session, known: Known) -> tuple[dict, dict[tuple[str, str], tuple[str | None, dict]]]:
    """The member's values and periods, read from the database unless memory has them."""
    if known.values is None or known.periods is None:
        assert known.id is not None, "a member only a dry run created always has its values in memory"
        row = operations.load_member(session, known.id)
        known.values = operations.draft_values(row)
        known.periods = {(m.type, m.starts_on.isoformat()): (m.id, operations.period_values(m))
                         for m in row.memberships}
    return known.values, known.periods


def import_row(session: Session, index: MatchIndex, row: ImportRow, dry_run: bool, today: date | None) -> str:
    """What the row does — created, updated or unchanged — and, unless a dry run, do it. Every check
    happens before any write, so a dry run refuses what the real import would refuse."""
    kind = "group" if isinstance(row.member, MemberGroupDraft) else "individual"
    wanted = row.member.model_dump(mode="json")
    if not wanted.get("external_id"):
        wanted.pop("external_id")  # an empty cell does not take the network's number away
    period = operations.period_values(row.membership) if row.membership else None
    known = index.find(row)
    if known is None:
        return _create(session, index, row, kind, wanted, period, dry_run, today)
    if known.member_kind != kind:
        raise Invalid(f"this row is a {kind} but matches an existing {known.member_kind}", "member_kind")
    values, periods = _load(session, known)
    changes = {name: value for name, value in wanted.items() if not _same(values.get(name), value)}
    after = operations.changed_draft(kind, values, changes) if changes else values
    for key in ("external_id", "email"):
        holder = index.owner(key, after.get(key)) if key in changes else None
        if holder is not None and holder is not known:
            raise Invalid(f"another member has this {key}", key)
    new_period = period is not None and _period_is_new(periods, period)
    added = None
    if not dry_run:
        assert known.id is not None, "outside a dry run every member matched is in the database"
        if changes:
            operations.change_member(session, operations.load_member(session, known.id), changes)
        if period is not None and new_period and row.membership is not None:
            added = operations.add_membership(session, known.id, row.membership, today).membership.id
    if changes:
        index.remove(known, values)
        known.values = after
        index.add(known, after, (row.member_id,))
    if period is not None and new_period:
        periods[(period["type"], period["starts_on"])] = (added, period)
    if not dry_run:
        known.values = known.periods = None  # the database has them: read again if another row needs them
    return "updated" if changes or new_period else "unchanged"


def _period_is_new(periods: dict[tuple[str, str], tuple[str | None, dict]], period: dict) -> bool:
    existing = periods.get((period["type"], period["starts_on"]))
    if existing is None:
        return True
    domain.check_same_period(existing[0] or "an earlier line of this file", existing[1], period)
    return False


def _create(session: Session, index: MatchIndex, row: ImportRow, kind: str, values: dict, period: dict | None,
            dry_run: bool, today: date | None) -> str:
    member_id, period_id = None, None
    if not dry_run:
        if isinstance(row.member, MemberGroupDraft):
            member_id = operations.create_group(session, row.member).id
        else:
            member_id = operations.create_individual(session, row.member).id
        if row.membership:
            period_id = operations.add_membership(session, member_id, row.membership, today).membership.id
    known = Known(member_id, kind)
    if dry_run:  # only memory knows what this row would have created
        known.values = values
        known.periods = {(period["type"], period["starts_on"]): (period_id, period)} if period else {}
    index.add(known, values, (row.member_id,))
    return "created"


# --- jobs -------------------------------------------------------------------------------------------

def start(session: Session, data: bytes, dry_run: bool, today: date | None = None) -> ImportJobView:
    """Check that the file can be read at all (Invalid saying why not) and queue it."""
    text = decode_spreadsheet(data)
    importer.read_header(text)
    return _queue(session, text, importer.count_rows(text), dry_run, today)


def _queue(session: Session, text: str, rows: int, dry_run: bool, today: date | None) -> ImportJobView:
    """A job for the import worker, which is woken when the transaction commits."""
    job = ImportJobRow(id=str(uuid.uuid4()), status=ImportJobStatus.QUEUED.value, dry_run=dry_run, today=today,
                       content=text, rows=rows, rows_done=0, created=0, updated=0, unchanged=0, created_at=utcnow())
    session.add(job)
    session.flush()
    session.info[WAKE_FLAG] = True
    return job_view(session, job.id)


def import_checked(session: Session, dry_run_id: str) -> ImportJobView:
    """Import the file a finished dry run checked, without sending it again: a new job (the dry run's
    report stays as it was); the dry run lets go of the file, so it is imported once."""
    checked = session.get(ImportJobRow, dry_run_id, with_for_update=True)
    if checked is None:
        raise NotFound(f"no import job {dry_run_id}", "job_id")
    if not checked.dry_run or checked.status != ImportJobStatus.FINISHED.value:
        raise Conflict("only a finished dry run can be imported this way", "job_id")
    if checked.content is None:
        raise Conflict(f"the checked file is no longer kept (a dry run keeps it {CHECKED_KEPT_FOR}, and until it "
                       "is imported once): send it again", "job_id")
    text, checked.content = checked.content, None
    return _queue(session, text, checked.rows, False, checked.today)


def forget_checked_files(session: Session, now: datetime) -> int:
    """Drop the files of dry runs finished more than CHECKED_KEPT_FOR ago (they hold personal data)."""
    return rows_changed(session, update(ImportJobRow).where(
        ImportJobRow.dry_run.is_(True), ImportJobRow.content.is_not(None),
        ImportJobRow.finished_at < now - CHECKED_KEPT_FOR).values(content=None))


def job_view(session: Session, job_id: str) -> ImportJobView:
    job = session.get(ImportJobRow, job_id)
    if job is None:
        raise NotFound(f"no import job {job_id}", "job_id")
    report = None
    if job.status == ImportJobStatus.FINISHED.value:
        problems = session.execute(select(ImportProblemRow).where(ImportProblemRow.job_id == job.id)
                                   .order_by(ImportProblemRow.row)).scalars()
        report = ImportReport(dry_run=job.dry_run, rows=job.rows, created=job.created, updated=job.updated,
                              unchanged=job.unchanged, rejected=[ImportProblem(row=p.row, field=p.field,
                                                                               reason=p.reason) for p in problems])
    return ImportJobView(id=job.id, status=job.status, dry_run=job.dry_run, rows=job.rows, rows_done=job.rows_done,
                         report=report, error=job.error, created_at=job.created_at, finished_at=job.finished_at)


def claim(session: Session, mine: str | None = None) -> str | None:
    """The next job to work on, leased to the caller: the one it was working on, else the oldest queued
    one, else one whose worker stopped renewing its lease (a service that was stopped or killed). A
    dry run taken over starts again (what its earlier rows would have done was only in memory)."""
    now = utcnow()
    running = ImportJobRow.status == ImportJobStatus.RUNNING.value
    job = session.execute(select(ImportJobRow).where(or_(
        ImportJobRow.status == ImportJobStatus.QUEUED.value, and_(running, ImportJobRow.id == (mine or "")),
        and_(running, or_(ImportJobRow.lease_until.is_(None), ImportJobRow.lease_until < now))))
        .order_by(ImportJobRow.created_at).limit(1).with_for_update(skip_locked=True)).scalar()
    if job is None:
        return None
    if job.status == ImportJobStatus.RUNNING.value and job.dry_run:
        session.execute(delete(ImportProblemRow).where(ImportProblemRow.job_id == job.id))
        job.rows_done = job.created = job.updated = job.unchanged = 0
    job.status, job.lease_until = ImportJobStatus.RUNNING.value, now + LEASE
    return job.id


def release(session: Session, job_id: str) -> None:
    """The worker stops (the service is stopping): let whoever starts next carry on at once."""
    job = session.get(ImportJobRow, job_id)
    if job is not None and job.status == ImportJobStatus.RUNNING.value:
        job.lease_until = None


def fail(session: Session, job_id: str, reason: str) -> None:
    job = session.get(ImportJobRow, job_id)
    if job is not None:
        job.status, job.error = ImportJobStatus.FAILED.value, reason[:300]
        job.content, job.lease_until, job.finished_at = None, None, utcnow()


@dataclass
class ImportRun:
    """The work on one job between its chunks: where the file is read up to, and the match index."""

    job_id: str
    dry_run: bool
    today: date | None
    rows: Iterator[tuple[int, dict[str, str]]]
    index: MatchIndex

    @classmethod
    def open(cls, session: Session, job_id: str) -> ImportRun:
        job = session.get(ImportJobRow, job_id)
        if job is None or job.content is None:
            raise NotFound(f"no import job {job_id} with a file still to read", "job_id")
        header = importer.read_header(job.content)
        return cls(job.id, job.dry_run, job.today, importer.rows_from(job.content, header, skip=job.rows_done),
                   MatchIndex.load(session))

    def chunk(self, sessions: sessionmaker, size: int = CHUNK_ROWS, seconds: float = CHUNK_SECONDS) -> bool:
        """Handle the next rows, at most `size` or as many as fit in about `seconds`, in one transaction
        with the job's progress; False once the job is over."""
        with sessions.begin() as session:
            job = session.get(ImportJobRow, self.job_id)
            if job is None or job.status != ImportJobStatus.RUNNING.value:
                return False
            outcomes: Counter[str] = Counter()
            problems: list[ImportProblem] = []
            handled, exhausted = 0, False
            deadline = time.monotonic() + seconds
            while handled < size and (handled == 0 or time.monotonic() < deadline):
                line_and_cells = next(self.rows, None)
                if line_and_cells is None:
                    exhausted = True
                    break
                handled += 1
                row = importer.parse_row(*line_and_cells)
                if isinstance(row, ImportProblem):
                    problems.append(row)
                    continue
                try:
                    with session.begin_nested():
                        outcomes[import_row(session, self.index, row, self.dry_run, self.today)] += 1
                except TsunaguError as exc:
                    problems.append(ImportProblem(row=row.line, field=exc.field, reason=exc.detail))
                except (IntegrityError, DataError) as exc:
                    problems.append(ImportProblem(row=row.line, field=None,
                                                  reason=f"could not be saved ({type(exc).__name__})"))
            if problems:
                session.execute(insert(ImportProblemRow), [
                    {"job_id": job.id, "row": p.row, "field": (p.field or None) and p.field[:64],
                     "reason": p.reason[:300]} for p in problems])
            job.rows_done += handled
            job.created += outcomes["created"]
            job.updated += outcomes["updated"]
            job.unchanged += outcomes["unchanged"]
            job.lease_until = utcnow() + LEASE
            if exhausted or job.rows_done >= job.rows:
                # a dry run keeps its file a while, for the import that follows it (import_checked)
                job.status, job.lease_until = ImportJobStatus.FINISHED.value, None
                job.content = job.content if job.dry_run else None
                job.finished_at = utcnow()
                return False
        return True


class ImportWorker:
    """Works through the queued jobs. `pause` runs between chunks (the service yields there);
    `stopping` says when to stop, between two chunks."""

    def __init__(self, sessions: sessionmaker, pause: Callable[[], None] = lambda: None,
                 stopping: Callable[[], bool] = lambda: False, chunk_rows: int = CHUNK_ROWS):
        self.sessions, self.pause, self.stopping, self.chunk_rows = sessions, pause, stopping, chunk_rows
        self.run: ImportRun | None = None
        self._resume: str | None = None  # the job this worker was on when a chunk failed
        self._failures: Counter[str] = Counter()

    def work(self) -> None:
        """Until no job is left or the service stops. A failing chunk raises (the caller retries with a
        backoff), and after a few failures at the same rows its job is marked failed."""
        while not self.stopping():
            run = self.run or self._open()
            if run is None:
                return
            job_id = run.job_id
            try:
                more = run.chunk(self.sessions, self.chunk_rows)
            except Exception as exc:
                # Rolled back: the next attempt starts from the job's last committed progress.
                self.run = None
                self._failures[job_id] += 1
                if self._failures[job_id] < FAILURES_BEFORE_GIVING_UP:
                    raise
                with self.sessions.begin() as session:
                    fail(session, job_id, f"stopped after {FAILURES_BEFORE_GIVING_UP} attempts at the same rows "
                                          f"({type(exc).__name__}); rows before those were handled")
                more = False
            if not more:
                self.run, self._resume = None, None
                del self._failures[job_id]
            self.pause()
        if self.run is not None:
            with self.sessions.begin() as session:
                release(session, self.run.job_id)
            self.run = None

    def _open(self) -> ImportRun | None:
        with self.sessions.begin() as session:
            job_id = claim(session, mine=self._resume)
            if job_id is None:
                self._resume = None
                return None
            self.run = ImportRun.open(session, job_id)
        self._resume = job_id
        return self.run
