"""An ASGI layer that adds headers to every HTTP answer, whatever the route returned (a Response object
or a model), FastAPI's own errors included."""
from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]


class AddedHeaders:
    def __init__(self, app: ASGIApp, extra: Callable[[Scope, Headers], Headers]):
        self.app = app
        self.extra = extra  # (the request's scope, the answer's headers) → headers to add

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = list(message.get("headers", []))
                message = {**message, "headers": [*present, *self.extra(scope, present)]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
