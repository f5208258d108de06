"""The notifications service's rules, free of frameworks: what a mail is keyed by, how dates read in
each language, and what to do when an SMTP server says no."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from shared.i18n import babel_locale

MAX_TEMPORARY_ATTEMPTS = 8
REMINDER_BEFORE = timedelta(days=3)
_WEEKDAYS_JA = "月火水木金土日"


def announcement_key(event_id: str, revision: int) -> str:
    """One announcement per event revision: a redelivered or replayed event finds it already made."""
    return f"event_published:{event_id}:r{revision}"


def message_id_header(message_id: str, recipient: str, domain: str) -> str:
    """The same Message-ID for the same (message, recipient), so that a resend after a crash can be
    recognised as a duplicate by any mail system downstream."""
    digest = hashlib.sha256(recipient.lower().encode()).hexdigest()[:16]
    return f"<{message_id}.{digest}@{domain}>"


def format_when(starts_at: datetime, ends_at: datetime, zone_name: str, language: str) -> str:
    zone = ZoneInfo(zone_name)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    same_day = start.date() == end.date()
    if language.startswith("ja"):
        def day(moment: datetime) -> str:
            return f"{moment.year}年{moment.month}月{moment.day}日({_WEEKDAYS_JA[moment.weekday()]})"
        if same_day:
            return f"{day(start)} {start:%H:%M}〜{end:%H:%M}"
        return f"{day(start)} {start:%H:%M} 〜 {day(end)} {end:%H:%M}"
    # Every other language as Babel writes its dates; the zone named, for a reader who may be elsewhere.
    locale = babel_locale(language)

    def moment(at: datetime) -> str:
        return f"{format_date(at, 'full', locale=locale)} {format_time(at, 'short', locale=locale)}"
    if same_day:
        return f"{moment(start)}–{format_time(end, 'short', locale=locale)} ({zone_name})"
    return f"{moment(start)} – {moment(end)} ({zone_name})"


class SmtpOutcome(Enum):
    SENT = "sent"
    RETRY = "retry"      # 4xx, connection trouble: try again later
    BOUNCED = "bounced"  # 5xx: the address or the message is refused for good


def classify_smtp_code(code: int | None) -> SmtpOutcome:
    if code is None or 400 <= code < 500:
        return SmtpOutcome.RETRY
    if code >= 500:
        return SmtpOutcome.BOUNCED
    return SmtpOutcome.SENT


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def gives_up(attempts: int) -> bool:
    return attempts >= MAX_TEMPORARY_ATTEMPTS


# --- links in mail ---------------------------------------------------------------------------------

CONFIRMATION_VALIDITY = timedelta(hours=48)
SUSPEND_AFTER_BOUNCES = 3


def unsubscribe_signature(subscription_id: int, secret: str) -> str:
    """The proof, in a one-click unsubscribe link, that the link was made by us for this subscription."""
    return hmac.new(secret.encode(), f"unsubscribe:{subscription_id}".encode(), hashlib.sha256).hexdigest()[:32]


def confirmation_token(subscription_id: int, nonce: str, secret: str) -> str:
    """The secret of a confirmation link, made again when the mail is written: the database keeps the
    nonce and the token's hash, never the token, so reading the database does not confirm anyone."""
    return hmac.new(secret.encode(), f"confirm:{subscription_id}:{nonce}".encode(), hashlib.sha256).hexdigest()


def signature_matches(subscription_id: int, signature: str, secret: str) -> bool:
    # (compare_digest refuses str with non-ASCII characters: such a signature is simply not ours)
    return signature.isascii() and hmac.compare_digest(unsubscribe_signature(subscription_id, secret), signature)


def suspended_after(bounces: int) -> bool:
    return bounces >= SUSPEND_AFTER_BOUNCES
