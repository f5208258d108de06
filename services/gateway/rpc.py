"""How routes call services: one pooled proxy per call, bus failures turned into 503 problems."""
from __future__ import annotations

import uuid

from amqp.exceptions import AMQPError
from fastapi import Request
from kombu.exceptions import KombuError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from services.gateway.problems import ServiceFailed, ServiceUnavailable
from shared.bus.commands import IDEMPOTENCY_KEY, MAX_KEY_LENGTH
from shared.errors import Invalid, TsunaguError
from shared.rpc import RpcPool


def call_service(pool: RpcPool, service: str, method: str, *args, context: dict | None = None, **kwargs):
    try:
        with pool.services(context) as rpc:
            return getattr(getattr(rpc, service), method)(*args, **kwargs)
    except TsunaguError:
        raise
    except RemoteError as exc:
        raise ServiceFailed(service, exc.exc_type) from exc
    except RpcTimeout:
        raise ServiceUnavailable(service, "no answer in time") from None
    except UnknownService:
        raise ServiceUnavailable(service, "it is not running") from None
    except OSError as exc:
        raise ServiceUnavailable(service, f"the message bus is unreachable ({type(exc).__name__})") from None
    except (KombuError, AMQPError) as exc:
        raise ServiceUnavailable(service, f"the message bus failed ({type(exc).__name__})") from None


class Services:
    """`services.events.get_event(id)` inside a route: reads like the RPC it is. Every call carries
    the request's idempotency key, so a command the bus delivers twice runs once."""

    def __init__(self, pool: RpcPool, context: dict | None = None):
        self._pool = pool
        self._context = context

    def __getattr__(self, service: str) -> _Service:
        return _Service(self._pool, service, self._context)


class _Service:
    def __init__(self, pool: RpcPool, name: str, context: dict | None):
        self._pool = pool
        self._name = name
        self._context = context

    def __getattr__(self, method: str):
        return lambda *args, **kwargs: call_service(self._pool, self._name, method, *args,
                                                    context=self._context, **kwargs)


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


def services(request: Request) -> Services:
    key = idempotency_key(request)
    return Services(request.app.state.rpc_pool, {IDEMPOTENCY_KEY: key} if key else None)
