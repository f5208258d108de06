"""Signing in by mail: ask for a link (the same answer whether or not the address has an account), open
it to a page whose button signs in (a mail scanner fetching the link signs nobody in), then a session
cookie; who am I; sign out."""
from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse

from services.gateway.deps import Rpc
from services.gateway.pages import page
from services.gateway.sessions import SignedIn, close_session, open_session
from shared.contracts.identity import Caller, SignInRequest
from shared.contracts.identity import SignedIn as SignedInContract
from shared.errors import NotFound

router = APIRouter(tags=["auth"])
TOKEN_LENGTH = 100
ACCEPTED = {"detail": "If this address has an account, a sign-in link is on its way; it works once, for 15 minutes."}


@router.post("/auth/sign-in", status_code=202,
             summary="Ask for a sign-in link by mail; the same answer whether or not the address has an account")
async def ask_for_link(request: SignInRequest, rpc: Rpc):
    await rpc.members.request_sign_in(request.to_wire())
    return ACCEPTED


@router.get("/auth/sign-in", response_class=HTMLResponse, include_in_schema=False)
def sign_in_page(token: Annotated[str, Query(max_length=TOKEN_LENGTH)]):
    return page("サインイン / Sign in", f"""<h1>つなぐにサインイン / Sign in to Tsunagu</h1>
<form method="post" action="/auth/sign-in/complete"><input type="hidden" name="token" value="{escape(token)}">
<button type="submit">サインイン / Sign in</button></form>""")


@router.post("/auth/sign-in/complete", response_class=HTMLResponse, include_in_schema=False)
async def complete(token: Annotated[str, Form(max_length=TOKEN_LENGTH)], rpc: Rpc, http: Request):
    try:
        signed_in = SignedInContract.model_validate(await rpc.members.complete_sign_in(token))
    except NotFound as missing:
        return page("サインインできませんでした / Not signed in", f"<h1>{escape(missing.detail)}</h1>", 404)
    account = signed_in.account
    answer = page("サインインしました / Signed in",
                  f"<h1>サインインしました / Signed in</h1><p>{escape(account.email)}</p>")
    open_session(http, answer, Caller(account_id=account.id, email=account.email, grants=account.grants,
                                      session_id=signed_in.session_id), signed_in.expires_at)
    return answer


@router.get("/auth/me", response_model=Caller, summary="Who the session cookie says is asking, with their roles")
async def me(caller: SignedIn):
    return caller


@router.post("/auth/sign-out", status_code=204, summary="End this browser's session")
async def sign_out(http: Request):
    answer = Response(status_code=204)
    close_session(http, answer)
    return answer
