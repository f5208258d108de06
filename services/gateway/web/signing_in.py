"""Signing in from a browser: a page to ask for a link by mail, the page the link opens (its button
signs in: a mail scanner fetching the link signs nobody in), and the page that follows."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from pydantic import ValidationError

from services.gateway.deps import Rpc
from services.gateway.sessions import session_cookie
from services.gateway.throttle import Throttled
from services.gateway.web.forms import FormToken, check_form_token
from services.gateway.web.languages import page_language
from services.gateway.web.templating import pages_of
from shared.contracts.identity import SIGN_IN_PAGE, SignedIn, SignInRequest
from shared.errors import NotFound
from shared.words import NOT_AN_ADDRESS

router = APIRouter(include_in_schema=False)
TOKEN_LENGTH = 100
SIGN_INS_PER_MINUTE = 10  # as POST /auth/sign-in: a person asks once or twice, a script trying addresses often


@router.get("/sign-in")
async def ask_page(request: Request):
    return pages_of(request).render(request, "sign_in_ask.html", email="", error=None)


@router.post("/sign-in", dependencies=[Depends(Throttled("sign-in", SIGN_INS_PER_MINUTE))])
async def ask(request: Request, rpc: Rpc, email: Annotated[str, Form(max_length=320)],
              form_token: FormToken):
    check_form_token(request, form_token)
    try:
        wanted = SignInRequest(email=email.strip(), language=page_language(request))
    except ValidationError:
        return pages_of(request).render(request, "sign_in_ask.html", status=422, here="/sign-in", email=email,
                                        error=NOT_AN_ADDRESS)
    await rpc.members.request_sign_in(wanted.to_wire())  # the same answer whether the address has an account
    return pages_of(request).render(request, "sign_in_sent.html", private=True, here="/sign-in",
                                    email=str(wanted.email))


@router.get(SIGN_IN_PAGE)
async def link_page(request: Request, token: Annotated[str, Query(max_length=TOKEN_LENGTH)]):
    return pages_of(request).render(request, "sign_in.html", private=True, token=token)


@router.post("/auth/sign-in/complete")
async def complete(request: Request, rpc: Rpc, token: Annotated[str, Form(max_length=TOKEN_LENGTH)]):
    """No form token: the secret in the mailed link is what proves the right to press the button."""
    try:
        signed_in = SignedIn.model_validate(await rpc.members.complete_sign_in(token))
    except NotFound:
        return pages_of(request).render(request, "link_not_valid.html", status=404, private=True)
    answer = pages_of(request).render(request, "signed_in.html", private=True, here="/", email=signed_in.account.email)
    answer.set_cookie(**session_cookie(request, signed_in))
    return answer
