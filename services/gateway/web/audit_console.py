"""The audit trail as a page, for the secretariat: who read or exported people's data, and who changed
accounts and roles — newest first, by account or action, as the API's /audit gives it."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.gateway.deps import Rpc
from services.gateway.routers.audit import audit_trail
from services.gateway.web.templating import pages_of
from shared.contracts.events import DEFAULT_TIMEZONE
from shared.contracts.identity import AuditQuery

router = APIRouter(include_in_schema=False)
SHOWN = 200


@router.get("/console/audit")
async def audit(request: Request, rpc: Rpc, account_id: Annotated[str | None, Query(max_length=64)] = None,
                action: Annotated[str | None, Query(max_length=64)] = None):
    entries = await audit_trail(rpc, AuditQuery(account_id=account_id or None, action=action or None, limit=SHOWN))
    return pages_of(request).render(request, "console_audit.html", private=True, entries=entries,
                                    account_id=account_id or "", action=action or "", shown_most=SHOWN,
                                    zone=DEFAULT_TIMEZONE)
