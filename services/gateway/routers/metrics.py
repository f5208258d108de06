"""GET /metrics: the gateway's metrics in Prometheus's text format (shared.metrics) — this process's,
or with several gateway processes on the port, all of theirs (tsunagu/gateway_metrics.py)."""
from __future__ import annotations

import os

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from shared.metrics import MULTIPROCESS_VARIABLE

router = APIRouter(tags=["health"])


@router.get("/metrics", summary="Requests by route and status, with latencies, for Prometheus",
            response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics() -> Response:
    registry = REGISTRY
    if os.environ.get(MULTIPROCESS_VARIABLE):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
