"""The audit trail, for the secretariat: each service keeps the entries of the data it holds; this
route gathers them, newest first."""
from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from services.gateway.deps import Rpc
from shared.contracts.identity import AuditEntry, AuditQuery
from shared.settings import SERVICE_NAMES

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=list[AuditEntry],
            summary="Who read or exported personal data, and who changed accounts: newest first (secretariat)")
async def audit(rpc: Rpc, account_id: Annotated[str | None, Query(max_length=64)] = None,
                action: Annotated[str | None, Query(max_length=64, description="e.g. registrations.csv")] = None,
                since: datetime | None = None, until: datetime | None = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    return await audit_trail(rpc, AuditQuery(account_id=account_id, action=action, since=since, until=until,
                                             limit=limit))


async def audit_trail(rpc: Rpc, query: AuditQuery) -> list[AuditEntry]:
    """Every service's entries that answer `query`, newest first (this route's, and the console's page)."""
    found = await asyncio.gather(*(getattr(rpc, service).audit_entries(query.to_wire()) for service in SERVICE_NAMES))
    entries = [AuditEntry.model_validate(entry) for entries in found for entry in entries]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)[:query.limit]
