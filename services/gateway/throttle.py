"""Requests throttled per client: a sliding minute per (route, client address), in the gateway's memory
(each gateway process counts its own). More than allowed gets 429 problem+json with Retry-After. Behind
a reverse proxy, the client address is the one it forwards (uvicorn trusts X-Forwarded-For from
127.0.0.1)."""
from __future__ import annotations

import math
import time
from collections import deque

from fastapi import Request

from shared.errors import TsunaguError

WINDOW_SECONDS = 60.0
MOST_CLIENTS = 100_000  # beyond this many remembered clients, the oldest are forgotten (memory stays bounded)


class TooManyRequests(TsunaguError):
    status = 429
    title = "Too Many Requests"

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after


class Throttle:
    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}

    def check(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        times = self._seen.pop(client, None) or deque()
        while times and now - times[0] >= WINDOW_SECONDS:
            times.popleft()
        self._seen[client] = times  # most recently seen last: the first is the one to forget
        if len(self._seen) > MOST_CLIENTS:
            del self._seen[next(iter(self._seen))]
        if len(times) >= self.per_minute:
            wait = math.ceil(WINDOW_SECONDS - (now - times[0]))
            raise TooManyRequests(f"too many requests from this address; try again in {wait} seconds", wait)
        times.append(now)


class Throttled:
    """A dependency: at most `per_minute` requests a minute from one client address to this route, or
    as many as the setting named `setting` says (0: no limit). The counts live in the app's state (made
    at its start, one Throttle per name)."""

    def __init__(self, name: str, per_minute: int = 0, setting: str | None = None):
        self.name = name
        self.per_minute = per_minute
        self.setting = setting

    async def __call__(self, request: Request) -> None:
        throttles: dict[str, Throttle | None] = request.app.state.throttles
        if self.name not in throttles:
            limit = getattr(request.app.state.settings, self.setting) if self.setting else self.per_minute
            throttles[self.name] = Throttle(limit) if limit else None
        throttle = throttles[self.name]
        if throttle is not None:
            throttle.check(request.client.host if request.client else "unknown")
