"""`tsunagu audit verify`: whether each service's audit trail is whole (shared/audit.py)."""
from __future__ import annotations

from shared.contracts.identity import AuditReport
from shared.rpc import RpcPool
from shared.settings import SERVICE_NAMES, load_settings


def verify_audit() -> int:
    """`tsunagu audit verify`: whether each service's audit trail is whole; 1 if one is not."""
    pool = RpcPool.for_operator(load_settings())
    broken = 0
    try:
        with pool.services() as rpc:
            for service in SERVICE_NAMES:
                report = AuditReport.model_validate(getattr(rpc, service).verify_audit())
                if report.intact:
                    print(f"{service}: {report.entries} entries, intact")
                else:
                    broken += 1
                    print(f"{service}: BROKEN at entry {report.first_broken} of {report.entries}: {report.reason}")
    finally:
        pool.close()
    return 1 if broken else 0
