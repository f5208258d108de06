"""The gateway's FastAPI application. Resources (the bus connection) live in the lifespan, never at import."""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp

from services.gateway import docs, problems, web
from services.gateway.access import authorize, check_every_route_has_a_rule
from services.gateway.api_tokens import ApiTokens
from services.gateway.body_limit import BodyLimit
from services.gateway.bus import Bus
from services.gateway.feed_cache import FeedCache, FeedInvalidator
from services.gateway.observed import ObservedRequests
from services.gateway.openapi import build_openapi
from services.gateway.routers import audit, auth, events, feeds, health, lists, members, metrics, registrations
from services.gateway.security_headers import SecurityHeaders
from services.gateway.sessions import RenewedSessionCookie, SessionGuard
from services.gateway.web.templating import Pages
from shared.bus.parts import BrokerPart
from shared.bus.requester import Voucher
from shared.settings import Settings, load_settings


class Gateway(FastAPI):
    def __init__(self, settings: Settings, **kwargs):
        # FastAPI's own /docs and /redoc load scripts from a CDN: docs.py serves the page from here
        super().__init__(docs_url=None, redoc_url=None, **kwargs)
        self.max_body_bytes = settings.max_body_bytes

    def build_middleware_stack(self) -> ASGIApp:
        # Outside everything FastAPI builds, so even its last-resort 500 answer carries the headers,
        # and no route (nor FastAPI's body parsing) ever reads past the body limit.
        return ObservedRequests(SecurityHeaders(BodyLimit(RenewedSessionCookie(super().build_middleware_stack()),
                                                          self.max_body_bytes)))

    def openapi(self) -> dict[str, Any]:
        if not self.openapi_schema:
            self.openapi_schema = build_openapi(self)
        return self.openapi_schema


BUS_START_WAIT = 10.0  # seconds the gateway waits for the broker before it serves (503s) without it


def create_app(settings: Settings | None = None, bus: Bus | None = None) -> FastAPI:
    """The gateway; `bus` stands in for its own connection (the unit tests give a fake)."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.settings = settings
        app.state.throttles = {}  # services/gateway/throttle.py: one per throttled route
        app.state.bus = bus or Bus(settings.amqp_uri_for(BrokerPart.GATEWAY), settings.rpc_timeout)
        app.state.feed_cache = FeedCache(settings.private_feed_seconds, settings.feed_cache_bytes)
        FeedInvalidator(app.state.feed_cache).attach(app.state.bus)
        app.state.session_guard = SessionGuard()
        app.state.session_guard.attach(app.state.bus)
        app.state.api_tokens = ApiTokens()
        app.state.api_tokens.attach(app.state.bus)
        app.state.voucher = Voucher(settings.secret_key)
        app.state.pages = Pages()  # templates and catalogues, read once
        await app.state.bus.start(BUS_START_WAIT)
        try:
            yield
        finally:
            await app.state.bus.stop()

    app = Gateway(settings, title="Tsunagu", version="0.1.0", lifespan=lifespan, dependencies=[Depends(authorize)],
                  description="Events, members and mail for a network of migrant-support groups. "
                              "Every error is `application/problem+json` (RFC 9457).")
    problems.install(app)
    docs.install(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(feeds.router)  # before events: /events/{id}.ics must not be read as an event id
    app.include_router(events.router)
    app.include_router(registrations.router)
    app.include_router(members.router)
    app.include_router(lists.router)
    app.include_router(auth.router)
    app.include_router(audit.router)

    for router in web.ROUTERS:  # the pages for people
        app.include_router(router)
    check_every_route_has_a_rule(app)
    return app


def app_factory() -> FastAPI:
    """For `uvicorn --factory services.gateway.app:app_factory`."""
    return create_app()
