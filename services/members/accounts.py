"""Accounts: who may sign in, and with which roles. The members service keeps them beside the people
they are (a group's contact, an individual member); the gateway only verifies what it is told here.

An address is one account whatever its case or width (NFKC, lower case); adding roles to an existing
account adds only the roles it does not hold yet.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from services.members.models import AccountRow, AccountSessionRow, ApiTokenRow, outbox
from shared.contracts.base import Event, utcnow
from shared.contracts.identity import AccountDraft, AccountView, Grant
from shared.errors import NotFound
from shared.secrets import normalised_email

_BY_EMAIL = select(AccountRow).where(AccountRow.email == bindparam("email"))


def account_view(row: AccountRow) -> AccountView:
    return AccountView(id=row.id, email=row.email, grants=tuple(Grant.model_validate(g) for g in row.grants),
                       created_at=row.created_at, disabled_at=row.disabled_at)


def add_account(session: Session, draft: AccountDraft) -> AccountView:
    """The account of `draft.email`, made if new, holding its grants besides those it had."""
    email = normalised_email(str(draft.email))
    now = utcnow()
    row = session.execute(_BY_EMAIL, {"email": email}).scalar_one_or_none()
    if row is None:
        row = AccountRow(id=str(uuid.uuid4()), email=email, grants=[], created_at=now, updated_at=now)
        session.add(row)
    held = [Grant.model_validate(grant) for grant in row.grants]
    added = [grant for grant in draft.grants if grant not in held]
    if added:
        row.grants = [grant.model_dump(mode="json") for grant in (*held, *added)]
        row.updated_at = now
    session.flush()
    return account_view(row)


def enabled_account(session: Session, email: str) -> AccountRow | None:
    """The account of this address, unless there is none or it is disabled."""
    row = session.execute(_BY_EMAIL, {"email": normalised_email(email)}).scalar_one_or_none()
    return row if row is not None and row.disabled_at is None else None


def account_for_email(session: Session, email: str) -> AccountView:
    row = enabled_account(session, email)
    if row is None:
        raise NotFound("no account for that address", "email")
    return account_view(row)


def list_accounts(session: Session) -> list[AccountView]:
    return [account_view(row) for row in session.execute(select(AccountRow).order_by(AccountRow.email)).scalars()]


Revocable = TypeVar("Revocable", AccountSessionRow, ApiTokenRow)


def revoke_owned(session: Session, row_type: type[Revocable], account_id: str,
                 row_id: str, now: datetime, field: str, revoked: Callable[[], Event]) -> None:
    """End one of the account's sessions or tokens and tell the bus (`revoked()`); ending one that has
    ended already changes nothing and tells nobody. Another account's is as good as unknown."""
    row = session.get(row_type, row_id)
    if row is None or row.account_id != account_id:
        raise NotFound(f"no such {field.removesuffix('_id')} of yours", field)
    if row.revoked_at is None:
        row.revoked_at = now
        outbox.record(session, revoked())
