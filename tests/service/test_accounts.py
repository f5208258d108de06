"""Accounts in the members service, on SQLite and PostgreSQL: one per address whatever its case or
width, roles added without duplicates, a disabled or unknown address is not found; sign-in links that
work once, for a quarter of an hour, at most three an hour per address, and nothing for an unknown one."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.members import accounts, api_tokens, models, sign_in
from shared.contracts.base import utcnow
from shared.contracts.identity import SIGN_IN_LINK_PURPOSE, AccountDraft, ApiTokenRequest, Grant, Role, SignInRequest
from shared.errors import NotFound, Unauthenticated
from shared.secrets import link_secret


@pytest.fixture
def db(make_sessionmaker):
    return make_sessionmaker(models)


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


SECRET = "members-secret-key-of-at-least-32-chars"
NOW = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)


def ask(db, email, at=NOW):
    with db.begin() as session:
        sign_in.request_sign_in(session, SignInRequest(email=email, language="vi"), SECRET, at)


def mailed_links(db) -> list[dict]:
    with db() as session:
        return [row.payload for row in session.execute(select(models.outbox.table)).all()
                if row.event_type == "sign_in_requested"]


def link_of(payload: dict) -> str:
    return link_secret(SIGN_IN_LINK_PURPOSE, payload["link_id"], payload["nonce"], SECRET)


def complete(db, token, at=NOW):
    with db.begin() as session:
        return sign_in.complete_sign_in(session, token, at)


def test_a_sign_in_link_opens_one_session_once_and_only_within_its_quarter_hour(db):
    account = add(db, "ana@example.org", Grant(role="member", member_id="m1"))
    ask(db, "ANA@example.org")
    [payload] = mailed_links(db)
    assert payload["email"] == "ana@example.org" and payload["language"] == "vi" and "token" not in payload
    with db() as session:  # the database keeps the secret's hash, never the secret
        assert link_of(payload) not in {row.token_hash for row in session.execute(select(models.SignInLinkRow))
                                         .scalars()}
    signed_in = complete(db, link_of(payload), at=NOW + timedelta(minutes=14))
    assert signed_in.account.id == account.id and signed_in.expires_at > NOW + timedelta(days=7)
    for token, at in [(link_of(payload), NOW + timedelta(minutes=14)),  # used
                      ("not-a-link", NOW), ("ｎｏｔ-ascii", NOW)]:
        with pytest.raises(NotFound):
            complete(db, token, at)
    ask(db, "ana@example.org")
    later = mailed_links(db)[-1]
    with pytest.raises(NotFound, match="expired"):
        complete(db, link_of(later), at=NOW + timedelta(minutes=15))


def test_an_unknown_address_gets_nothing_and_a_known_one_at_most_three_links_an_hour(db):
    add(db, "busy@example.org", Grant(role="secretariat"))
    ask(db, "nobody@example.org")
    assert mailed_links(db) == []
    for minute in range(5):
        ask(db, "busy@example.org", at=NOW + timedelta(minutes=minute))
    assert len(mailed_links(db)) == sign_in.SIGN_INS_PER_HOUR
    ask(db, "busy@example.org", at=NOW + timedelta(minutes=61))
    assert len(mailed_links(db)) == sign_in.SIGN_INS_PER_HOUR + 1


def test_a_session_slides_brings_role_changes_in_and_ends_when_revoked(db):
    add(db, "ana@example.org", Grant(role="member", member_id="m1"))
    ask(db, "ana@example.org")
    opened = complete(db, link_of(mailed_links(db)[-1]))
    add(db, "ana@example.org", Grant(role="group_contact", groups=("g1",)))
    later = NOW + timedelta(days=10)
    with db.begin() as session:
        renewed = sign_in.refresh_session(session, opened.session_id, later)
    assert renewed.expires_at == later + sign_in.SESSION_LIFETIME
    assert [grant.role for grant in renewed.account.grants] == [Role.MEMBER, Role.GROUP_CONTACT]
    with db() as session:
        assert [s.id for s in sign_in.list_sessions(session, opened.account.id, later)] == [opened.session_id]
    with db.begin() as session, pytest.raises(NotFound):
        sign_in.revoke_session(session, "someone-else", opened.session_id, later)
    for _ in range(2):  # a second revocation changes nothing and tells nobody again
        with db.begin() as session:
            sign_in.revoke_session(session, opened.account.id, opened.session_id, later)
    with db() as session:
        revoked = [row.payload for row in session.execute(select(models.outbox.table)).all()
                   if row.event_type == "session_revoked"]
        assert revoked == [{**revoked[0], "session_id": opened.session_id, "account_id": opened.account.id}]
        assert sign_in.list_sessions(session, opened.account.id, later) == []
    with db.begin() as session, pytest.raises(NotFound, match="ended"):
        sign_in.refresh_session(session, opened.session_id, later)


def test_a_session_not_used_for_its_whole_lifetime_has_ended(db):
    add(db, "ana@example.org", Grant(role="member", member_id="m1"))
    ask(db, "ana@example.org")
    opened = complete(db, link_of(mailed_links(db)[-1]))
    with db.begin() as session, pytest.raises(NotFound):
        sign_in.refresh_session(session, opened.session_id, NOW + sign_in.SESSION_LIFETIME)


def test_an_api_token_speaks_with_its_person_s_roles_until_revoked_and_is_kept_as_a_hash(db):
    account = add(db, "script@example.org", Grant(role="organizer", regions=("kanto",)))
    with db.begin() as session:
        issued = api_tokens.create(session, account.id, ApiTokenRequest(name="sync"), NOW)
    assert issued.token.startswith("tsu_") and issued.last_used_at is None
    with db() as session:
        assert issued.token not in {row.token_hash for row in session.execute(select(models.ApiTokenRow)).scalars()}
    with db.begin() as session:
        first = api_tokens.caller_of(session, issued.token, NOW)
    with db.begin() as session:  # used again within the minute: its last use is not written again
        api_tokens.caller_of(session, issued.token, NOW + timedelta(seconds=30))
    assert first.caller.email == "script@example.org" and first.caller.token_id == issued.id
    assert first.caller.organizes("kanto") and not first.caller.organizes("hokkaido")
    with db() as session:
        assert [view.last_used_at for view in api_tokens.list_tokens(session, account.id)] == [NOW]
    with db.begin() as session:
        api_tokens.revoke(session, account.id, issued.id, NOW)
    for token in (issued.token, "tsu_unknown", "ｔｓｕ_wide"):
        with db.begin() as session, pytest.raises(Unauthenticated):
            api_tokens.caller_of(session, token, NOW)
    with db() as session:
        assert api_tokens.list_tokens(session, account.id) == []
