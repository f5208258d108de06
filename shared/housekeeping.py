"""Each service's housekeeping runs (retention, pruning) are recorded: when, and what each removed or
blanked, so "what did we delete, and when" has an answer (README: What Tsunagu keeps, and for how long)."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from nameko.timer import timer
from sqlalchemy import JSON, Column, Integer, MetaData, Table, insert, select
from sqlalchemy.orm import Session

from shared.bus.entrypoints import rpc
from shared.contracts.base import utcnow
from shared.db import UTCDateTime

if TYPE_CHECKING:
    from shared.bus.requester import Asking
    from shared.db import Sessions

HOUSEKEEPING_SECONDS = 3600  # what it does is counted in days: hourly is plenty


class HousekeepingLog:
    def __init__(self, metadata: MetaData):
        self.table = Table(
            "housekeeping_runs", metadata,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("ran_at", UTCDateTime(), nullable=False, index=True),
            Column("done", JSON, nullable=False),  # what was removed or blanked: {"registrations_anonymised": 3, …}
        )

    def record(self, session: Session, ran_at: datetime, done: dict) -> dict:
        session.connection().execute(insert(self.table), {"ran_at": ran_at, "done": done})
        return done

    def latest(self, session: Session, limit: int = 10) -> list[dict]:
        rows = session.execute(select(self.table).order_by(self.table.c.id.desc()).limit(limit))
        return [{"ran_at": row.ran_at.isoformat(), "done": row.done} for row in rows]


class Housekeeping:
    """The hourly housekeeping run of a service (a timer) and the same run at a given moment (an RPC for
    the secretariat, the command line and tests). Mixed into the service class, which says what its run
    does in `housekeep(session, now)`; needs its `db`, its `asking` and its `housekeeping_log`. Every
    run is recorded."""

    db: Sessions
    asking: Asking
    housekeeping_log: HousekeepingLog

    def housekeep(self, session: Session, now: datetime) -> dict:
        raise NotImplementedError

    @rpc
    def run_housekeeping(self, now: str | None = None) -> dict:
        """`now`: an ISO moment or date (a date is its midnight, UTC); the present when not given."""
        self.asking.secretariat()
        moment = datetime.fromisoformat(now) if now else utcnow()
        return self._run(moment if moment.tzinfo else moment.replace(tzinfo=UTC))

    @timer(interval=HOUSEKEEPING_SECONDS)
    def housekeeping(self) -> None:
        self._run(utcnow())

    def _run(self, now: datetime) -> dict:
        with self.db.begin() as session:
            return self.housekeeping_log.record(session, now, self.housekeep(session, now))
