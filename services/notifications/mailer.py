"""Sending: compose each due delivery, hand it to SMTP, record the outcome in the ledger at once.

The mailer is a managed thread of the notifications service (a WokenWorker): a commit that wrote
deliveries wakes it; otherwise it looks every few seconds for retries that came due. It holds no database connection
while it talks to the SMTP server, and it marks each delivery sent right after the server accepted
it, so a crash can repeat at most the mails in flight — one per SMTP session — each with the same
Message-ID, which lets a receiving server or client recognise it. When the ledger
cannot record a mail the server accepted, the mailer remembers it and records it before sending
anything else: an outage of the database repeats nothing.
"""
from __future__ import annotations

import contextlib
import logging
import smtplib
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

from services.notifications import domain, operations
from services.notifications.composition import compose
from shared.background import WokenWorker
from shared.metrics import MAIL
from shared.settings import Settings

log = logging.getLogger(__name__)
BATCH = 100
POLL_SECONDS = 5.0
CLAIM_SECONDS = 300.0  # a batch is this copy's to send for so long (another copy of the service skips it)
# An SMTP session stays open so long after a round, for the next round to reuse: a burst of registrations
# wakes the mailer once or twice per mail, and a session per round would cost the server and us a
# connection, a greeting and EHLO per mail. Postfix caches its sessions two seconds as well
# (smtp_connection_cache_time_limit); a server that closed one meanwhile is found by a NOOP first.
SESSION_KEPT_SECONDS = 2.0


class SmtpConnection:
    """One SMTP session, reused for a batch and kept for the next round a short while; reopened after
    any error."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self.kept_since: float | None = None  # when the round that used it ended (None: in use, or closed)

    @property
    def is_open(self) -> bool:
        return self._smtp is not None

    def keep(self) -> None:
        if self._smtp is not None and self.kept_since is None:
            self.kept_since = time.monotonic()

    def send(self, message: EmailMessage) -> None:
        if self._smtp is not None and self.kept_since is not None:
            self.kept_since = None
            try:  # the server may have closed a session kept from an earlier round: nothing is sent yet
                alive = self._smtp.noop()[0] == 250
            except (smtplib.SMTPException, OSError):
                alive = False
            if not alive:
                self.close()
        if self._smtp is None:
            smtp = smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port, timeout=30)
            if self.settings.smtp_starttls:
                smtp.starttls()
            if self.settings.smtp_user:
                smtp.login(self.settings.smtp_user, self.settings.smtp_password)
            self._smtp = smtp
        self._smtp.send_message(message)

    def close(self) -> None:
        self.kept_since = None
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):  # closing a broken session
                self._smtp.quit()
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


def _about(delivery: operations.DueDelivery) -> dict:
    """A mail's log fields: which delivery and message, and the request that caused it — no address."""
    return {"delivery_id": delivery.delivery_id, "message_id": delivery.message_id,
            "correlation_id": delivery.correlation_id}


class Mailer(WokenWorker):
    wake_flag = operations.DELIVERIES_WRITTEN

    def poll_seconds(self) -> float:
        # While a session is kept, look again when it has been kept long enough to be closed.
        return SESSION_KEPT_SECONDS if any(smtp.is_open for smtp in self.smtps) else POLL_SECONDS

    def begin(self, sessionmaker) -> None:
        self.sessionmaker = sessionmaker
        self.engine = sessionmaker.kw["bind"]
        # Several sessions at once (TSUNAGU_SMTP_CONNECTIONS): a mail server takes mail from many
        # connections faster than from one, which waits for each reply before the next message.
        self.smtps = [SmtpConnection(self.settings) for _ in range(self.settings.smtp_connections)]
        # Deliveries the SMTP server accepted while the ledger could not record them (a locked or full
        # database). Their rows still read as pending: they are recorded before anything else is sent
        # and never handed to SMTP again meanwhile, so an outage repeats no mail.
        self.accepted_unrecorded: set[int] = set()
        # Deliveries this copy claimed and has not finished (sent, or failed and recorded): when a round
        # ends early they are handed back, so they are due again at once, not when the claim runs out.
        self.claimed: set[int] = set()

    def work(self) -> None:
        self._close_idle()
        self.record_accepted()  # raises while the ledger is still unwritable: the round sends nothing
        self.release_claimed()
        after = 0
        while not self.stopping:
            sent, after = self.send_due(after_id=after)
            if sent < BATCH:
                break
        for smtp in self.smtps:
            smtp.keep()

    def _close_idle(self) -> None:
        """Close the sessions no round has used for SESSION_KEPT_SECONDS."""
        now = time.monotonic()
        for smtp in self.smtps:
            if smtp.kept_since is not None and now - smtp.kept_since >= SESSION_KEPT_SECONDS:
                smtp.close()

    def _close(self) -> None:
        for smtp in self.smtps:
            smtp.close()

    def end(self) -> None:
        self._close()
        with contextlib.suppress(Exception):  # stopping or a failed round; else the claims run out
            self.release_claimed()

    def record_accepted(self) -> None:
        if self.accepted_unrecorded:
            with self.engine.begin() as connection:
                for delivery_id in sorted(self.accepted_unrecorded):
                    operations.mark_sent(connection, delivery_id)
            log.info("recorded %d deliveries the SMTP server had accepted", len(self.accepted_unrecorded))
            self.accepted_unrecorded.clear()

    def release_claimed(self) -> None:
        """Claimed by an earlier round that ended early, never tried: due again now (raises while the
        ledger cannot be written; the claim then runs out by itself)."""
        unsent = self.claimed - self.accepted_unrecorded  # those accepted are recorded, never sent again
        if unsent:
            with self.sessionmaker.begin() as session:
                operations.release_claims(session, sorted(unsent))
        self.claimed.clear()

    def send_due(self, connections: list | None = None, after_id: int = 0) -> tuple[int, int]:
        """Send the next batch after `after_id`, shared among the SMTP connections (each its own share, in
        its own thread); returns how many were due (0 when the server failed for now) and the last id seen."""
        connections = connections or self.smtps
        with self.sessionmaker.begin() as session:
            due = operations.due_deliveries(session, BATCH, after_id, CLAIM_SECONDS)
            names = operations.list_names(session) if due else {}
        last = due[-1].delivery_id if due else after_id
        self.claimed.update(delivery.delivery_id for delivery in due)
        shares = [due[start::len(connections)] for start in range(len(connections))]
        pairs = [(smtp, share) for smtp, share in zip(connections, shares, strict=True) if share]
        if len(pairs) <= 1:
            unwell = any(self._send_share(smtp, share, names) for smtp, share in pairs)
        else:
            with ThreadPoolExecutor(len(pairs), thread_name_prefix="smtp") as pool:
                running = [pool.submit(self._send_share, smtp, share, names) for smtp, share in pairs]
            ended = [sending.result() for sending in running]  # every share has ended: a fault is raised here
            unwell = any(ended)
        return (0 if unwell else len(due)), last

    def _send_share(self, smtp, due: list[operations.DueDelivery], names: dict) -> bool:
        """Send these on one connection, each marked in the ledger as soon as the server took it; True
        when the server failed for now (the rest of the share waits for the backoff)."""
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
                            "permanent" if permanent else "will retry", extra=_about(delivery))
                MAIL.labels("bounced" if permanent else "deferred").inc()
                with self.sessionmaker.begin() as session:
                    operations.mark_failed_attempt(session, delivery, reason, permanent)
                self.claimed.discard(delivery.delivery_id)  # its next try is the backoff's to say
                if not permanent:
                    return True  # the server is unwell: leave the rest of the share for the backoff
                continue
            except Exception as exc:  # a message that cannot be composed: record it, never loop on it
                log.error("delivery %s cannot be composed (%s at %s)", delivery.delivery_id, type(exc).__name__,
                          where_raised(exc), extra=_about(delivery))
                MAIL.labels("bounced").inc()
                with self.sessionmaker.begin() as session:
                    operations.mark_failed_attempt(session, delivery, repr(exc), permanent=True)
                self.claimed.discard(delivery.delivery_id)
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
            self.claimed.discard(delivery.delivery_id)
            MAIL.labels("sent").inc()
            log.info("delivery %s sent (%s)", delivery.delivery_id, delivery.template, extra=_about(delivery))
        return False
