"""RFC 9457 problem details for every error the gateway answers.

Each error body is `application/problem+json` with `type`, `title`, `status`, `detail` and `instance`;
field errors add `errors: [{field, message}]`, so a program can point at the field and a person can
read what was wrong.
"""
from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.gateway.throttle import TooManyRequests
from shared.contracts.base import field_and_message
from shared.errors import TsunaguError

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = "5"  # what a client is told to wait after a 503
HEADERS_BY_STATUS = {401: {"WWW-Authenticate": 'Bearer realm="tsunagu"'}, 503: {"Retry-After": RETRY_AFTER_SECONDS}}
log = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    field: str = Field(description="The field or parameter, e.g. `title`, `sessions.0.starts_at`, `from`")
    message: str = Field(description="What is wrong with it")


class Problem(BaseModel):
    """The body of every error answer (RFC 9457), sent as `application/problem+json`."""

    model_config = ConfigDict(extra="allow")  # some answers add members of their own (e.g. /health's `services`)

    type: str = Field("about:blank", description="`about:blank`: the status says what kind of problem it is")
    title: str = Field(description="The status's phrase, e.g. `Not Found`")
    status: int = Field(description="The HTTP status, repeated")
    detail: str = Field(description="What was wrong, for a person to read")
    instance: str = Field(description="The path that was asked for")
    errors: list[FieldProblem] | None = Field(None, description="Each field that was wrong (422, 409)")
    service: str | None = Field(None, description="The service that did not answer (503) or failed (500)")
    limit_bytes: int | None = Field(None, description="The largest body this path accepts (413)")


class ServiceUnavailable(Exception):
    """A service did not answer over the bus (down, overloaded, or the broker is away)."""

    def __init__(self, service: str, reason: str):
        super().__init__(service, reason)
        self.service = service
        self.reason = reason


class ServiceFailed(Exception):
    """A service answered with an unexpected error (a bug, not bad input)."""

    def __init__(self, service: str, error_type: str):
        super().__init__(service, error_type)
        self.service = service
        self.error_type = error_type


def problem(request: Request, status: int, detail: str, headers: dict | None = None,
            **extensions) -> JSONResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail, "instance": request.url.path, **extensions}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_error(error: dict) -> dict:
    if error.get("type") == "json_invalid":  # its location is ("body", character offset): the body is wrong
        reason = (error.get("ctx") or {}).get("error", "invalid")
        return {"field": "body", "message": f"not JSON: {reason} (at character {error['loc'][-1]})"}
    # ("body", "title") → "title"; ("query", "status") → "status"; ("path", "event_id") → "event_id"
    location = tuple(error.get("loc", ()))
    if location and location[0] in ("body", "query", "path", "header"):
        location = location[1:]
    field, message = field_and_message(location, str(error.get("msg", "")))
    return {"field": field or "body", "message": message}


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [_field_error(err) for err in exc.errors()]
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        detail = f"{first['field']}: {first['message']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
        return problem(request, 422, detail, errors=errors)

    @app.exception_handler(TsunaguError)
    async def _domain(request: Request, exc: TsunaguError):
        extensions = {"errors": [{"field": exc.field, "message": exc.detail}]} if exc.field else {}
        headers = ({"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests)
                   else HEADERS_BY_STATUS.get(exc.status))
        return problem(request, exc.status, exc.detail, headers=headers, **extensions)

    @app.exception_handler(ServiceUnavailable)
    async def _unavailable(request: Request, exc: ServiceUnavailable):
        return problem(request, 503, f"the {exc.service} service did not answer: {exc.reason}",
                       headers={"Retry-After": RETRY_AFTER_SECONDS}, service=exc.service)

    @app.exception_handler(ServiceFailed)
    async def _failed(request: Request, exc: ServiceFailed):
        return problem(request, 500, f"the {exc.service} service failed ({exc.error_type}); "
                                     "nothing was changed by this request unless it says otherwise",
                       service=exc.service)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI answers a JSON body that is not even text with 400 "error parsing the body", and
            # text that is not JSON with 422: both are a body that is not JSON, so both are answered alike.
            message = "not JSON: the body is not UTF-8 text"
            return problem(request, 422, f"body: {message}", errors=[{"field": "body", "message": message}])
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"nothing at {request.url.path}"
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        return problem(request, exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, _exc: Exception):  # logged with its traceback below
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(request, 500, "an unexpected error occurred; it has been logged")
