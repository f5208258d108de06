"""A signed-in browser's session, held in its cookie as a signed claim (shared/claims.py, purpose
`session`): the gateway reads who is asking without asking a service.

The cookie is HttpOnly (no script reads it), SameSite=Lax (another site's form cannot send it with a
POST) and Secure when the network's public address is https.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request, Response

from shared.claims import Purpose, purpose_key, sign, verify
from shared.contracts.base import utcnow
from shared.contracts.identity import Caller
from shared.errors import Unauthenticated

COOKIE = "tsunagu_session"


def session_key(request: Request) -> bytes:
    return purpose_key(request.app.state.settings.secret_key, Purpose.SESSION)


def open_session(request: Request, response: Response, caller: Caller, expires_at: datetime) -> None:
    lifetime = expires_at - utcnow()
    response.set_cookie(COOKIE, sign(caller, session_key(request), lifetime), max_age=int(lifetime.total_seconds()),
                        httponly=True, samesite="lax", path="/",
                        secure=request.app.state.settings.gateway_url.startswith("https://"))


def close_session(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax",
                           secure=request.app.state.settings.gateway_url.startswith("https://"))


async def signed_in(request: Request) -> Caller:
    """The person the session cookie names; 401 without a valid one."""
    cookie = request.cookies.get(COOKIE)
    if cookie is None:
        raise Unauthenticated("not signed in: ask for a sign-in link at POST /auth/sign-in")
    return verify(cookie, session_key(request), Caller)


SignedIn = Annotated[Caller, Depends(signed_in)]
