"""The audit trail: who read or exported personal data, and who changed accounts and roles. Each
service keeps its own (the one that holds the data is the one that knows it was read), in the same
transaction as the read or the change, so an answer never leaves without its entry.

Append-only and hash-chained: each entry's hash covers its content and the hash of the entry before
it, and a one-row head holds the last hash and the count. An entry altered, removed from the middle or
cut from the end no longer matches (`verify`; `tsunagu audit verify`). The head is locked while an
entry is appended, so two appends never chain onto the same predecessor.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.orm import Session

from shared.bus.entrypoints import rpc
from shared.contracts.base import parse_contract, utcnow
from shared.contracts.identity import AuditEntry, AuditQuery, AuditReport, Caller
from shared.db import UTCDateTime

if TYPE_CHECKING:
    from shared.bus.requester import Asking
    from shared.db import Sessions

GENESIS = "0" * 64  # the hash before the first entry


def entry_hash(previous: str, entry: Mapping) -> str:
    """What chains an entry to the one before: every column but the hash itself, the moment as ISO text."""
    content = {name: value.isoformat() if name == "at" else value for name, value in entry.items() if name != "hash"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{previous}\n{canonical}".encode()).hexdigest()


class AuditTrail:
    def __init__(self, metadata: MetaData, service: str):
        self.service = service
        self.table = Table(
            "audit_trail", metadata,
            Column("id", Integer, primary_key=True, autoincrement=False),
            Column("at", UTCDateTime(), nullable=False, index=True),
            Column("account_id", String(64), nullable=False, index=True),
            Column("roles", JSON, nullable=False),
            Column("action", String(64), nullable=False, index=True),
            Column("resource", String(200), nullable=False),
            Column("people", Integer, nullable=False),
            Column("client", String(64), nullable=True),
            Column("hash", String(64), nullable=False),
        )
        self.head = Table(
            "audit_head", metadata,
            Column("id", Integer, primary_key=True),
            Column("entries", Integer, nullable=False),
            Column("hash", String(64), nullable=False),
        )

    def record(self, session: Session, who: Caller, action: str, resource: str, people: int,
               at: datetime | None = None) -> None:
        """Append one entry: `who` did `action` on `resource`, which held `people` people's records."""
        db = session.connection()
        head = db.execute(select(self.head).where(self.head.c.id == 1).with_for_update()).first()
        count, previous = (head.entries, head.hash) if head else (0, GENESIS)
        entry = {"id": count + 1, "at": at or utcnow(), "account_id": who.account_id,
                 "roles": sorted({grant.role.value for grant in who.grants}), "action": action,
                 "resource": resource, "people": people, "client": who.client}
        digest = entry_hash(previous, entry)
        db.execute(insert(self.table), {**entry, "hash": digest})
        if head:
            db.execute(update(self.head).where(self.head.c.id == 1).values(entries=count + 1, hash=digest))
        else:
            db.execute(insert(self.head), {"id": 1, "entries": 1, "hash": digest})

    def entries(self, session: Session, query: AuditQuery) -> list[AuditEntry]:
        statement = select(self.table).order_by(self.table.c.id.desc()).limit(query.limit)
        for column, value in (("account_id", query.account_id), ("action", query.action)):
            if value:
                statement = statement.where(self.table.c[column] == value)
        if query.since:
            statement = statement.where(self.table.c.at >= query.since)
        if query.until:
            statement = statement.where(self.table.c.at < query.until)
        return [AuditEntry(service=self.service, **row._mapping) for row in session.execute(statement)]

    def verify(self, session: Session) -> AuditReport:
        """Walks the chain from the first entry: the first that does not match, if any."""
        previous, count = GENESIS, 0
        for row in session.execute(select(self.table).order_by(self.table.c.id)):
            count += 1
            if row.id != count or entry_hash(previous, row._mapping) != row.hash:
                return AuditReport(service=self.service, entries=count, intact=False, first_broken=row.id,
                                   reason="an entry was altered, or one before it removed")
            previous = row.hash
        head = session.execute(select(self.head).where(self.head.c.id == 1)).first()
        recorded = (head.entries, head.hash) if head else (0, GENESIS)
        if recorded != (count, previous):
            return AuditReport(service=self.service, entries=count, intact=False, first_broken=count + 1,
                               reason="entries were removed from the end")
        return AuditReport(service=self.service, entries=count, intact=True)


class Audited:
    """The audit RPCs every service answers, for the secretariat: its entries, filtered, and whether its
    chain holds. Mixed into each service class; needs its `db`, its `asking` and its `audit_trail`."""

    db: Sessions
    asking: Asking
    audit_trail: AuditTrail

    @rpc
    def audit_entries(self, query: dict) -> list[dict]:
        self.asking.secretariat()
        command = parse_contract(AuditQuery, query)
        with self.db() as session:
            return [entry.to_wire() for entry in self.audit_trail.entries(session, command)]

    @rpc
    def verify_audit(self) -> dict:
        self.asking.secretariat()
        with self.db() as session:
            return self.audit_trail.verify(session).to_wire()
