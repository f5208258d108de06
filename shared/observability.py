"""What each service shows of itself: its metrics on a port of its own, and the correlation id of the
worker at hand in every log line.

One dependency on each service class (`observed = Observed()`). For each worker it binds the
correlation id the call or event carried (nameko context data, see shared.correlation), and counts
what the worker did: an RPC call's outcome and time, a timer's last successful run. Events consumed,
dead letters, the outbox's lag and the mail are counted where they happen (inbox, relay, mailer).

The port: TSUNAGU_METRICS_PORT is the base; events, members and notifications take base, base+1 and
base+2, and the n-th extra instance of them on the same host (TSUNAGU_INSTANCE=n) base+3n onwards.
"""
from __future__ import annotations

import logging
import time

from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from prometheus_client import start_http_server

from shared import correlation
from shared.db import SETTINGS_KEY
from shared.errors import DOMAIN_ERRORS
from shared.metrics import RPC_CALLS, RPC_SECONDS, TIMER_LAST_SUCCESS
from shared.settings import SERVICE_NAMES, Settings

log = logging.getLogger(__name__)


def metrics_port(settings: Settings, service: str) -> int:
    """The port a service's metrics are read at; 0 when TSUNAGU_METRICS_PORT is 0 (none)."""
    if not settings.metrics_port:
        return 0
    return settings.metrics_port + SERVICE_NAMES.index(service) + len(SERVICE_NAMES) * settings.instance


class Observed(DependencyProvider):
    def __init__(self):
        self.port, self.host, self.server = 0, "", None
        self._workers: dict[object, tuple[float, object]] = {}  # worker → (started, correlation token)

    def setup(self):
        settings: Settings = self.container.config[SETTINGS_KEY]
        self.port = metrics_port(settings, self.container.service_name)
        self.host = settings.metrics_host

    def start(self):
        if not self.port:
            return
        try:
            self.server, _thread = start_http_server(self.port, addr=self.host)
        except OSError as exc:  # another copy (or program) holds it: the service still serves
            log.error("no metrics: cannot listen on %s:%d (%s); give each copy its own TSUNAGU_INSTANCE or "
                      "another TSUNAGU_METRICS_PORT", self.host, self.port, exc.strerror)
            return
        log.info("metrics at http://%s:%d/metrics", self.host, self.port)

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    kill = stop

    def worker_setup(self, worker_ctx):
        token = correlation.bind(worker_ctx.data.get(correlation.CONTEXT_KEY))
        self._workers[worker_ctx] = (time.perf_counter(), token)

    def worker_result(self, worker_ctx, _result=None, exc_info=None):
        started, _token = self._workers.get(worker_ctx, (time.perf_counter(), None))
        entrypoint, service = worker_ctx.entrypoint, self.container.service_name
        if isinstance(entrypoint, Rpc):
            error = exc_info[1] if exc_info else None
            outcome = "ok" if error is None else "refused" if isinstance(error, DOMAIN_ERRORS) else "failed"
            RPC_CALLS.labels(service, entrypoint.method_name, outcome).inc()
            RPC_SECONDS.labels(service, entrypoint.method_name).observe(time.perf_counter() - started)
        elif isinstance(entrypoint, Timer) and exc_info is None:
            TIMER_LAST_SUCCESS.labels(service, entrypoint.method_name).set(time.time())

    def worker_teardown(self, worker_ctx):
        _started, token = self._workers.pop(worker_ctx, (0.0, None))
        if token is not None:
            correlation.unbind(token)
