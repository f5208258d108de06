"""Every form of the pages carries a token that only a page of this site could have put there.

The token is an HMAC (under a key derived from TSUNAGU_SECRET_KEY) of a random value kept in a
SameSite=Strict, HttpOnly cookie: another site can make a browser post a form here, but can neither
read the cookie nor compute the token, and a cross-site post does not even carry the cookie. It holds
for visitors who are not signed in too (a registration form), and needs no state on the server."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Form, Request, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from shared.contracts.base import field_and_message
from shared.errors import Forbidden, Invalid

FORM_COOKIE = "tsunagu_form"
FORM_FIELD = "form_token"
FormToken = Annotated[str, Form(max_length=100)]  # a route's form_token field


def _key(request: Request) -> bytes:
    secret = request.app.state.settings.secret_key.encode()
    return hmac.new(secret, b"tsunagu pages: form token", hashlib.sha256).digest()


def _token(request: Request, nonce: str) -> str:
    return hmac.new(_key(request), nonce.encode(), hashlib.sha256).hexdigest()


def form_token(request: Request) -> tuple[str, str | None]:
    """The token for the forms of this page, and the new cookie value to set (None: keep the one sent)."""
    nonce = request.cookies.get(FORM_COOKIE)
    if nonce and len(nonce) <= 64:
        return _token(request, nonce), None
    nonce = secrets.token_urlsafe(24)
    return _token(request, nonce), nonce


def remember_form_cookie(request: Request, response: Response, nonce: str | None) -> None:
    if nonce is not None:
        response.set_cookie(FORM_COOKIE, nonce, path="/", httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")


def check_form_token(request: Request, sent: object) -> None:
    """`sent`: the form's field as a route read it (a form read whole may hold a file there: refused)."""
    nonce = request.cookies.get(FORM_COOKIE)
    if not nonce or not isinstance(sent, str) or not hmac.compare_digest(_token(request, nonce), sent):
        raise Forbidden("this form did not come from a page of this site (or its page is too old): open the "
                        "page again and send the form from there")


def posted_text(data: FormData, name: str) -> str:
    """A text field of a posted form, trimmed; "" when absent (or a file)."""
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def refusals(refused: ValidationError | Invalid, field_of: Callable[[str | None], str]) -> dict[str, str]:
    """What a contract or a service refused, by the form field it belongs beside (`field_of` turns a
    contract's field path into the form's field name; "" for the form as a whole)."""
    if isinstance(refused, Invalid):
        return {field_of(refused.field): refused.detail}
    errors: dict[str, str] = {}
    for error in refused.errors():
        where, message = field_and_message(error["loc"], error["msg"])
        errors.setdefault(field_of(where), message)
    return errors


async def checked_form(request: Request) -> FormData:
    """A posted form whose token has been checked."""
    data = await request.form()
    check_form_token(request, data.get(FORM_FIELD))
    return data


async def posted_form(request: Request) -> tuple[FormData, dict[str, str]]:
    """A posted form whose token has been checked, and its text fields as they came (to show again)."""
    data = await checked_form(request)
    return data, {name: value for name, value in data.items() if isinstance(value, str)}
