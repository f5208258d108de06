"""Request bodies are limited while they are read, before any route parses them.

A body announced larger than the limit (Content-Length) is refused with 413 before a byte of it is
read; a chunked body is counted as it streams and reading stops at the limit. Without this, one
anonymous request of 100 MB is read and parsed in full.

The limit is TSUNAGU_MAX_BODY_BYTES; a route that takes files has its own in ROUTE_BODY_LIMITS.
"""
from __future__ import annotations

import json
import re
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.problems import PROBLEM_JSON

# The one place where a route gets a limit other than TSUNAGU_MAX_BODY_BYTES (keyed by method and the
# route's path as FastAPI writes it): the routes that take a whole spreadsheet, which document it.
ROUTE_BODY_LIMITS: dict[tuple[str, str], int] = {
    ("POST", "/members/import"): 20 * 1024 * 1024,              # far above 60,000 members
    ("POST", "/lists/{slug}/subscribers/import"): 10 * 1024 * 1024,  # 20,000 subscribers fit well within it
}
_ROUTE_PATTERNS = [(method, re.compile("^" + re.sub(r"\{[^/}]+\}", "[^/]+", path) + "$"), limit)
                   for (method, path), limit in ROUTE_BODY_LIMITS.items()]


def body_limit_for(method: str, path: str, default: int) -> int:
    for route_method, pattern, limit in _ROUTE_PATTERNS:
        if method == route_method and pattern.match(path):
            return limit
    return default


def upload_limit_text(method: str, route: str) -> str:
    """What a route that takes a file says of its limit (summaries, descriptions)."""
    return _size(ROUTE_BODY_LIMITS[(method, route)])


class BodyTooLarge(HTTPException):
    """Raised into the route from `receive` once the body passes the limit: the route stops reading.
    An HTTPException, so that FastAPI passes it on as it is and nobody logs it as a fault."""

    def __init__(self) -> None:
        super().__init__(413)


class BodyLimit:
    def __init__(self, app: ASGIApp, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit_for(scope["method"], scope["path"], self.max_body_bytes)
        announced = _content_length(scope)
        if announced is not None and announced > limit:
            await _refuse(scope, send, limit)  # nothing read: the client may stop sending
            return

        received = 0
        exceeded = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if exceeded and not response_started:
                return  # whatever the route made of a cut-off body is replaced by the 413 below
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not response_started:
            await _refuse(scope, send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    body = json.dumps({
        "type": "about:blank", "title": HTTPStatus.REQUEST_ENTITY_TOO_LARGE.phrase, "status": 413,
        "detail": f"the request body is larger than {_size(limit)}, the most {scope['path']} accepts",
        "instance": scope["path"], "limit_bytes": limit,
    }, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KB"
    return f"{limit} bytes"
