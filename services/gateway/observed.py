"""Each HTTP request observed: its correlation id bound (from `X-Request-ID`, or a new one) and sent
back in the answer's `X-Request-ID`; counted and timed by route template and status for /metrics; and
a request that changes something (or fails on the gateway's side) logged as one line.

Routes are labelled by their template (`/events/{event_id}/registrations`), never by the path asked
for: a path can hold a calendar feed's secret token, and every id would be a new series.
"""
from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import correlation
from shared.metrics import HTTP_REQUESTS, HTTP_SECONDS

log = logging.getLogger("tsunagu.requests")
READS = frozenset({"GET", "HEAD", "OPTIONS"})
UNMATCHED = "unmatched"  # no route: a 404 (or 405) the router gave itself
HEADER = correlation.HTTP_HEADER.lower().encode()


class ObservedRequests:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = next((value for name, value in scope["headers"] if name == HEADER), b"")
        request_id = correlation.from_request(asked.decode("latin-1"))
        token = correlation.bind(request_id)
        started = time.perf_counter()
        status = 500  # unless an answer starts: the server's own last resort

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (HEADER, request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", UNMATCHED)
            method = scope["method"]
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_SECONDS.labels(method, route).observe(seconds)
            if method not in READS or status >= 500:
                log.log(logging.ERROR if status >= 500 else logging.INFO, "%s %s %d", method, route, status,
                        extra={"method": method, "route": route, "status": status, "ms": round(seconds * 1000, 1)})
            correlation.unbind(token)
