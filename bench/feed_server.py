"""The gateway's app served on its own port, plus one route that answers a fixed body: the baseline of
the conditional-GET benchmark ("the same server returning a fixed body")."""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import uvicorn  # noqa: E402 — imported after the warnings filter above
from fastapi import FastAPI, Response  # noqa: E402 — imported after the warnings filter above

from services.gateway.access import RULES, Rule, Who  # noqa: E402 — imported after the warnings filter above
from services.gateway.app import create_app  # noqa: E402 — imported after the warnings filter above
from shared.settings import load_settings  # noqa: E402 — imported after the warnings filter above

FIXED_PATH = "/bench/fixed.ics"


def app_with_fixed_body(body: bytes) -> FastAPI:
    # Every route of the gateway has its access rule (a route without one is refused with a 500): this
    # one, the benchmark's own, is public like the feed it stands beside.
    RULES[("GET", FIXED_PATH)] = Rule(Who.PUBLIC)
    app = create_app(load_settings())

    @app.get(FIXED_PATH)
    async def fixed() -> Response:
        return Response(body, media_type="text/calendar; charset=utf-8")
    return app


def main(port: int, fixed_body_file: str) -> None:
    app = app_with_fixed_body(Path(fixed_body_file).read_bytes())
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", http="httptools", loop="uvloop")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
