"""Headers that tell browsers what the gateway's answers may do, on every response.

No page of Tsunagu runs inline script or loads anything from another host: the policy says so, and a
script injected into a page (an organizer's text that slipped through escaping) would not run. No page
may be framed (clickjacking of the unsubscribe and confirmation buttons), no answer sniffed into
another type, and no address — which can hold a manage or unsubscribe secret — sent as a Referer.
"""
from __future__ import annotations

from starlette.types import ASGIApp, Scope

from services.gateway.added_headers import AddedHeaders, Headers

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # Swagger UI's icons are data: URIs in its stylesheet
    "connect-src 'self'",  # /docs reads /openapi.json and tries requests on this gateway only
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
])
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def _missing_security_headers(_scope: Scope, present: Headers) -> Headers:
    names = {name.lower() for name, _ in present}
    return [(name, value) for name, value in SECURITY_HEADERS if name not in names]


def SecurityHeaders(app: ASGIApp) -> AddedHeaders:  # noqa: N802 — an ASGI layer, named as the others
    return AddedHeaders(app, _missing_security_headers)
