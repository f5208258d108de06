"""The correlation id: one value per request that every process touching it logs, so that grepping it
shows a registration's whole path — the gateway's request, the service's command, the events it
published, the consumers that applied them, the mail it caused.

Where it travels: in from the HTTP request's `X-Request-ID` (or made by the gateway); on RPC calls and
events as nameko context data (the `nameko.correlation_id` header, which nameko hands on to the calls
and events a worker makes); in the outbox's payload (an event is published later, by another thread);
in the mail ledger's message row (a mail is sent later still).
"""
from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

CONTEXT_KEY = "correlation_id"  # nameko context data key (header nameko.correlation_id)
HTTP_HEADER = "X-Request-ID"
_ACCEPTED = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")  # a proxy's id (uuid, hex, base64…) and no log tricks

_current: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def current() -> str | None:
    return _current.get()


def bind(value: str | None):
    """Make `value` the current id; returns the token `unbind` takes."""
    return _current.set(value)


def unbind(token) -> None:
    _current.reset(token)


def from_request(header: str | None) -> str:
    """The client's (or proxy's) request id when it is a sane one, else a new id."""
    if header and _ACCEPTED.fullmatch(header):
        return header
    return uuid.uuid4().hex
