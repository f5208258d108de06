"""Who may act as an organizer: a person whose roles include `secretariat` or `organizer`, signed in
(session cookie, with its CSRF token for changes) or with a personal API token (sessions.py); and, until
every script has moved to personal tokens, the shared TSUNAGU_ORGANIZER_TOKEN. Which regions and
networks an organizer may act in is decided per route (to come with the route table).

The dependencies are async: FastAPI runs a plain def dependency in a worker thread, which costs a
request more than the check itself.
"""
from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.gateway.sessions import COOKIE, caller
from shared.contracts.identity import API_TOKEN_PREFIX, Caller, Role
from shared.errors import Forbidden, Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="A personal API token (tsu_…), or the shared organizer token")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
ORGANIZING_ROLES = frozenset({Role.SECRETARIAT, Role.ORGANIZER})


def _shared_token_matches(request: Request, credentials: HTTPAuthorizationCredentials | None) -> bool:
    expected = request.app.state.settings.organizer_token
    return bool(expected and credentials and credentials.scheme.lower() == "bearer"
                and hmac.compare_digest(credentials.credentials.encode(), expected.encode()))


def _names_a_person(request: Request, credentials: HTTPAuthorizationCredentials | None) -> bool:
    personal_token = credentials is not None and credentials.credentials.startswith(API_TOKEN_PREFIX)
    return personal_token or COOKIE in request.cookies


def _organizes(who: Caller) -> bool:
    return any(grant.role in ORGANIZING_ROLES for grant in who.grants)


async def require_organizer(request: Request, credentials: Credentials) -> None:
    if _shared_token_matches(request, credentials):
        return
    if _names_a_person(request, credentials):
        if not _organizes(await caller(request)):  # 401 for a token or session that is not valid
            raise Forbidden("this needs the organizer or secretariat role, which your account does not have")
        return
    detail = ("organizer endpoints need a session, 'Authorization: Bearer <personal API token>' or the "
              "organizer token" if credentials is None else "the organizer token is not valid")
    raise Unauthenticated(detail)


async def is_organizer(request: Request, credentials: Credentials) -> bool:
    """For public routes that show organizers more (drafts) or let them act (cancel a registration). A
    wrong token is refused; a session cookie that is not (or no longer) valid, or sent without its CSRF
    token on a change, only means the public view (a registrant's own manage link still works)."""
    if credentials is not None and not credentials.credentials.startswith(API_TOKEN_PREFIX):
        await require_organizer(request, credentials)  # the shared token, or a 401
        return True
    if credentials is not None:
        return _organizes(await caller(request))  # a personal token that is not valid is a 401
    if COOKIE not in request.cookies:
        return False
    try:
        return _organizes(await caller(request))
    except (Unauthenticated, Forbidden):
        return False
