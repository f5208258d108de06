import email
import io
import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.generator import BytesGenerator
from email.header import decode_header, make_header
from email.policy import compat32

import pytest

from services.notifications import domain
from services.notifications.composition import compose
from services.notifications.mailer import smtp_failure
from services.notifications.operations import DueDelivery
from shared.contracts.identity import SIGN_IN_LINK_PURPOSE
from shared.secrets import link_secret
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
    values = {"delivery_id": 1, "message_id": "msg-1", "email": "reader@example.org", "name": "Reader",
                  "language": "en", "attempts": 0, "template": "event_announcement", "list_slug": "general",
                  "context": {"event": EVENT}}
    values.update(overrides)
    return DueDelivery(**values)


def parsed(message):
    return message_from_bytes(message.as_bytes(), policy=policy.default)


def test_mail_is_in_the_recipients_language_with_times_in_the_event_zone():
    mail = parsed(compose(delivery(language="en"), LISTS, SETTINGS))
    assert mail["Subject"] == "[International Migrants Day] Migrants Day"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert re.search(r"When: Friday, December 18, 2026 12:00\sPM–2:00\sPM \(Asia/Tokyo\)", body)
    assert "Rally and march" in body and "https://tsunagu.example/event/ev-1?lang=en" in body
    assert mail["Content-Language"] == "en"


def test_a_vietnamese_subscriber_reads_the_mail_s_own_words_in_vietnamese():
    # the organizers wrote the title in Japanese and English only: it falls back on its own
    message = compose(delivery(language="vi", subscription_id=7), LISTS, SETTINGS)
    mail = parsed(message)
    assert mail["Content-Language"] == "vi"
    assert mail["Subject"] == "[Ngày Quốc tế Người di cư] 国際移住者デー"
    body = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith("Kính gửi Reader,\n") and "Thời gian: Thứ Sáu, 18 tháng 12, 2026 12:00–14:00" in body
    assert "Bạn nhận thư này vì đã đăng ký nhận “全体メーリングリスト”." in body
    assert "\nHủy nhận thư: https://tsunagu.example/lists/unsubscribe/7/" in body
    html_part = mail.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="vi">' in html_part and "Hủy nhận thư" in html_part
    # as a client that decodes nothing for it reads the wire: ASCII headers, the subject in RFC 2047 words,
    # each text part's bytes in the charset it declares
    raw = raw_headers(message)
    assert str(make_header(decode_header(unfolded(raw["Subject"])))) == "[Ngày Quốc tế Người di cư] 国際移住者デー"
    texts = [part for part in raw.walk() if part.get_content_maintype() == "text"]
    assert {part.get_content_charset() for part in texts} == {"utf-8"}
    assert all("Hủy nhận thư" in part.get_payload(decode=True).decode("utf-8") for part in texts)


def test_a_language_whose_catalogue_lacks_the_mail_s_words_gets_all_of_it_in_japanese():
    mail = parsed(compose(delivery(language="my", subscription_id=7), LISTS, SETTINGS))  # Burmese: to come
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
    start = datetime(2011, 6, 18, 4, tzinfo=UTC)
    end = datetime(2011, 6, 19, 7, tzinfo=UTC)
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
    assert '<a href="https://tsunagu.example/event/ev-1?lang=' in html_part
    assert "<script>" not in html_part and "&lt;script&gt;" in html_part
    assert "<script>alert(1)</script> Day" in plain


# --- the bytes that go out: headers a parser that does not decode reads as they are ----------------

def on_the_wire(message) -> bytes:
    """What smtplib.send_message hands the server: a BytesGenerator with the message's own policy."""
    out = io.BytesIO()
    BytesGenerator(out).flatten(message, linesep="\r\n")
    return out.getvalue()


def raw_headers(message) -> email.message.Message:
    """The headers as a non-decoding parser (compat32) reads them, after checking they are all ASCII."""
    wire = on_the_wire(message)
    wire.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return message_from_bytes(wire, policy=compat32)


def unfolded(value: str) -> str:
    return re.sub(r"\r\n[ \t]+", " ", value)


LONG_DOMAIN = "Tsunagu <noreply@solidarity-network-with-migrants-japan.example.org>"


@pytest.mark.parametrize("public_url", ["https://tsunagu.example", "https://tsunagu.migrants-network.example.org/app"])
def test_list_unsubscribe_is_plain_ascii_folded_between_its_two_addresses(public_url):
    settings = SETTINGS.model_copy(update={"secret_key": "k" * 32, "public_url": public_url})
    message = compose(delivery(subscription_id=4294967295), LISTS, settings)
    signature = domain.unsubscribe_signature(4294967295, "k" * 32)
    url = f"{public_url}/lists/unsubscribe/4294967295/{signature}"
    mailto = f"mailto:unsubscribe+4294967295.{signature}@tsunagu.example?subject=unsubscribe"
    assert f"List-Unsubscribe: <{url}>,\r\n <{mailto}>\r\n".encode() in on_the_wire(message)
    headers = raw_headers(message)
    assert headers["List-Unsubscribe"] == f"<{url}>,\r\n <{mailto}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in on_the_wire(message)


def test_a_japanese_list_name_is_encoded_in_the_phrase_only_and_the_list_id_stays_literal():
    slug = "kanto-" + "x" * 56  # the longest slug a list may have
    settings = SETTINGS.model_copy(update={"mail_from": LONG_DOMAIN})
    names = {slug: {"ja": "移住者と連帯する全国ネットワーク 関東 メーリングリスト"}}
    headers = raw_headers(compose(delivery(list_slug=slug), names, settings))
    value = unfolded(headers["List-Id"])
    identifier = f"<{slug}.lists.solidarity-network-with-migrants-japan.example.org>"
    phrase, _, tail = value.rpartition(" ")
    assert tail == identifier
    assert all(word.startswith("=?utf-8?b?") and word.endswith("?=") for word in phrase.split())
    assert str(make_header(decode_header(phrase))) == "移住者と連帯する全国ネットワーク 関東 メーリングリスト"
    assert all(len(line) <= 78 for line in f"List-Id: {headers['List-Id']}".split("\r\n") if "<" not in line)


def test_an_english_list_name_stays_plain_text():
    headers = raw_headers(compose(delivery(), LISTS, SETTINGS))
    assert headers["List-Id"] == "General list <general.lists.tsunagu.example>"


def test_message_id_reply_to_and_auto_submitted_are_never_encoded():
    settings = SETTINGS.model_copy(update={
        "mail_from": LONG_DOMAIN,
        "mail_reply_to": "移住連 事務局 <secretariat-office@solidarity-network-with-migrants-japan.example.org>"})
    message = compose(delivery(template="renewal_due", list_slug=None, context={"renewal_due_on": "2026-04-01"},
                               message_id="9a1b2c3d-1111-2222-3333-444455556666"), LISTS, settings)
    headers = raw_headers(message)
    message_id = headers["Message-ID"]
    assert re.fullmatch(r"<9a1b2c3d-1111-2222-3333-444455556666\.[0-9a-f]{16}"
                        r"@solidarity-network-with-migrants-japan\.example\.org>", message_id)
    reply_to = unfolded(headers["Reply-To"])
    assert reply_to.endswith(" <secretariat-office@solidarity-network-with-migrants-japan.example.org>")
    assert str(make_header(decode_header(reply_to.rpartition(" ")[0]))) == "移住連 事務局"
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["From"] and "=?" not in unfolded(headers["From"]).rpartition(" ")[2]


def test_the_calendar_attachment_says_its_charset_and_reads_as_utf8_without_decoding_headers():
    context = {"event": {**EVENT, "updated_at": "2026-11-01T00:00:00+00:00", "sequence": 0, "status": "published"},
               "registration_id": "reg-1"}
    message = compose(delivery(template="event_reminder", context=context, list_slug=None, language="ja"),
                      LISTS, SETTINGS)
    wire = on_the_wire(message)
    assert b"Content-Type: text/calendar; charset=utf-8; method=PUBLISH\r\n" in wire
    (part,) = [p for p in message_from_bytes(wire, policy=compat32).walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("charset") == "utf-8" and part.get_param("method") == "PUBLISH"
    text = part.get_payload(decode=True).decode(part.get_content_charset())
    assert "SUMMARY:国際移住者デー\r\n" in text and "LOCATION:久屋大通公園\\, 名古屋市中区丸の内3\r\n" in text


def test_every_kind_of_mail_is_written_in_each_language_whose_catalogue_is_complete():
    from services.notifications.mail_kinds import LIST_ANNOUNCEMENT, MAIL_KINDS
    from services.notifications.rendering import mail_language
    from shared.catalogues import COMPLETE

    for kind in MAIL_KINDS.values():
        if kind is not LIST_ANNOUNCEMENT:  # the organizer's own text, in the languages they wrote
            for language in (*COMPLETE, "en"):
                assert mail_language(kind.name, language) == language, (kind.name, language)


@pytest.mark.parametrize("language, words", [("ja", "サインイン"), ("en", "Sign in"), ("ja-x-easy", "サインイン"),
                                             ("vi", "Đăng nhập"), ("ne", "साइन इन"),
                                             ("my", "サインイン")])  # no Burmese yet: the network's own language
def test_a_sign_in_mail_carries_the_link_made_from_its_nonce_and_no_name(language, words):
    context = {"link_id": "link-1", "nonce": "nonce-1", "email": "reader@example.org", "language": language,
               "expires_at": "2027-06-01T09:15:00+00:00"}
    message = compose(delivery(template="sign_in_link", list_slug=None, context=context, name=None,
                               language=language), LISTS, SETTINGS)
    mail = parsed(message)
    body = mail.get_body(preferencelist=("plain",)).get_content()
    token = link_secret(SIGN_IN_LINK_PURPOSE, "link-1", "nonce-1", SETTINGS.secret_key)
    assert f"https://tsunagu.example/auth/sign-in?token={token}" in body
    assert words in mail["Subject"] and "nonce-1" not in body and "Reader" not in body
    assert raw_headers(message)["Auto-Submitted"] == "auto-generated" and "List-Id" not in raw_headers(message)


def test_an_organizer_s_text_keeps_its_language_and_the_list_s_own_line_is_the_reader_s():
    context = {"subject": {"ja": "会報 第100号", "en": "Newsletter no. 100"},
               "body": {"ja": "今号の特集は技能実習制度です。", "en": "This issue: the training system."}}
    for language, body_text, line in [("vi", "今号の特集", "Hủy nhận thư: "), ("en", "This issue", "Unsubscribe: "),
                                      ("my", "今号の特集", "配信停止: ")]:
        mail = parsed(compose(delivery(template="list_announcement", context=context, subscription_id=9,
                                       language=language), LISTS, SETTINGS))
        body = mail.get_body(preferencelist=("plain",)).get_content()
        assert body_text in body and f"\n{line}https://tsunagu.example/lists/unsubscribe/9/" in body.replace("\r", "")
