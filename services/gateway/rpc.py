"""How routes call services: one pooled proxy per call, bus failures turned into 503 problems."""
from __future__ import annotations

from amqp.exceptions import AMQPError
from fastapi import Request
from kombu.exceptions import KombuError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from services.gateway.problems import ServiceFailed, ServiceUnavailable
from shared.errors import TsunaguError
from shared.rpc import RpcPool


def call_service(pool: RpcPool, service: str, method: str, *args, **kwargs):
    try:
        with pool.services() as rpc:
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
    """`services.events.get_event(id)` inside a route: reads like the RPC it is."""

    def __init__(self, pool: RpcPool):
        self._pool = pool

    def __getattr__(self, service: str) -> "_Service":
        return _Service(self._pool, service)


class _Service:
    def __init__(self, pool: RpcPool, name: str):
        self._pool = pool
        self._name = name

    def __getattr__(self, method: str):
        return lambda *args, **kwargs: call_service(self._pool, self._name, method, *args, **kwargs)


def services(request: Request) -> Services:
    return Services(request.app.state.rpc_pool)
