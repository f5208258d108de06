"""What routes ask FastAPI for, named once: `rpc: Rpc` to call the services (as the person asking),
`who: Asker` for that person (services/gateway/access.py decides who may call each route)."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.gateway.access import Asker
from services.gateway.rpc import Services, idempotency_key
from services.gateway.sessions import COOKIE, RENEWED
from shared.bus.commands import IDEMPOTENCY_KEY

__all__ = ["Asker", "Rpc"]


async def services(request: Request, who: Asker) -> Services:
    """Every call carries the request's idempotency key (a command the bus delivers twice runs once)
    and, when someone is asking, the signed claim that says who (the services decide from it)."""
    # async: FastAPI runs a plain def dependency in a thread, which costs more than the call itself
    context: dict[str, str] = {}
    key = idempotency_key(request)
    if key:
        context[IDEMPOTENCY_KEY] = key
    if who is not None:  # and where the request came from, for the audit trail
        client = request.client.host if request.client else None
        # what proved who they are; not a cookie renewed just now (the roles may have changed with it)
        renewed = getattr(request.state, RENEWED, None) is not None
        proof = request.headers.get("authorization") or (None if renewed else request.cookies.get(COOKIE))
        context.update(request.app.state.voucher.context(who.model_copy(update={"client": client}),
                                                         remember_as=f"{client} {proof}" if proof else None))
    return Services(request.app.state.bus, context or None)


Rpc = Annotated[Services, Depends(services)]
