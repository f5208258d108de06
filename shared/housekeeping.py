"""Each service's housekeeping runs (retention, pruning) are recorded: when, and what each removed or
blanked, so "what did we delete, and when" has an answer (README: What Tsunagu keeps, and for how long)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Integer, MetaData, Table, insert, select
from sqlalchemy.orm import Session

from shared.db import UTCDateTime


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
