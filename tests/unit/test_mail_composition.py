from datetime import datetime, timezone
from email import message_from_bytes, policy

import pytest

from services.notifications import domain
from services.notifications.mailer import compose, smtp_failure
from services.notifications.operations import DueDelivery
from shared.settings import Settings

EVENT = {"id": "ev-1", "kind": "migrants_day", "title": {"ja": "国際移住者デー", "en": "Migrants Day",
                                                        "ja-x-easy": "いじゅうしゃ デー"},
         "description": {"en": "Rally and march"}, "city": "名古屋市", "venue": {"name": "久屋大通公園", "address": "名古屋市中区丸の内3"},
         "starts_at": "2026-12-18T03:00:00+00:00", "ends_at": "2026-12-18T05:00:00+00:00",
         "timezone": "Asia/Tokyo"}
LISTS = {"general": {"ja": "全体メーリングリスト", "en": "General list"}}
SETTINGS = Settings(environment="test", mail_from="Tsunagu <noreply@tsunagu.example>",
                    public_url="https://tsunagu.example")


def delivery(**overrides) -> DueDelivery:
    values = dict(delivery_id=1, message_id="msg-1", email="reader@example.org", name="Reader",
                  language="en", attempts=0, template="event_announcement", list_slug="general",
                  context={"event": EVENT})
    values.update(overrides)
    return DueDelivery(**values)


def parsed(message):
    return message_from_bytes(message.as_bytes(), policy=policy.default)


def test_mail_is_in_the_recipients_language_with_times_in_the_event_zone():
    mail = parsed(compose(delivery(language="en"), LISTS, SETTINGS))
    assert mail["Subject"] == "[Migrants Day] Migrants Day"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Fri 18 December 2026, 12:00–14:00 (Asia/Tokyo)" in body
    assert "Rally and march" in body and "https://tsunagu.example/events/ev-1" in body
    assert mail["Content-Language"] == "en"


def test_language_falls_back_to_japanese():
    mail = parsed(compose(delivery(language="vi"), LISTS, SETTINGS))
    assert mail["Content-Language"] == "ja"
    assert mail["Subject"] == "【国際移住者デー】国際移住者デー"
    assert "2026年12月18日(金) 12:00〜14:00" in mail.get_body(preferencelist=("plain",)).get_content()


def test_easy_japanese_has_its_own_template_and_title():
    mail = parsed(compose(delivery(language="ja-x-easy"), LISTS, SETTINGS))
    assert mail["Content-Language"] == "ja-x-easy"
    assert "いじゅうしゃ デー" in mail["Subject"]


def test_list_headers_and_a_stable_message_id():
    first = parsed(compose(delivery(), LISTS, SETTINGS))
    second = parsed(compose(delivery(), LISTS, SETTINGS))
    other = parsed(compose(delivery(email="other@example.org"), LISTS, SETTINGS))
    assert first["Message-ID"] == second["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"].endswith("@tsunagu.example>")
    assert first["List-Id"] == "General list <general.lists.tsunagu.example>"
    assert first["From"] == "Tsunagu <noreply@tsunagu.example>" and first["Date"]


def test_a_name_cannot_inject_headers():
    message = compose(delivery(name="Eve\r\nBcc: victim@example.org"), LISTS, SETTINGS)
    mail = parsed(message)
    assert mail["Bcc"] is None
    assert "victim@example.org" not in [a.addr_spec for a in mail["To"].addresses]
    assert mail["To"].addresses[0].addr_spec == "reader@example.org"


def test_an_address_with_a_line_break_is_refused():
    with pytest.raises(ValueError):
        compose(delivery(email="a@example.org\r\nBcc: x@example.org"), LISTS, SETTINGS).as_bytes()


@pytest.mark.parametrize("code, outcome", [(250, domain.SmtpOutcome.SENT), (421, domain.SmtpOutcome.RETRY),
                                           (451, domain.SmtpOutcome.RETRY), (550, domain.SmtpOutcome.BOUNCED),
                                           (None, domain.SmtpOutcome.RETRY)])
def test_smtp_answers_are_classified(code, outcome):
    assert domain.classify_smtp_code(code) is outcome


def test_refused_recipients_are_permanent_failures():
    import smtplib
    _, permanent = smtp_failure(smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no such user")}))
    assert permanent
    _, temporary = smtp_failure(ConnectionRefusedError())
    assert not temporary


def test_retries_back_off_and_end():
    delays = [domain.retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == sorted(delays) and delays[0] == 30 and delays[-1] == 3600
    assert not domain.gives_up(1) and domain.gives_up(domain.MAX_TEMPORARY_ATTEMPTS)


def test_dates_spanning_two_days():
    start = datetime(2011, 6, 18, 4, tzinfo=timezone.utc)
    end = datetime(2011, 6, 19, 7, tzinfo=timezone.utc)
    assert domain.format_when(start, end, "Asia/Tokyo", "ja") == "2011年6月18日(土) 13:00 〜 2011年6月19日(日) 16:00"


def test_transactional_mail_is_auto_submitted_and_carries_the_event():
    import vobject
    context = {"event": {**EVENT, "updated_at": "2026-11-01T00:00:00+00:00", "sequence": 2, "status": "published"},
               "registration_id": "reg-1"}
    mail = parsed(compose(delivery(template="event_reminder", context=context, list_slug=None), LISTS, SETTINGS))
    assert mail["Auto-Submitted"] == "auto-generated" and mail["List-Unsubscribe"] is None
    assert mail["Subject"] == "[Coming up] Migrants Day"
    (ics,) = list(mail.iter_attachments())
    vevent = vobject.readOne(ics.get_content()).vevent
    assert vevent.uid.value == "ev-1@tsunagu" and vevent.sequence.value == "2"


def test_list_mail_has_one_click_unsubscribe_signed_for_its_subscription():
    from services.notifications.domain import unsubscribe_signature
    settings = SETTINGS.model_copy(update={"secret_key": "k" * 32})
    mail = parsed(compose(delivery(subscription_id=42), LISTS, settings))
    url = f"https://tsunagu.example/lists/unsubscribe/42/{unsubscribe_signature(42, 'k' * 32)}"
    assert mail["List-Unsubscribe"].startswith(f"<{url}>, <mailto:unsubscribe+42.")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Auto-Submitted"] is None and url in mail.get_body(preferencelist=("plain",)).get_content()


def test_announcements_have_an_html_part_with_links_and_nothing_unescaped():
    event = {**EVENT, "title": {"en": "<script>alert(1)</script> Day"}}
    mail = parsed(compose(delivery(context={"event": event}), LISTS, SETTINGS))
    html_part = mail.get_body(preferencelist=("html",)).get_content()
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    assert '<a href="https://tsunagu.example/events/ev-1">' in html_part
    assert "<script>" not in html_part and "&lt;script&gt;" in html_part
    assert "<script>alert(1)</script> Day" in plain
