"""Secrets in links and the hashes kept of them; the one digest of an email address that erasure is
matched on. One place, so every service normalises and hashes the same way."""
from __future__ import annotations

import hashlib
import hmac
import secrets as _random
import unicodedata


def new_secret() -> tuple[str, str]:
    """A secret for a link (manage link, calendar feed, confirmation), and the hash we keep of it."""
    token = _random.token_urlsafe(24)
    return token, hash_secret(token)


def hash_secret(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def secret_matches(token: str | None, stored_hash: str) -> bool:
    return token is not None and token != "" and hmac.compare_digest(hash_secret(token), stored_hash)


def link_secret(purpose: str, link_id: str, nonce: str, secret_key: str) -> str:
    """The secret of a mailed link, made again from a nonce where the mail is written: the bus carries
    the nonce, the owner of the link keeps only the secret's hash, so neither a bus message nor the
    database opens the link."""
    return hmac.new(secret_key.encode(), f"{purpose}:{link_id}:{nonce}".encode(), hashlib.sha256).hexdigest()


def normalised_email(email: str) -> str:
    """An address as Tsunagu compares it: case, surrounding spaces and full-width characters (NFKC) make
    no difference."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def email_digest(email: str | None) -> str | None:
    """What `member_erased` carries instead of the address; services match their rows against it,
    normalised as `normalised_email` does."""
    if not email or not email.strip():
        return None
    return hashlib.sha256(normalised_email(email).encode()).hexdigest()


def name_digest(name: str | None) -> str | None:
    """What `member_erased` carries instead of a name: the same for "山田 太郎", "山田　太郎" and
    "山田太郎", for "Ana" and "ANA" (NFKC, case folded, no spaces)."""
    folded = "".join(unicodedata.normalize("NFKC", name or "").casefold().split())
    return hashlib.sha256(folded.encode()).hexdigest() if folded else None
