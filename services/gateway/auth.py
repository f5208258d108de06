"""Who is asking at the gateway, for the routes: a person signed in (session cookie, with its CSRF token
for changes) or with a personal API token (sessions.py), or nobody. Every call a route makes carries
that person to the services as a signed claim (deps.py); the services decide, from the claim, what the
person may see and do within their scope. The gateway only turns away, before any call, those who
cannot be allowed at all: nobody where somebody is needed, and a person without an organizing role on
an organizer's route.

The dependencies are async: FastAPI runs a plain def dependency in a worker thread, which costs a
request more than the check itself.
"""
from __future__ import annotations

from fastapi import Request

from services.gateway.sessions import COOKIE, bearer_token, caller
from shared.authority import of_the_secretariat, organizing
from shared.contracts.identity import API_TOKEN_PREFIX, Caller
from shared.errors import Forbidden, Unauthenticated

NOT_A_TOKEN = ("'Authorization: Bearer' takes a personal API token (tsu_…); make one at POST /auth/tokens "
               "when signed in")


async def someone(request: Request) -> Caller:
    """The person asking; 401 for nobody, or a token or session that is not valid."""
    token = bearer_token(request)
    if token is not None and not token.startswith(API_TOKEN_PREFIX):
        raise Unauthenticated(NOT_A_TOKEN)
    if token is None and COOKIE not in request.cookies:
        raise Unauthenticated("this needs somebody: sign in (a link from POST /auth/sign-in), or send "
                              "'Authorization: Bearer <personal API token>'")
    return await caller(request)


async def anyone(request: Request) -> Caller | None:
    """The person asking, or None. A token that is not valid is refused (a script should learn at once);
    a session cookie that is not (or no longer) valid, or sent without its CSRF token on a change, only
    means the public view (a registrant's own manage link still works)."""
    if bearer_token(request) is not None:
        return await someone(request)
    if COOKIE not in request.cookies:
        return None
    try:
        return await caller(request)
    except (Unauthenticated, Forbidden):
        return None


async def organizer(request: Request) -> Caller:
    """A person with an organizing role (secretariat or organizer, in whatever scope: the service checks
    the scope of what they touch); 401 for nobody, 403 for another role."""
    return organizing(await someone(request))


async def secretariat(request: Request) -> Caller:
    return of_the_secretariat(await someone(request))
