"""Calling services over RPC from threads outside nameko (the command line, the stack, tests); the
gateway has an asyncio client of its own (services/gateway/bus.py).

A NotFound raised in a service is caught as NotFound by the caller (shared/bus/remote_errors.py).
`RpcPool` keeps started standalone proxies: one proxy must never be shared by two threads at once, and
starting one per call is three times slower.
"""
from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

import shared.bus.remote_errors  # noqa: F401 — registers the domain errors, so they arrive as themselves
from shared.bus.requester import Voucher
from shared.contracts.identity import OPERATOR
from shared.errors import TsunaguError
from shared.settings import Settings

log = logging.getLogger(__name__)
OPERATOR_CLAIM_LIFETIME = timedelta(minutes=15)  # an import or the demo makes many calls with one claim


class RpcPool:
    """`claim` makes the context that says who is asking, fresh for each use (services refuse calls that
    need somebody without it); `RpcPool.for_operator` is the command line's."""

    def __init__(self, amqp_uri: str, size: int = 8, timeout: float = 10.0,
                 claim: Callable[[], dict[str, str]] | None = None):
        self._config = {"AMQP_URI": amqp_uri, "serializer": "json", "ACCEPT": ["json"]}
        self._timeout = timeout
        self._claim = claim
        self._idle: queue.LifoQueue[ClusterRpcProxy] = queue.LifoQueue()
        self._size = size
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def for_operator(cls, settings: Settings, size: int = 1, timeout: float = 30.0) -> RpcPool:
        """Calls made from the host by whoever runs the system (shared.contracts.identity.OPERATOR)."""
        voucher = Voucher(settings.secret_key, OPERATOR_CLAIM_LIFETIME)
        return cls(settings.amqp_uri, size, timeout, claim=lambda: voucher.context(OPERATOR))

    def _new(self) -> ClusterRpcProxy:
        proxy = ClusterRpcProxy(self._config, timeout=self._timeout)
        proxy.start()
        return proxy

    @contextmanager
    def services(self, context: dict | None = None) -> Iterator:
        """`with pool.services() as rpc: rpc.events.get_event(id)` — a proxy for this thread alone.

        `context` is sent with every call as nameko context data (the idempotency key of a command)."""
        try:
            proxy = self._idle.get_nowait()
        except queue.Empty:
            proxy = self._new()
        # The context lives on the proxy's worker context, read at each call: set it for this use only.
        proxy._worker_ctx.data.clear()
        proxy._worker_ctx.data.update({**(self._claim() if self._claim else {}), **(context or {})})
        try:
            yield proxy._proxy  # the ServiceProxy namespace ClusterRpcProxy.start() returns
        except (TsunaguError, RemoteError):
            self._give_back(proxy)  # the service answered: the proxy is healthy
            raise
        except BaseException:
            # Timeouts, lost connections: a late reply could reach the next caller; throw it away.
            self._discard(proxy)
            raise
        else:
            self._give_back(proxy)

    def _give_back(self, proxy: ClusterRpcProxy) -> None:
        with self._lock:
            if not self._closed and self._idle.qsize() < self._size:
                self._idle.put(proxy)
                return
        self._discard(proxy)

    @staticmethod
    def _discard(proxy: ClusterRpcProxy) -> None:
        try:
            proxy.stop()
        except Exception:  # noqa: BLE001 — a broken proxy may fail to stop; it is dropped anyway
            log.debug("could not stop a broken RPC proxy", exc_info=True)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        while True:
            try:
                self._discard(self._idle.get_nowait())
            except queue.Empty:
                return
