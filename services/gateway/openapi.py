"""The OpenAPI document names every error a route can answer, with the problem+json body it really sends.

Errors are decided here, in one place, from what each route is — not written into every router:
- 401 and 403 where a route reads who is asking (every rule in access.py but `anyone`): nobody
  where somebody is needed, or a token or session that is not valid; a role or scope the caller lacks;
- 404 where a path names something (`{event_id}`…); 409 for the routes in CONFLICTS;
- 413 where a body can be sent (POST, PUT, PATCH); 422 where parameters or a body are read;
- 503 where a service is called (every route but those in NO_SERVICE_CALLS); 500 everywhere.
GET and HEAD of one route get operation ids of their own.
"""
from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.routing import BaseRoute

from services.gateway.access import Who, rule_for
from services.gateway.problems import PROBLEM_JSON, Problem
from services.gateway.sessions import COOKIE
from services.gateway.throttle import Throttled

# Routes whose use case can refuse because of the current state (a clash, a status, a duplicate).
CONFLICTS: frozenset[tuple[str, str]] = frozenset({
    ("PATCH", "/events/{event_id}"),
    ("POST", "/events/{event_id}/publish"),
    ("POST", "/events/{event_id}/cancel"),
    ("POST", "/events/{event_id}/postpone"),
    ("POST", "/events/{event_id}/complete"),
    ("POST", "/events/{event_id}/registrations"),
    ("DELETE", "/registrations/{registration_id}"),
    ("PUT", "/registrations/{registration_id}/attendees"),
    ("POST", "/registrations/{registration_id}/approve"),
    ("POST", "/registrations/{registration_id}/reject"),
    ("POST", "/members/groups"),
    ("POST", "/members/individuals"),
    ("PATCH", "/members/{member_id}"),
    ("POST", "/members/{member_id}/memberships"),
    ("POST", "/lists"),
})
# Routes answered by the gateway alone.
NO_SERVICE_CALLS: frozenset[str] = frozenset({"/", "/feeds"})
WITH_BODY = {"POST", "PUT", "PATCH"}
ERRORS = {
    401: "Nobody signed in (no session, no personal API token) where somebody is needed, or a session or "
         "token that is not valid",
    403: "Not allowed to this caller: a role or scope it lacks, or a change made with the session cookie "
         "without its X-CSRF-Token",
    404: "Nothing here with this id (or nothing this caller may see)",
    409: "Refused because of the current state; `detail` and `errors` say what clashes",
    413: "The body is larger than this path accepts (`limit_bytes`)",
    422: "A parameter or field is invalid; `errors` names each one",
    429: "Too many requests from this address: wait `Retry-After` seconds",
    500: "An unexpected error: it has been logged, its internals are not shown",
    503: "A service did not answer (named in `service`); try again after `Retry-After` seconds",
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def unique_operation_ids(schema: dict) -> None:
    """A route serving GET and HEAD gets one operation id per method (FastAPI gives both the same)."""
    operations = [(method, operation) for path in schema["paths"].values() for method, operation in path.items()]
    counts = Counter(operation["operationId"] for _, operation in operations)
    for method, operation in operations:
        if counts[operation["operationId"]] > 1:
            base = re.sub(r"_(get|head|post|put|patch|delete)$", "", operation["operationId"])
            operation["operationId"] = f"{base}_{method}"


def _dependants(route: RouteContext) -> Iterator[Dependant]:
    """The route's endpoint and everything it depends on, however deep."""
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        yield dependant
        pending.extend(dependant.dependencies)


def errors_of(route: RouteContext, method: str) -> list[int]:
    dependants = list(_dependants(route))
    path_params = any(d.path_params for d in dependants)
    other_params = any(d.query_params or d.header_params or d.body_params for d in dependants)
    statuses = [500]
    calls = {d.call for d in dependants}
    if rule_for(method, route.path or "").who is not Who.PUBLIC:
        statuses.extend((401, 403))
    if path_params:
        statuses.append(404)
    if (method, route.path) in CONFLICTS:
        statuses.append(409)
    if method in WITH_BODY:
        statuses.append(413)
    if method in WITH_BODY or path_params or other_params:
        statuses.append(422)
    if any(isinstance(call, Throttled) for call in calls):
        statuses.append(429)
    if route.path not in NO_SERVICE_CALLS:
        statuses.append(503)
    return sorted(statuses)


def _error_response(route: RouteContext, status: int) -> dict:
    # The pages for people (unsubscribe) answer an unknown link with a page, not with JSON.
    if status == 404 and issubclass(_response_class(route), HTMLResponse):
        return {"description": ERRORS[status], "content": {"text/html": {"schema": {"type": "string"}}}}
    answer = {"description": ERRORS[status], "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}
    if status in (429, 503):
        answer["headers"] = {"Retry-After": {"description": "Seconds to wait before trying again",
                                             "schema": {"type": "integer"}}}
    return answer


def _response_class(route: RouteContext) -> type:
    response_class = route.response_class
    return getattr(response_class, "value", response_class)  # FastAPI wraps defaults in DefaultPlaceholder


def document_errors(schema: dict, routes: Iterable[BaseRoute]) -> dict:
    for route in iter_route_contexts(list(routes)):  # each route as included (prefixes, included routers)
        if not (isinstance(route.original_route, APIRoute) and route.include_in_schema):
            continue
        for method in route.methods or ():
            responses = schema["paths"][route.path_format][method.lower()]["responses"]
            for status in errors_of(route, method):
                responses[str(status)] = _error_response(route, status)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(_problem_schemas())
    # FastAPI's own 422 body (`detail: [...]`) is never sent: problems.py answers every validation error.
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


SECURITY_SCHEMES = {
    "personalToken": {"type": "http", "scheme": "bearer",
                      "description": "A personal API token (tsu_…), made at POST /auth/tokens when signed in"},
    "session": {"type": "apiKey", "in": "cookie", "name": COOKIE,
                "description": "A signed-in browser's session; a change also sends X-CSRF-Token (GET /auth/me)"},
}
SIGNED_IN: list[dict[str, list]] = [{"personalToken": []}, {"session": []}]


def document_security(schema: dict) -> dict:
    """Who may call each operation, from the access table: public ones need nothing; those where a
    signed-in person may see more take either credential or none; the rest need one."""
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            who = rule_for(method.upper(), path).who
            if who is not Who.PUBLIC:
                operation["security"] = [*SIGNED_IN, {}] if who is Who.ANYONE else SIGNED_IN
    return schema


def _problem_schemas() -> dict:
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    return {"Problem": problem, **problem.pop("$defs")}  # $defs: FieldProblem


def build_openapi(app: FastAPI) -> dict:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Duplicate Operation ID")  # made unique below
        schema = get_openapi(title=app.title, version=app.version, openapi_version=app.openapi_version,
                             description=app.description, routes=app.routes, tags=app.openapi_tags,
                             servers=app.servers, separate_input_output_schemas=app.separate_input_output_schemas)
    unique_operation_ids(schema)
    return document_security(document_errors(schema, app.routes))
