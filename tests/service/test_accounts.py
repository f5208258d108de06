"""Accounts in the members service, on SQLite and PostgreSQL: one per address whatever its case or
width, roles added without duplicates, a disabled or unknown address is not found."""
from __future__ import annotations

import pytest

from services.members import accounts, models
from shared.contracts.base import utcnow
from shared.contracts.identity import AccountDraft, Grant, Role
from shared.errors import NotFound


@pytest.fixture
def db(make_sessionmaker):
    return make_sessionmaker(models.metadata)


def add(db, email, *grants):
    with db.begin() as session:
        return accounts.add_account(session, AccountDraft(email=email, grants=grants))


def test_an_address_is_one_account_whatever_its_case_or_width_and_roles_are_added_once(db):
    first = add(db, "Kansai@Example.org", Grant(role="organizer", regions=("kinki-kansai",)))
    again = add(db, "ｋａｎｓａｉ@example.ORG ", Grant(role="organizer", regions=("kinki-kansai",)),
                Grant(role="group_contact", groups=("g1",)))
    assert again.id == first.id and again.email == "kansai@example.org"
    assert [grant.role for grant in again.grants] == [Role.ORGANIZER, Role.GROUP_CONTACT]
    with db() as session:
        assert accounts.account_for_email(session, "KANSAI@example.org") == again
        assert [account.email for account in accounts.list_accounts(session)] == ["kansai@example.org"]


def test_an_unknown_or_disabled_address_has_no_account(db):
    add(db, "gone@example.org", Grant(role="secretariat"))
    with db.begin() as session:
        session.query(models.AccountRow).update({"disabled_at": utcnow()})
    with db() as session:
        for email in ("nobody@example.org", "gone@example.org"):
            with pytest.raises(NotFound) as missing:
                accounts.account_for_email(session, email)
            assert missing.value.field == "email" and email not in missing.value.detail
