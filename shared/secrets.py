"""Secrets in links and the hashes kept of them; the one digest of an email address that erasure is
matched on. One place, so every service normalises and hashes the same way."""
from __future__ import annotations

import hashlib
import hmac
import secrets as _random


def new_secret() -> tuple[str, str]:
    """A secret for a link (manage link, calendar feed, confirmation), and the hash we keep of it."""
    token = _random.token_urlsafe(24)
    return token, hash_secret(token)


def hash_secret(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def secret_matches(token: str | None, stored_hash: str) -> bool:
    return bool(token) and hmac.compare_digest(hash_secret(token), stored_hash)


def email_digest(email: str | None) -> str | None:
    """What `member_erased` carries instead of the address; services match their rows against it."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest() if email else None
