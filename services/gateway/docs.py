"""/docs (Swagger UI) and the gateway's static files, all served from here: the page names no other host."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tsunagu API</title>
<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css">
</head><body>
<div id="swagger-ui"></div>
<script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body></html>
"""


def install(app: FastAPI) -> None:
    """Needs the app built with `docs_url=None, redoc_url=None` (FastAPI's own pages load a CDN)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)
