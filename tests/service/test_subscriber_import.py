"""Organizers bring an existing list's subscribers in from a spreadsheet, with the consent held for each
address — on SQLite and PostgreSQL."""
from datetime import date

import pytest
from sqlalchemy import func, select

from services.notifications import models, operations, subscriber_import
from shared.contracts.base import utcnow
from shared.contracts.notifications import ConfirmedSubscriber, MailingListDraft, SubscriptionRequest

HEADER = "email,name,language,consent_basis,consent_date\r\n"
LINES = [
    "yamada@example.org,山田 花子,ja,confirmed_elsewhere,2019/4/1",        # 2 created
    "Nguyen@Example.org,Nguyen,vi,magazine_subscription,2023年10月5日",   # 3 created
    "not-an-address,X,ja,confirmed_elsewhere,2020-01-01",                 # 4 email
    "noconsent@example.org,,ja,,2020-01-01",                              # 5 consent_basis missing
    "future@example.org,,ja,written_form,2999-01-01",                     # 6 consent_date
    "optin@example.org,,ja,double_opt_in,2020-01-01",                     # 7 consent_basis
    "nguyen@example.org,again,vi,written_form,2020-01-01",                # 8 email: same as line 3
    "pending@example.org,,en,written_form,2024-06-01",                    # 9 updated: waited for confirmation
    "left@example.org,,ja,confirmed_elsewhere,2020-01-01",                # 10 email: unsubscribed here
    "kept@example.org,,ja,confirmed_elsewhere,2020-01-01",                # 11 unchanged
    "nodate@example.org,,ja,written_form,",                               # 12 consent_date missing
]


@pytest.fixture
def db(make_sessionmaker):
    db = make_sessionmaker(models)
    with db.begin() as session:
        operations.create_list(session, MailingListDraft(slug="magazine", name={"ja": "会報誌"}))
        operations.add_confirmed_subscribers(session, "magazine", [ConfirmedSubscriber(email="kept@example.org")])
        operations.subscribe(session, "magazine", SubscriptionRequest(email="pending@example.org"), "s" * 32)
        operations.subscribe(session, "magazine", SubscriptionRequest(email="left@example.org"), "s" * 32)
        session.execute(models.SubscriptionRow.__table__.update().where(
            models.SubscriptionRow.email == "left@example.org").values(status="unsubscribed"))
    return db


def imported(db, data: bytes):
    lines, problems, count = subscriber_import.parse(data)
    with db.begin() as session:
        counts, refused = operations.import_subscribers(session, "magazine", [(i.line, i.subscriber) for i in lines])
    return counts, sorted(problems + refused, key=lambda p: p.row), count


def subscriptions(db) -> dict:
    with db() as session:
        return {r.email: r for r in session.execute(select(models.SubscriptionRow)).scalars()}


def test_a_shift_jis_file_goes_in_line_by_line_with_each_refusal_named(db):
    with db() as session:
        messages_before = session.scalar(select(func.count()).select_from(models.MessageRow))
    counts, rejected, rows = imported(db, (HEADER + "\r\n".join(LINES) + "\r\n").encode("cp932"))
    assert rows == 11 and counts == {"created": 2, "updated": 1, "unchanged": 1}
    assert [(p.row, p.field) for p in rejected] == [(4, "email"), (5, "consent_basis"), (6, "consent_date"),
                                                    (7, "consent_basis"), (8, "email"), (10, "email"),
                                                    (12, "consent_date")]
    reasons = {p.row: p.reason for p in rejected}
    assert "line 3" in reasons[8] and "unsubscribed" in reasons[10] and "double_opt_in is recorded" in reasons[7]
    stored = subscriptions(db)
    assert (stored["yamada@example.org"].name, stored["yamada@example.org"].consent_basis,
            stored["yamada@example.org"].consent_date) == ("山田 花子", "confirmed_elsewhere", date(2019, 4, 1))
    assert stored["nguyen@example.org"].consent_date == date(2023, 10, 5)
    assert stored["nguyen@example.org"].language == "vi" and stored["nguyen@example.org"].status == "confirmed"
    assert (stored["pending@example.org"].status, stored["pending@example.org"].consent_basis,
            stored["pending@example.org"].confirm_token_hash) == ("confirmed", "written_form", None)
    assert stored["left@example.org"].status == "unsubscribed"
    assert not {"not-an-address", "noconsent@example.org", "future@example.org", "optin@example.org",
                "nodate@example.org"} & set(stored)
    with db() as session:  # consent is held elsewhere: nobody imported is sent a confirmation mail
        assert session.scalar(select(func.count()).select_from(models.MessageRow)) == messages_before


def test_importing_the_same_file_again_changes_nothing(db):
    data = (HEADER + "\r\n".join(LINES[:2]) + "\r\n").encode("utf-8")
    assert imported(db, b"\xef\xbb\xbf" + data)[0] == {"created": 2, "updated": 0, "unchanged": 0}
    assert imported(db, data)[0] == {"created": 0, "updated": 0, "unchanged": 2}


@pytest.mark.parametrize("data, words", [
    (b"email,name,birthday\r\na@example.org,A,2000-01-01\r\n", "unknown column 'birthday'"),
    (b"email,name\r\na@example.org,A\r\n", "needs a column 'consent_basis'"),
    (b"\xef\xbb\xbf" + HEADER.encode() + b"a@example.org,\x82\xa0\xff,ja,written_form,2020-01-01", "utf-8"),
    ((HEADER + LINES[0] + "\r\n").encode("utf-16-le"), "save it as"),
    ((HEADER + 'a@example.org,"' + "x" * 200_000 + '",ja,written_form,2020-01-01\r\n').encode(), "line"),
    (b"", "the file is empty"),
])
def test_a_file_that_cannot_be_read_is_reported_not_a_failure(db, data, words):
    counts, rejected, _ = imported(db, data)
    assert counts["created"] == 0 and [p.row for p in rejected] == [1] and words in rejected[0].reason


def test_a_subscriber_who_confirms_here_is_recorded_as_double_opt_in(db):
    from services.notifications.domain import confirmation_token
    with db() as session:
        message = session.execute(select(models.MessageRow).where(models.MessageRow.template == "subscription_confirm")
                                  .order_by(models.MessageRow.created_at)).scalars().first()
    token = confirmation_token(message.context["subscription_id"], message.context["nonce"], "s" * 32)
    with db.begin() as session:
        operations.confirm(session, token)
    confirmed = subscriptions(db)["pending@example.org"]
    assert (confirmed.consent_basis, confirmed.consent_date) == ("double_opt_in", utcnow().date())


def test_excels_unicode_text_is_read_like_the_member_import_reads_it(db):
    """UTF-16 with its BOM, tab-separated: what Excel's "Unicode text" saves."""
    sheet = "email\tname\tlanguage\tconsent_basis\tconsent_date\r\nle@example.org\tLê Văn\tvi\twritten_form\t2024/4/1\r\n"
    counts, rejected, _ = imported(db, sheet.encode("utf-16"))
    assert (counts["created"], rejected) == (1, [])
    assert subscriptions(db)["le@example.org"].name == "Lê Văn"


def test_a_person_erased_after_the_consent_on_file_is_not_brought_back(db):
    from datetime import timedelta

    from services.notifications import erasure
    from shared.contracts.base import utcnow
    from shared.secrets import email_digest
    with db.begin() as session:
        erasure._remember(session, email_digest("gone@example.org"), utcnow())
    old_consent = HEADER + "gone@example.org,Gone,ja,confirmed_elsewhere,2019/4/1\r\n"
    counts, rejected, _ = imported(db, old_consent.encode())
    assert counts["created"] == 0 and [(p.row, p.field) for p in rejected] == [(2, "email")]
    assert "erased" in rejected[0].reason
    new_consent = HEADER + f"gone@example.org,Gone,ja,written_form,{utcnow().date() + timedelta(days=1)}\r\n"
    counts, rejected, _ = imported(db, new_consent.encode())  # a consent given after the erasure
    assert (counts["created"], rejected) == (1, [])
