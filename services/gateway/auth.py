"""Organizer authentication: the one bearer token of TSUNAGU_ORGANIZER_TOKEN (there are no personal accounts)."""
from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

_bearer = HTTPBearer(auto_error=False, description="The organizer token (var/organizer-token)")


# The dependencies are async: FastAPI runs a plain def dependency in a worker thread, which costs a
# request more than the check itself.
def _token_matches(request: Request, credentials: HTTPAuthorizationCredentials | None) -> bool:
    expected = request.app.state.settings.organizer_token
    return bool(expected and credentials and credentials.scheme.lower() == "bearer"
                and hmac.compare_digest(credentials.credentials.encode(), expected.encode()))


async def require_organizer(request: Request,
                      credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    if not _token_matches(request, credentials):
        detail = ("organizer endpoints need 'Authorization: Bearer <token>'" if credentials is None
                  else "the organizer token is not valid")
        raise HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="tsunagu"'})


async def is_organizer(request: Request,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> bool:
    """For public routes that show organizers more (drafts); a wrong token is still refused."""
    if credentials is None:
        return False
    await require_organizer(request, credentials)
    return True

