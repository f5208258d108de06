"""A signed-in browser's session, held in its cookie as a signed claim (shared/claims.py, purpose
`session`): the gateway reads who is asking without asking a service.

- The claim holds for CLAIM_LIFETIME; then, on the next request, the gateway renews it with one RPC
  (`members.refresh_session`), which also slides the session's expiry and brings role changes in. So a
  session costs one RPC per CLAIM_LIFETIME, not one per request.
- A revoked session (`session_revoked` on the bus) is refused at once: the SessionGuard remembers
  revocations for as long as a claim could still hold. While the gateway is away from the bus it may
  miss one, so claims made before it came back are renewed before they are honoured.
- The cookie is HttpOnly (no script reads it), SameSite=Lax, Secure when the public address is https;
  a request that changes something and is authenticated by the cookie must also send the session's
  CSRF token (`X-CSRF-Token`, from GET /auth/me; the pages' forms send it as the field `csrf_token`).
"""
from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field
from starlette.responses import Response
from starlette.types import ASGIApp, Scope

from services.gateway.added_headers import AddedHeaders, Headers
from services.gateway.bus import Bus
from services.gateway.rpc import SAFE_METHODS, call_service
from shared.claims import Purpose, Signed, purpose_key, read, read_remembered, sign
from shared.contracts.base import Contract, utcnow
from shared.contracts.identity import API_TOKEN_PREFIX, Caller, SignedIn
from shared.errors import Forbidden, NotFound, Unauthenticated

COOKIE = "tsunagu_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"  # the same token, in the forms of the pages (services/gateway/web)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
CLAIM_LIFETIME = timedelta(minutes=10)
RENEWED = "session_cookie"  # where a renewed cookie waits for the answer (the request's state)


class SessionClaim(Contract):
    caller: Caller
    csrf: str = Field(description="what requests that change something send back in X-CSRF-Token")


class SessionGuard:
    """What the gateway knows of sessions beyond their claims: those revoked lately, and since when it
    has been listening."""

    def __init__(self) -> None:
        self._revoked: dict[str, datetime] = {}  # session id → until when a claim for it could hold
        self.listening_since: datetime | None = None

    def attach(self, bus: Bus) -> None:
        bus.listen("members", ("session_revoked",), self.on_revoked)
        bus.on_state(self.on_bus_state)

    def on_revoked(self, _event_type: str, payload: dict) -> None:
        now = utcnow()
        self._revoked = {sid: until for sid, until in self._revoked.items() if until > now}
        self._revoked[payload["session_id"]] = now + CLAIM_LIFETIME

    def on_bus_state(self, listening: bool) -> None:
        # whole seconds, as claims tell when they were made: one made in this very second is renewed
        self.listening_since = utcnow().replace(microsecond=0) if listening else None

    def honours(self, signed: Signed[SessionClaim]) -> bool:
        session_id = signed.statement.caller.session_id
        return (signed.until > utcnow() and self.listening_since is not None and signed.made > self.listening_since
                and session_id not in self._revoked)


def session_key(request: Request) -> bytes:
    return purpose_key(request.app.state.settings.secret_key, Purpose.SESSION)


def _secure(request: Request) -> bool:
    return request.app.state.settings.gateway_url.startswith("https://")


def session_cookie(request: Request, signed_in: SignedIn, csrf: str | None = None) -> dict:
    """The Set-Cookie arguments that hold this session (a new CSRF token unless one is kept)."""
    account = signed_in.account
    caller = Caller(account_id=account.id, email=account.email, grants=account.grants,
                    session_id=signed_in.session_id)
    claim = SessionClaim(caller=caller, csrf=csrf or secrets.token_urlsafe(24))
    return {"key": COOKIE, "value": sign(claim, session_key(request), CLAIM_LIFETIME), "path": "/",
            "max_age": int((signed_in.expires_at - utcnow()).total_seconds()), "httponly": True,
            "samesite": "lax", "secure": _secure(request)}


def ended_session_cookie(request: Request) -> dict:
    return {"key": COOKIE, "path": "/", "httponly": True, "samesite": "lax", "secure": _secure(request)}


async def session(request: Request) -> SessionClaim:
    """The session the cookie holds (renewed if its claim has run out); 401 without a valid one, 403 for a
    change without the session's CSRF token."""
    known = getattr(request.state, "session_claim", None)
    if known is not None:  # read (and maybe renewed) earlier in this request
        return known
    cookie = request.cookies.get(COOKIE)
    if cookie is None:
        raise Unauthenticated("not signed in: ask for a sign-in link at POST /auth/sign-in")
    signed = read_remembered(cookie, session_key(request), SessionClaim)
    claim = signed.statement
    if not request.app.state.session_guard.honours(signed):
        try:
            renewed = SignedIn.model_validate(await call_service(
                request.app.state.bus, "members", "refresh_session", claim.caller.session_id))
        except NotFound:
            raise Unauthenticated("this session has ended; sign in again") from None
        cookie_args = session_cookie(request, renewed, csrf=claim.csrf)
        setattr(request.state, RENEWED, cookie_args)
        claim = read(cookie_args["value"], session_key(request), SessionClaim).statement
    if request.method not in SAFE_METHODS and not hmac.compare_digest(await _sent_csrf(request), claim.csrf.encode()):
        raise Forbidden(f"a change made with the session cookie needs its {CSRF_HEADER} header "
                        "(the csrf_token of GET /auth/me)", CSRF_HEADER)
    request.state.session_claim = claim
    return claim


async def _sent_csrf(request: Request) -> bytes:
    """The CSRF token a change sends: the header (scripts), or a page's form field (browsers)."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        field = (await request.form()).get(CSRF_FIELD)  # Starlette keeps the parsed form for the route
        sent = field if isinstance(field, str) else None
    return (sent or "").encode()


def bearer_token(request: Request) -> str | None:
    """What `Authorization: Bearer …` carries, if the request sends one."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


async def caller(request: Request) -> Caller:
    """Who is asking: a personal API token's person (`Authorization: Bearer tsu_…`), else the session's."""
    token = bearer_token(request)
    if token is not None and token.startswith(API_TOKEN_PREFIX):
        return await request.app.state.api_tokens.caller(request.app.state.bus, token)
    return (await session(request)).caller


Session = Annotated[SessionClaim, Depends(session)]
SignedInCaller = Annotated[Caller, Depends(caller)]


def _renewed_cookie(scope: Scope, _present: Headers) -> Headers:
    renewed = scope.get("state", {}).get(RENEWED)
    if not renewed:
        return []
    carrier = Response()
    carrier.set_cookie(**renewed)
    return [(name, value) for name, value in carrier.raw_headers if name == b"set-cookie"]


def RenewedSessionCookie(app: ASGIApp) -> AddedHeaders:  # noqa: N802 — an ASGI layer, named as the others
    """Adds the Set-Cookie of a session renewed while answering, whatever the route returned."""
    return AddedHeaders(app, _renewed_cookie)
