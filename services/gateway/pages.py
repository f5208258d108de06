"""The few HTML pages the gateway itself serves (confirmations, sign-in): small, no script, never cached,
never telling another site where the visitor came from."""
from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse


def page(title: str, body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(f"""<!doctype html><html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>
<link rel="stylesheet" href="/static/page.css"></head><body>{body}</body></html>""", status_code=status,
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", **(headers or {})})
