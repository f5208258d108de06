"""The outbox and inbox tables, added to a service's own metadata."""
from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, bindparam, insert, select
from sqlalchemy.orm import Session

from shared import correlation
from shared.contracts.base import Event, utcnow
from shared.db import UTCDateTime

OUTBOX_WRITTEN = "outbox_written"  # session.info flag: the relay is woken after this session commits


class Outbox:
    """Events waiting to be published, written in the same transaction as the change they describe."""

    def __init__(self, metadata: MetaData):
        self.table = Table(
            "outbox", metadata,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("event_id", String(36), nullable=False, unique=True),
            Column("event_type", String(64), nullable=False),
            Column("payload", JSON, nullable=False),
            Column("created_at", UTCDateTime(), nullable=False),
            Column("published_at", UTCDateTime(), nullable=True),
            Column("correlation_id", String(128), nullable=True),  # published as a header (relay)
            Index("ix_outbox_pending", "published_at", "id"),
        )

        self._insert = insert(self.table)  # built once; each record only binds its values

    def record(self, session: Session, event: Event) -> None:
        if event.correlation_id is None and correlation.current():
            event = event.model_copy(update={"correlation_id": correlation.current()})
        session.connection().execute(self._insert, {
            "event_id": str(event.event_id), "event_type": event.event_type, "payload": event.to_wire(),
            "created_at": utcnow(), "published_at": None, "correlation_id": event.correlation_id})
        session.info[OUTBOX_WRITTEN] = True


class InboxTable:
    """Events a consumer has applied, keyed by (consumer, event_id): a redelivery is recognised."""

    def __init__(self, metadata: MetaData):
        self.table = Table(
            "inbox", metadata,
            Column("consumer", String(120), primary_key=True),
            Column("event_id", String(36), primary_key=True),
            Column("event_type", String(64), nullable=False),
            Column("processed_at", UTCDateTime(), nullable=False),
        )
        # Built once: every event consumed runs both (each call only binds its values).
        self.seen = select(self.table.c.event_id).where(self.table.c.consumer == bindparam("consumer"),
                                                       self.table.c.event_id == bindparam("event_id"))
        self.applied = insert(self.table)
