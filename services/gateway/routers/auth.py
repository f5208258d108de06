"""Signing in by mail: ask for a link (the same answer whether or not the address has an account), open
it to a page whose button signs in (a mail scanner fetching the link signs nobody in), then a session
cookie (services/gateway/sessions.py); who am I; one's sessions, each revocable; sign out."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import Field

from services.gateway.deps import Rpc
from services.gateway.sessions import Session, SignedInCaller, ended_session_cookie, session
from services.gateway.throttle import Throttled
from shared.contracts.identity import (
    SIGN_IN_PAGE,
    ApiTokenIssued,
    ApiTokenRequest,
    ApiTokenView,
    Caller,
    SessionView,
    SignInRequest,
)

router = APIRouter(tags=["auth"])
TOKEN_LENGTH = 100
SIGN_INS_PER_MINUTE = 10  # per client address: a person asks once or twice; a script trying addresses, often
ACCEPTED = {"detail": "If this address has an account, a sign-in link is on its way; it works once, for 15 minutes."}
SessionId = Annotated[str, Path(max_length=36)]  # a session's or a token's id (a UUID)


class Me(Caller):
    csrf_token: str | None = Field(None, description="Send it as X-CSRF-Token with every change made with the "
                                                     "session cookie (none when asking with an API token)")


@router.post(SIGN_IN_PAGE, status_code=202, dependencies=[Depends(Throttled("sign-in", SIGN_INS_PER_MINUTE))],
             summary="Ask for a sign-in link by mail; the same answer whether or not the address has an account")
async def ask_for_link(request: SignInRequest, rpc: Rpc):
    await rpc.members.request_sign_in(request.to_wire())
    return ACCEPTED


@router.get("/auth/me", response_model=Me,
            summary="Who is asking (session cookie or personal API token), with their roles")
async def me(who: SignedInCaller, http: Request):
    if who.session_id is None:
        return Me(**who.model_dump())
    return Me(**who.model_dump(), csrf_token=(await session(http)).csrf)


@router.post("/auth/tokens", status_code=201, response_model=ApiTokenIssued,
             summary="Make a personal API token for scripts (shown once); it carries one's roles")
async def create_token(request: ApiTokenRequest, _: Session, rpc: Rpc):  # from a browser session only
    return await rpc.members.create_api_token(request.to_wire())


@router.get("/auth/tokens", response_model=list[ApiTokenView], summary="One's API tokens, with their last use")
async def tokens(_: Session, rpc: Rpc):
    return await rpc.members.list_api_tokens()


@router.delete("/auth/tokens/{token_id}", status_code=204, summary="Revoke one of one's API tokens")
async def revoke_token(token_id: SessionId, _: Session, rpc: Rpc):
    await rpc.members.revoke_api_token(token_id)
    return Response(status_code=204)


@router.get("/auth/sessions", response_model=list[SessionView],
            summary="One's sessions (browsers signed in), the most recently used first")
async def sessions(_: Session, rpc: Rpc):
    return await rpc.members.list_sessions()


@router.delete("/auth/sessions/{session_id}", status_code=204,
               summary="End one of one's sessions (another browser's, or this one)")
async def revoke(session_id: SessionId, _: Session, rpc: Rpc):
    await rpc.members.revoke_session(session_id)
    return Response(status_code=204)


@router.post("/auth/sign-out", status_code=204, summary="End this browser's session")
async def sign_out(claim: Session, rpc: Rpc, http: Request):
    await rpc.members.revoke_session(claim.caller.session_id)
    answer = Response(status_code=204)
    answer.delete_cookie(**ended_session_cookie(http))
    return answer
