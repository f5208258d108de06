"""The gateway's FastAPI application. Resources (RPC pools) live in the lifespan, never at import."""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from services.gateway import problems
from services.gateway.feed_cache import FeedCache, FeedInvalidator
from services.gateway.routers import events, feeds, health, lists, members, registrations
from shared.rpc import RpcPool
from shared.settings import Settings, load_settings


def create_app(settings: Settings | None = None, rpc_pool: RpcPool | None = None,
               health_pool: RpcPool | None = None, listen_for_changes: bool = True) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.settings = settings
        app.state.rpc_pool = rpc_pool or RpcPool(settings.amqp_uri, settings.rpc_pool_size,
                                                 settings.rpc_timeout)
        # /health has its own short-timeout proxies so a dead service is reported in seconds.
        app.state.health_pool = health_pool or RpcPool(settings.amqp_uri, 3, settings.health_timeout)
        app.state.feed_cache = FeedCache(settings.private_feed_seconds, settings.feed_cache_bytes)
        invalidator = FeedInvalidator(settings.amqp_uri, app.state.feed_cache) if listen_for_changes else None
        if invalidator:
            invalidator.start()
        try:
            yield
        finally:
            if invalidator:
                invalidator.stop()
            app.state.rpc_pool.close()
            app.state.health_pool.close()

    app = FastAPI(title="Tsunagu", version="0.1.0", lifespan=lifespan,
                  description="Events, members and mail for a network of migrant-support groups.")
    problems.install(app)
    app.include_router(health.router)
    app.include_router(feeds.router)  # before events: /events/{id}.ics must not be read as an event id
    app.include_router(events.router)
    app.include_router(registrations.router)
    app.include_router(members.router)
    app.include_router(lists.router)

    @app.get("/", tags=["about"], summary="What is here")
    def index(request: Request) -> dict:
        return {"name": "Tsunagu", "health": "/health", "events": "/events", "schedule": "/schedule",
                "feeds": "/feeds", "directory": "/directory", "api_docs": "/docs"}

    return app


def app_factory() -> FastAPI:
    """For `uvicorn --factory services.gateway.app:app_factory`."""
    return create_app()
