"""Signed statements that travel: the verified caller the gateway passes to the services over the bus,
and the session a browser holds. A claim is `<payload>.<signature>`: the payload is the statement as
JSON (base64url) with when it was made and until when it holds, the signature an HMAC-SHA256 with a key
derived from TSUNAGU_SECRET_KEY for that purpose alone, so a claim made for one use is refused for any
other. Whoever lacks the key cannot make or alter one; anyone who sees one can read it (it carries ids
and roles, never a secret).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Generic

from pydantic import ValidationError

from shared.contracts.base import C, utcnow
from shared.errors import Unauthenticated


class Purpose(StrEnum):
    BUS_CALLER = "bus-caller"  # the gateway to a service: who is asking, for one call
    SESSION = "session"  # a signed-in browser's cookie


@lru_cache(maxsize=32)
def purpose_key(secret_key: str, purpose: Purpose) -> bytes:
    """A key of its own per purpose, from the one secret every part already shares."""
    return hmac.new(secret_key.encode(), f"tsunagu claims: {purpose.value}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(statement: C, key: bytes, lifetime: timedelta, now: datetime | None = None) -> str:
    made = now or utcnow()
    body = {"made": int(made.timestamp()), "until": int((made + lifetime).timestamp()),
            "claim": statement.model_dump(mode="json")}
    payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode())
    return f"{payload}.{_b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())}"


@dataclass(frozen=True)
class Signed(Generic[C]):
    statement: C
    made: datetime
    until: datetime


def verify(token: str | None, key: bytes, contract: type[C], now: datetime | None = None) -> C:
    """The statement, if `token` was signed with `key` and still holds; else Unauthenticated."""
    signed = read_remembered(token, key, contract)
    if (now or utcnow()) >= signed.until:
        raise Unauthenticated("the claim has expired")
    return signed.statement


@lru_cache(maxsize=4096)
def read_remembered(token: str | None, key: bytes, contract: type[C]) -> Signed[C]:
    """`read`, remembered: the same text signed with the same key reads the same, so a session's cookie or
    a call's claim seen again costs a lookup, not a signature check and a parse. Only what reads is kept
    (a refusal is an exception, never cached); whether it still holds is for the caller to check."""
    return read(token, key, contract)


def read(token: str | None, key: bytes, contract: type[C]) -> Signed[C]:
    """The statement with when it was made and until when it holds, if `token` was signed with `key`,
    expired or not (a session renews an expired claim); else Unauthenticated."""
    if not token or token.count(".") != 1:
        raise Unauthenticated("no signed claim")
    payload, signature = token.split(".")
    expected = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise Unauthenticated("the claim's signature does not match")
    try:
        body = json.loads(_unb64(payload))
        return Signed(contract.model_validate(body["claim"]), datetime.fromtimestamp(body["made"], UTC),
                      datetime.fromtimestamp(body["until"], UTC))
    except (ValueError, KeyError, TypeError, ValidationError):
        # signed by us but unreadable: made by another version; as good as none
        raise Unauthenticated("the claim cannot be read") from None
