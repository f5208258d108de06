"""One due delivery as the mail that goes out: rendered in the recipient's language by its kind
(`mail_kinds`), with list headers (RFC 2369, RFC 8058) on list mail and Auto-Submitted on
transactional mail, an HTML part where the kind has one, and the event's .ics where it goes with it."""
from __future__ import annotations

import html
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from functools import lru_cache

from services.notifications import domain, headers, rendering
from services.notifications.calendar_file import event_ics
from services.notifications.mail_kinds import MAIL_KINDS, Composing
from services.notifications.operations import DueDelivery
from services.notifications.words import UNSUBSCRIBE
from shared.contracts.base import utcnow
from shared.i18n import choose_text
from shared.settings import Settings


@lru_cache(maxsize=8)
def _sender_domain(mail_from: str) -> str:
    """The domain of the From address, in ASCII (an internationalised domain in its IDNA form), for
    Message-IDs and list ids."""
    host = getaddresses([mail_from])[0][1].rpartition("@")[2]
    try:
        return host.encode("idna").decode("ascii") if host else "tsunagu.localhost"
    except UnicodeError:
        return "tsunagu.localhost"


def single_line(text: str | None) -> str:
    """A display name on one line: control characters (CR, LF, tab…) become spaces."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in (text or "")).split())


def compose(delivery: DueDelivery, list_names: dict[str, dict], settings: Settings) -> EmailMessage:
    """The mail for one ledger row: rendered in the recipient's language, with list headers (RFC 2369,
    RFC 8058) on list mail and Auto-Submitted on transactional mail."""
    kind = MAIL_KINDS.get(delivery.template)
    if kind is None:
        raise ValueError(f"no template {delivery.template!r}")
    list_name = list_names.get(delivery.list_slug or "", {"en": delivery.list_slug or ""})
    attached = kind.attaches_event(delivery.context)
    composing = Composing(kind.name, delivery, list_name, settings, attached)
    rendered = kind.render(composing)
    attachment = event_ics(delivery.context["event"], delivery.language, composing.event_url) if attached else None

    domain_name = _sender_domain(settings.mail_from)
    message = EmailMessage(policy=headers.MAIL_POLICY)
    message["From"] = settings.mail_from
    # Address() validates and encodes: a name or address cannot smuggle in another header.
    local, _, host = delivery.email.partition("@")
    message["To"] = Address(display_name=single_line(delivery.name), username=local, domain=host)
    message["Subject"] = single_line(rendered.subject)
    message["Date"] = format_datetime(utcnow())
    message.set_raw("Message-ID", headers.message_id(
        domain.message_id_header(delivery.message_id, delivery.email, domain_name)))
    if settings.mail_reply_to:
        message["Reply-To"] = settings.mail_reply_to
    body = rendered.body
    if kind.list_mail and delivery.list_slug:
        message.set_raw("List-Id", headers.list_id(single_line(choose_text(list_name, "en")),
                                                   f"{delivery.list_slug}.lists.{domain_name}"))
        message["Precedence"] = "list"
        if delivery.subscription_id is not None:
            signature = domain.unsubscribe_signature(delivery.subscription_id, settings.secret_key)
            unsubscribe_url = f"{settings.gateway_url}/lists/unsubscribe/{delivery.subscription_id}/{signature}"
            message.set_raw("List-Unsubscribe", headers.list_unsubscribe(
                unsubscribe_url,
                f"mailto:unsubscribe+{delivery.subscription_id}.{signature}@{domain_name}?subject=unsubscribe"))
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            # in the reader's language even under an organizer's text they did not translate
            unsubscribe = rendering.translations(rendering.mail_language(kind.name, delivery.language)).gettext(
                UNSUBSCRIBE)
            body += f"\n--\n{unsubscribe} {unsubscribe_url}\n"
    else:
        message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, charset="utf-8")
    if kind.html:
        message.add_alternative(as_html(body, rendered.language), subtype="html", charset="utf-8")
    if attachment is not None:
        message.add_attachment(attachment, maintype="text", subtype="calendar", filename="event.ics")
        # RFC 5545 §3.1.4 wants the charset; written as the RFC's own examples write it, unquoted
        calendar_part = list(message.iter_attachments())[-1]
        del calendar_part["Content-Type"]
        calendar_part.set_raw("Content-Type", CALENDAR_CONTENT_TYPE)
    message["Content-Language"] = rendered.language  # after set_content, which resets Content-* headers
    return message


CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8; method=PUBLISH"
_URL = re.compile(r"https?://[^\s<>\"]+")


def as_html(text: str, language: str) -> str:
    """The plain text as simple HTML: escaped, paragraphs kept, addresses made links."""
    def paragraph(block: str) -> str:
        escaped = html.escape(block)
        linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        return "<p>" + linked.replace("\n", "<br>") + "</p>"
    body = "".join(paragraph(block) for block in text.split("\n\n") if block.strip())
    return (f'<!doctype html><html lang="{html.escape(language)}"><head><meta charset="utf-8"></head>'
            f'<body style="font-family:sans-serif;line-height:1.6">{body}</body></html>')
