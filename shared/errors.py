"""Domain errors that cross the bus intact.

A service raises one of these; nameko serialises it, and because `shared.rpc` registers each class
with nameko the caller (the gateway) catches the same class, not a bare RemoteError. Arguments must
stay JSON-safe: they travel as the exception's args. No framework here: domain code raises these.
"""
from __future__ import annotations


class TsunaguError(Exception):
    """Base of every error a caller may rely on. `status` is the HTTP status the gateway answers."""

    status = 500
    title = "Internal error"

    def __init__(self, detail: str, field: str | None = None):
        super().__init__(detail, field)
        self.detail = detail
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.detail}" if self.field else self.detail


class NotFound(TsunaguError):
    status = 404
    title = "Not found"


class Conflict(TsunaguError):
    """The request is valid but clashes with the current state (publishing a cancelled event…)."""

    status = 409
    title = "Conflict"


class Invalid(TsunaguError):
    """The input breaks a rule; `field` names the offending field when there is one."""

    status = 422
    title = "Invalid input"


class Unauthenticated(TsunaguError):
    """The request says nobody (or nobody that can be verified); the gateway answers 401."""

    status = 401
    title = "Unauthorized"


class Forbidden(TsunaguError):
    status = 403
    title = "Forbidden"


class Unavailable(TsunaguError):
    """A fault that passes (the database locked or unreachable for a while): the request changed
    nothing and may be sent again; the gateway answers 503 with Retry-After."""

    status = 503
    title = "Service Unavailable"


DOMAIN_ERRORS: tuple[type[TsunaguError], ...] = (NotFound, Conflict, Invalid, Unauthenticated, Forbidden,
                                                  Unavailable)
