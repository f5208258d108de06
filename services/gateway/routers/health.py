"""GET /health: each service's state, learned by pinging it over the bus.

Anyone sees whether each service is up; only organizers see the details (instances, database,
the reason a service does not answer), which name hosts and processes.
"""
from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.gateway.deps import Asker
from services.gateway.problems import ServiceFailed, ServiceUnavailable, problem
from services.gateway.rpc import call_service
from shared.errors import Unavailable
from shared.settings import SERVICE_NAMES

router = APIRouter(tags=["health"])


async def _ping(request: Request, service: str) -> dict:
    try:
        answer = await call_service(request.app.state.bus, service, "ping",
                                    timeout=request.app.state.settings.health_timeout)
        return {"status": "ok", **{k: v for k, v in answer.items() if k not in ("service", "status")}}
    except ServiceUnavailable as exc:
        return {"status": "unavailable", "reason": exc.reason}
    except Unavailable as exc:  # it answers, but cannot read its database
        return {"status": "unavailable", "reason": exc.detail}
    except ServiceFailed as exc:
        return {"status": "failing", "reason": exc.error_type}


@router.get("/health", summary="Each service's state (up or not), as learned over the bus; details for organizers")
async def health(request: Request, who: Asker):
    # every service at once, each within the short health timeout: a dead one is reported in seconds
    pings = await asyncio.gather(*(_ping(request, name) for name in SERVICE_NAMES))
    states = dict(zip(SERVICE_NAMES, pings, strict=True))
    failing = [name for name, state in states.items() if state["status"] != "ok"]
    detail = f"not answering: {', '.join(failing)}"
    if who is not None and who.is_organizing:
        detail += " (" + "; ".join(f"{name}: {states[name]['reason']}" for name in failing) + ")"
    else:
        states = {name: {"status": state["status"]} for name, state in states.items()}
    if failing:
        return problem(request, 503, detail, services=states, failing=failing)
    return JSONResponse({"status": "ok", "services": states})
