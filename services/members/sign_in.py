"""Sign-in by mail: an account asks for a link; the link, opened and confirmed within a quarter of an
hour and only once, opens a session. A session lasts SESSION_LIFETIME from its last use (the gateway
renews its short-lived claim through `refresh_session`, which also brings role changes in), and ends
when revoked: the gateway is told over the bus.

The asker is answered the same whether or not the address has an account, and an address gets at most
SIGN_INS_PER_HOUR links an hour (more asks are answered the same and mail nobody). The link's secret
is made from a nonce where the mail is written (shared.secrets.link_secret): this service keeps only
its hash, the bus carries only the nonce.
"""
from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from services.members.accounts import account_view, enabled_account, revoke_owned
from services.members.models import AccountRow, AccountSessionRow, SignInLinkRow, outbox
from shared.contracts.identity import (
    SIGN_IN_LINK_PURPOSE,
    SessionRevoked,
    SessionView,
    SignedIn,
    SignInRequest,
    SignInRequested,
)
from shared.db import rows_changed
from shared.errors import NotFound
from shared.secrets import hash_secret, link_secret

LINK_LIFETIME = timedelta(minutes=15)
SIGN_INS_PER_HOUR = 3
SESSION_LIFETIME = timedelta(days=14)  # slides with use
REVOKED_KEPT = timedelta(hours=1)  # a revoked session's row outlives every claim made for it

_RECENT_LINKS = select(func.count()).select_from(SignInLinkRow).where(
    SignInLinkRow.account_id == bindparam("account_id"), SignInLinkRow.created_at > bindparam("since"))
_LINK_BY_HASH = select(SignInLinkRow).where(SignInLinkRow.token_hash == bindparam("token_hash")).with_for_update()


def request_sign_in(session: Session, request: SignInRequest, secret_key: str, now: datetime) -> None:
    """Mail a sign-in link to the address if it has an account and is under its hourly limit."""
    account = enabled_account(session, str(request.email))
    if account is None:
        return
    recent = session.execute(_RECENT_LINKS, {"account_id": account.id, "since": now - timedelta(hours=1)}).scalar_one()
    if recent < SIGN_INS_PER_HOUR:
        _issue_link(session, account, request.language, secret_key, now)


def issue_sign_in_link(session: Session, email: str, language: str, secret_key: str, now: datetime) -> str:
    """A sign-in link's secret for the one who runs the system (`tsunagu accounts link`, the demo), mailed
    to the address too; no hourly limit: whoever can call this can make accounts anyway."""
    account = enabled_account(session, email)
    if account is None:
        raise NotFound("no account for that address", "email")
    return _issue_link(session, account, language, secret_key, now)


def _issue_link(session: Session, account: AccountRow, language: str, secret_key: str, now: datetime) -> str:
    link_id, nonce = str(uuid.uuid4()), secrets.token_urlsafe(16)
    token = link_secret(SIGN_IN_LINK_PURPOSE, link_id, nonce, secret_key)
    session.add(SignInLinkRow(id=link_id, account_id=account.id, token_hash=hash_secret(token), created_at=now,
                              expires_at=now + LINK_LIFETIME))
    session.flush()
    outbox.record(session, SignInRequested(link_id=link_id, email=account.email, language=language, nonce=nonce,
                                           expires_at=now + LINK_LIFETIME))
    return token


def complete_sign_in(session: Session, token: str, now: datetime) -> SignedIn:
    """Open a session with the link's secret; a link works once and not after its quarter of an hour."""
    link = (session.execute(_LINK_BY_HASH, {"token_hash": hash_secret(token)}).scalar()
            if token.isascii() else None)
    account = session.get(AccountRow, link.account_id) if link else None
    if link is None or account is None or link.used_at is not None or link.expires_at <= now \
            or account.disabled_at is not None:
        raise NotFound("this sign-in link is unknown, used or expired; ask for a new one", "token")
    link.used_at = now
    opened = AccountSessionRow(id=str(uuid.uuid4()), account_id=account.id, created_at=now, last_seen_at=now,
                               expires_at=now + SESSION_LIFETIME)
    session.add(opened)
    session.flush()
    return SignedIn(session_id=opened.id, account=account_view(account), expires_at=opened.expires_at)


def _live_session(session: Session, session_id: str, now: datetime) -> tuple[AccountSessionRow, AccountRow]:
    row = session.get(AccountSessionRow, session_id)
    account = session.get(AccountRow, row.account_id) if row else None
    if row is None or account is None or row.revoked_at is not None or row.expires_at <= now \
            or account.disabled_at is not None:
        raise NotFound("this session has ended; sign in again", "session_id")
    return row, account


def refresh_session(session: Session, session_id: str, now: datetime) -> SignedIn:
    """The session again, its expiry moved on, with the account's roles as they are now."""
    row, account = _live_session(session, session_id, now)
    row.last_seen_at = now
    row.expires_at = now + SESSION_LIFETIME
    return SignedIn(session_id=row.id, account=account_view(account), expires_at=row.expires_at)


def list_sessions(session: Session, account_id: str, now: datetime) -> list[SessionView]:
    rows = session.execute(select(AccountSessionRow).where(
        AccountSessionRow.account_id == account_id, AccountSessionRow.revoked_at.is_(None),
        AccountSessionRow.expires_at > now).order_by(AccountSessionRow.last_seen_at.desc())).scalars()
    return [SessionView(id=row.id, created_at=row.created_at, last_seen_at=row.last_seen_at,
                        expires_at=row.expires_at) for row in rows]


def revoke_session(session: Session, account_id: str, session_id: str, now: datetime) -> None:
    revoke_owned(session, AccountSessionRow, account_id, session_id, now, "session_id",
                 lambda: SessionRevoked(session_id=session_id, account_id=account_id))


def forget_ended(session: Session, now: datetime) -> dict:
    """Sign-in links past their quarter of an hour, and sessions expired or revoked: nothing is left to
    honour in them (the gateway renews a claim by asking, and a revoked session's claims have run out)."""
    links = rows_changed(session, delete(SignInLinkRow).where(SignInLinkRow.expires_at < now))
    ended = rows_changed(session, delete(AccountSessionRow).where(
        (AccountSessionRow.expires_at < now) | (AccountSessionRow.revoked_at < now - REVOKED_KEPT)))
    return {"sign_in_links_deleted": links, "sessions_deleted": ended}
