"""How routes call services: `await services.events.get_event(id)` over the gateway's bus client, its
failures turned into 503 (no answer) and 500 (the service failed) problems."""
from __future__ import annotations

import uuid
from typing import Any, Protocol

from fastapi import Request
from nameko.exceptions import BadRequest, RemoteError

from services.gateway.bus import BusError
from services.gateway.problems import ServiceFailed, ServiceUnavailable
from shared.bus.commands import MAX_KEY_LENGTH
from shared.errors import Invalid, TsunaguError


class RpcClient(Protocol):
    """What the routes need of the bus (services/gateway/bus.py; the unit tests' FakeBus)."""

    async def call(self, service: str, method: str, args: tuple | list = (), kwargs: dict | None = None, *,
                   context: dict | None = None, timeout: float | None = None) -> Any: ...


async def call_service(bus: RpcClient, service: str, method: str, *args, context: dict | None = None,
                       timeout: float | None = None, **kwargs) -> Any:
    try:
        return await bus.call(service, method, args, kwargs, context=context, timeout=timeout)
    except TsunaguError:
        raise
    except BusError as exc:
        raise ServiceUnavailable(service, exc.reason) from None
    except RemoteError as exc:
        raise ServiceFailed(service, exc.exc_type) from exc
    except BadRequest as exc:  # nameko refused the call (no such method, wrong arguments): a gateway bug
        raise ServiceFailed(service, type(exc).__name__) from exc


class Services:
    """`await services.events.get_event(id)` inside a route: reads like the RPC it is. Every call
    carries the request's idempotency key, so a command the bus delivers twice runs once."""

    def __init__(self, bus: RpcClient, context: dict | None = None):
        self._bus = bus
        self._context = context

    def __getattr__(self, service: str) -> _Service:
        return _Service(self._bus, service, self._context)


class _Service:
    def __init__(self, bus: RpcClient, name: str, context: dict | None):
        self._bus = bus
        self._name = name
        self._context = context

    def __getattr__(self, method: str):
        async def call(*args, **kwargs):
            return await call_service(self._bus, self._name, method, *args, context=self._context, **kwargs)
        return call


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDEMPOTENCY_HEADER = "Idempotency-Key"


def idempotency_key(request: Request) -> str | None:
    """The client's Idempotency-Key (so that it may safely send a request again after a timeout),
    else a new key for this request alone (so that the bus delivering it twice runs it once).
    Requests that change nothing need none."""
    if request.method in SAFE_METHODS:
        return None
    given = request.headers.get(IDEMPOTENCY_HEADER)
    if given is None:
        return uuid.uuid4().hex
    if not 1 <= len(given) <= MAX_KEY_LENGTH or not given.isascii() or not given.isprintable():
        raise Invalid(f"{IDEMPOTENCY_HEADER} is 1 to {MAX_KEY_LENGTH} printable ASCII characters "
                      "(a UUID is a good choice)", IDEMPOTENCY_HEADER)
    return given
