"""Personal API tokens: made by a signed-in person for their scripts, shown once, kept as a hash,
speaking with that person's roles (as they are when it is used), revocable, their last use recorded
(at most once a minute: a busy script does not write on every call)."""
from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from services.members.accounts import revoke_owned
from services.members.models import AccountRow, ApiTokenRow
from shared.contracts.identity import (
    API_TOKEN_PREFIX,
    ApiTokenCaller,
    ApiTokenIssued,
    ApiTokenRequest,
    ApiTokenRevoked,
    ApiTokenView,
    Caller,
    Grant,
)
from shared.errors import Unauthenticated
from shared.secrets import hash_secret

LAST_USE_GRAIN = timedelta(minutes=1)
_BY_HASH = select(ApiTokenRow).where(ApiTokenRow.token_hash == bindparam("token_hash"))


def _view(row: ApiTokenRow) -> ApiTokenView:
    return ApiTokenView(id=row.id, name=row.name, created_at=row.created_at, last_used_at=row.last_used_at)


def create(session: Session, account_id: str, request: ApiTokenRequest, now: datetime) -> ApiTokenIssued:
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiTokenRow(id=str(uuid.uuid4()), account_id=account_id, name=request.name, token_hash=hash_secret(token),
                      created_at=now)
    session.add(row)
    session.flush()
    return ApiTokenIssued(**_view(row).model_dump(), token=token)


def list_tokens(session: Session, account_id: str) -> list[ApiTokenView]:
    rows = session.execute(select(ApiTokenRow).where(ApiTokenRow.account_id == account_id,
                                                     ApiTokenRow.revoked_at.is_(None))
                           .order_by(ApiTokenRow.created_at)).scalars()
    return [_view(row) for row in rows]


def revoke(session: Session, account_id: str, token_id: str, now: datetime) -> None:
    revoke_owned(session, ApiTokenRow, account_id, token_id, now, "token_id",
                 lambda: ApiTokenRevoked(token_id=token_id, account_id=account_id))


def caller_of(session: Session, token: str, now: datetime) -> ApiTokenCaller:
    """Who the token speaks for; Unauthenticated for a token that is unknown or revoked, or whose account
    is disabled."""
    row = session.execute(_BY_HASH, {"token_hash": hash_secret(token)}).scalar() if token.isascii() else None
    account = session.get(AccountRow, row.account_id) if row else None
    if row is None or account is None or row.revoked_at is not None or account.disabled_at is not None:
        raise Unauthenticated("this API token is not valid (unknown or revoked)")
    if row.last_used_at is None or now - row.last_used_at >= LAST_USE_GRAIN:
        row.last_used_at = now
    caller = Caller(account_id=account.id, email=account.email, token_id=row.id,
                    grants=tuple(Grant.model_validate(grant) for grant in account.grants))
    return ApiTokenCaller(token_id=row.id, caller=caller)
