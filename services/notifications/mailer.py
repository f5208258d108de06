"""Sending: compose each due delivery, hand it to SMTP, record the outcome in the ledger at once.

The mailer is a managed thread of the notifications service (a WokenWorker): a commit that wrote
deliveries wakes it; otherwise it looks every few seconds for retries that came due. It holds no database connection
while it talks to the SMTP server, and it marks each delivery sent right after the server accepted
it, so a crash can repeat at most the one mail in flight (with the same Message-ID). When the ledger
cannot record a mail the server accepted, the mailer remembers it and records it before sending
anything else: an outage of the database repeats nothing.
"""
from __future__ import annotations

import html
import logging
import re
import smtplib
import traceback
from functools import lru_cache
from pathlib import Path
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

from services.notifications import domain, headers, operations
from services.notifications.calendar_file import event_ics
from services.notifications.rendering import (render_event_announcement, render_event_reminder,
                                              render_list_announcement,
                                              render_registration_status, render_renewal_due,
                                              render_subscription_confirm)
from shared.background import WokenWorker
from shared.contracts.base import utcnow
from shared.i18n import choose_text
from shared.settings import Settings

log = logging.getLogger(__name__)
BATCH = 100
POLL_SECONDS = 5.0


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


LIST_TEMPLATES = {"event_announcement", "list_announcement"}


def compose(delivery: operations.DueDelivery, list_names: dict[str, dict], settings: Settings) -> EmailMessage:
    """The mail for one ledger row: rendered in the recipient's language, with list headers (RFC 2369,
    RFC 8058) on list mail and Auto-Submitted on transactional mail."""
    base, context = settings.gateway_url, delivery.context
    list_name = list_names.get(delivery.list_slug or "", {"en": delivery.list_slug or ""})
    attachment: bytes | None = None
    if delivery.template == "event_announcement":
        event = context["event"]
        rendered = render_event_announcement(event, list_name, delivery.name, delivery.language,
                                             f"{base}/events/{event['id']}")
    elif delivery.template == "list_announcement":
        rendered = render_list_announcement(context, delivery.language)
    elif delivery.template == "subscription_confirm":
        token = domain.confirmation_token(context["subscription_id"], context["nonce"], settings.secret_key)
        rendered = render_subscription_confirm(context["list"], delivery.name, delivery.language,
                                               f"{base}/subscriptions/confirm?token={token}")
    elif delivery.template == "registration_status":
        event = context["event"]
        url = f"{base}/events/{event['id']}"
        if context["status"] == "confirmed":
            attachment = event_ics(event, delivery.language, url)
        rendered = render_registration_status(context, delivery.name, delivery.language, url, attachment is not None)
    elif delivery.template == "event_reminder":
        event = context["event"]
        url = f"{base}/events/{event['id']}"
        attachment = event_ics(event, delivery.language, url)
        rendered = render_event_reminder(context, delivery.name, delivery.language, url)
    elif delivery.template == "renewal_due":
        rendered = render_renewal_due(context, delivery.language)
    else:
        raise ValueError(f"no template {delivery.template!r}")

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
    if delivery.template in LIST_TEMPLATES and delivery.list_slug:
        message.set_raw("List-Id", headers.list_id(single_line(choose_text(list_name, "en")),
                                                   f"{delivery.list_slug}.lists.{domain_name}"))
        message["Precedence"] = "list"
        if delivery.subscription_id is not None:
            signature = domain.unsubscribe_signature(delivery.subscription_id, settings.secret_key)
            unsubscribe_url = f"{base}/lists/unsubscribe/{delivery.subscription_id}/{signature}"
            message.set_raw("List-Unsubscribe", headers.list_unsubscribe(
                unsubscribe_url,
                f"mailto:unsubscribe+{delivery.subscription_id}.{signature}@{domain_name}?subject=unsubscribe"))
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            body += f"\n--\n{UNSUBSCRIBE_LINE.get(rendered.language[:2], UNSUBSCRIBE_LINE['en'])} {unsubscribe_url}\n"
    else:
        message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, charset="utf-8")
    if delivery.template in HTML_TEMPLATES:
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
UNSUBSCRIBE_LINE = {"ja": "配信停止:", "en": "Unsubscribe:"}
# Mail people read on phones and click through: an HTML part with real links beside the plain text.
HTML_TEMPLATES = {"event_announcement", "list_announcement", "registration_status", "event_reminder"}
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


class SmtpConnection:
    """One SMTP session reused for a batch; reopened after any error."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port, timeout=30)
            if self.settings.smtp_starttls:
                smtp.starttls()
            if self.settings.smtp_user:
                smtp.login(self.settings.smtp_user, self.settings.smtp_password)
            self._smtp = smtp
        self._smtp.send_message(message)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None


def smtp_failure(exc: Exception) -> tuple[str, bool]:
    """(reason, permanent) for an SMTP error."""
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code = min((c for c, _ in exc.recipients.values()), default=None)
    outcome = domain.classify_smtp_code(code)
    return f"{type(exc).__name__}: {exc}", outcome is domain.SmtpOutcome.BOUNCED


def where_raised(exc: Exception) -> str:
    """file:line of the innermost frame: enough to find the fault, and unlike the exception's text it
    holds none of the recipient's data."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"


class Mailer(WokenWorker):
    wake_flag = operations.DELIVERIES_WRITTEN

    def poll_seconds(self) -> float:
        return POLL_SECONDS

    def begin(self, sessionmaker) -> None:
        self.sessionmaker = sessionmaker
        self.engine = sessionmaker.kw["bind"]
        self.smtp = SmtpConnection(self.settings)
        # Deliveries the SMTP server accepted while the ledger could not record them (a locked or full
        # database). Their rows still read as pending: they are recorded before anything else is sent
        # and never handed to SMTP again meanwhile, so an outage repeats no mail.
        self.accepted_unrecorded: set[int] = set()

    def work(self) -> None:
        self.record_accepted()  # raises while the ledger is still unwritable: the round sends nothing
        after = 0
        while not self.stopping:
            sent, after = self.send_due(self.smtp, after)
            if sent < BATCH:
                break
        self.smtp.close()  # do not hold an idle SMTP session between rounds

    def end(self) -> None:
        self.smtp.close()

    def record_accepted(self) -> None:
        if self.accepted_unrecorded:
            with self.engine.begin() as connection:
                for delivery_id in sorted(self.accepted_unrecorded):
                    operations.mark_sent(connection, delivery_id)
            log.info("recorded %d deliveries the SMTP server had accepted", len(self.accepted_unrecorded))
            self.accepted_unrecorded.clear()

    def send_due(self, smtp: SmtpConnection, after_id: int = 0) -> tuple[int, int]:
        """Send the next batch after `after_id`; returns how many were due and the last id seen."""
        with self.sessionmaker() as session:
            due = operations.due_deliveries(session, BATCH, after_id)
            names = operations.list_names(session) if due else {}
        last = due[-1].delivery_id if due else after_id
        for delivery in due:
            if self.stopping:
                break
            if delivery.delivery_id in self.accepted_unrecorded:
                continue
            try:
                smtp.send(compose(delivery, names, self.settings))
            except (smtplib.SMTPException, OSError) as exc:
                smtp.close()
                reason, permanent = smtp_failure(exc)
                # Logs name the delivery, never the address (nor the server's reply, which often quotes it).
                log.warning("delivery %s failed (%s, %s)", delivery.delivery_id, type(exc).__name__,
                            "permanent" if permanent else "will retry")
                with self.sessionmaker.begin() as session:
                    operations.mark_failed_attempt(session, delivery, reason, permanent)
                if not permanent:
                    return 0, last  # the server is unwell: leave the rest of the batch for the backoff
                continue
            except Exception as exc:  # a message that cannot be composed: record it, never loop on it
                log.error("delivery %s cannot be composed (%s at %s)", delivery.delivery_id, type(exc).__name__,
                          where_raised(exc))
                with self.sessionmaker.begin() as session:
                    operations.mark_failed_attempt(session, delivery, repr(exc), permanent=True)
                continue
            # Right after the server accepted it, in its own transaction: a crash repeats at most this one.
            self.accepted_unrecorded.add(delivery.delivery_id)
            try:
                with self.engine.begin() as connection:
                    operations.mark_sent(connection, delivery.delivery_id)
            except Exception:
                log.warning("delivery %s was accepted but the ledger cannot record it yet; "
                            "nothing more is sent until it is recorded", delivery.delivery_id)
                raise
            self.accepted_unrecorded.discard(delivery.delivery_id)
        return len(due), last
