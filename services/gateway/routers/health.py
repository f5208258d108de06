"""GET /health: each service's state, learned by pinging it over the bus.

Anyone sees whether each service is up; only organizers see the details (instances, database,
the reason a service does not answer), which name hosts and processes.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.gateway.deps import MaybeOrganizer
from services.gateway.problems import ServiceFailed, ServiceUnavailable, problem
from services.gateway.rpc import call_service
from shared.errors import Unavailable
from shared.settings import SERVICE_NAMES

router = APIRouter(tags=["health"])


def _ping(pool, service: str) -> dict:
    try:
        answer = call_service(pool, service, "ping")
        return {"status": "ok", **{k: v for k, v in answer.items() if k not in ("service", "status")}}
    except ServiceUnavailable as exc:
        return {"status": "unavailable", "reason": exc.reason}
    except Unavailable as exc:  # it answers, but cannot read its database
        return {"status": "unavailable", "reason": exc.detail}
    except ServiceFailed as exc:
        return {"status": "failing", "reason": exc.error_type}


@router.get("/health", summary="Each service's state (up or not), as learned over the bus; details for organizers")
def health(request: Request, organizer: MaybeOrganizer):
    pool = request.app.state.health_pool
    with ThreadPoolExecutor(len(SERVICE_NAMES)) as executor:
        states = dict(zip(SERVICE_NAMES, executor.map(lambda name: _ping(pool, name), SERVICE_NAMES), strict=True))
    failing = [name for name, state in states.items() if state["status"] != "ok"]
    detail = f"not answering: {', '.join(failing)}"
    if organizer:
        detail += " (" + "; ".join(f"{name}: {states[name]['reason']}" for name in failing) + ")"
    else:
        states = {name: {"status": state["status"]} for name, state in states.items()}
    if failing:
        return problem(request, 503, detail, services=states, failing=failing)
    return JSONResponse({"status": "ok", "services": states})
