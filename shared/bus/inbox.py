"""Idempotent consumers: apply each event once per consumer, keep what cannot be applied.

A handler calls `self.inbox.apply(payload, use_case)`. The inbox parses the payload against the
event's contract, and in one transaction runs `use_case(session, event)` and records the event_id:
a redelivered event finds its row and is skipped. When the use case fails:
- a fault that passes (the database locked, full or away: `shared.db.is_transient`) puts the event
  aside on the consumer's retry queue; the broker hands it back after TSUNAGU_RETRY_SECONDS, again and
  again until it applies or TSUNAGU_RETRY_HOURS have gone by. Nobody has to replay it, and no worker
  waits meanwhile (workers are shared with RPC: /health and the API keep answering);
- anything else is tried twice more (two deliveries racing), then (a payload that breaks its
  contract, a rule the event cannot satisfy) goes to the dead-letter queue with the reason, where an
  operator finds it.
Only once the broker holds the event again is the original acked.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from nameko.extensions import DependencyProvider
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared import correlation
from shared.bus.dead_letters import send_for_retry, send_to_dead_letters
from shared.bus.tables import InboxTable
from shared.contracts import EVENT_TYPES
from shared.contracts.base import Event, utcnow
from shared.db import SETTINGS_KEY, Database, find_dependency, is_transient
from shared.metrics import DEAD_LETTERS, EVENTS_CONSUMED

log = logging.getLogger(__name__)
RETRY_DELAYS = (0.2, 1.0)  # for a race between deliveries; a fault that passes is put aside at once
FIRST_FAILED_AT = "tsunagu_first_failed_at"  # context data an event put aside carries
ATTEMPTS = "tsunagu_attempts"

UseCase = Callable[[Session, Event], object]


class Inbox(DependencyProvider):
    def __init__(self, inbox: InboxTable):
        self.inbox = inbox

    def setup(self):
        self.settings = self.container.config[SETTINGS_KEY]
        self.amqp_uri = self.container.config["AMQP_URI"]  # as this service's broker user
        self._stopped = threading.Event()
        # While a fault lasts, events are put aside without touching the database: a worker spent
        # waiting on a locked or absent database is a worker /health and the API cannot have.
        self.faulty_until = 0.0
        self.last_fault: Exception | None = None

    def start(self):
        self.sessionmaker = find_dependency(self.container, Database).sessionmaker

    def stop(self):
        self._stopped.set()

    def get_dependency(self, worker_ctx):
        entrypoint = worker_ctx.entrypoint
        if not hasattr(entrypoint, "event_type"):
            return None  # an RPC or timer worker of the same service: the inbox is for events only
        return InboxWorker(self, consumer=f"{self.container.service_name}.{entrypoint.method_name}",
                           source=entrypoint.source_service, event_type=entrypoint.event_type,
                           queue=entrypoint.queue.name, context=dict(worker_ctx.data))


class InboxWorker:
    def __init__(self, provider: Inbox, consumer: str, source: str, event_type: str, queue: str,
                 context: dict):
        self.provider = provider
        self.consumer = consumer
        self.source = source
        self.event_type = event_type
        self.queue = queue
        self.context = context

    def apply(self, payload, use_case: UseCase) -> bool:
        """True when applied now; False when it was a duplicate or went to the dead letters."""
        try:
            event = EVENT_TYPES[self.event_type].model_validate(payload)
        except (ValidationError, KeyError) as exc:
            self._dead_letter(payload, f"does not match the {self.event_type} contract: {exc}")
            return False
        if event.correlation_id and not correlation.current():  # put aside or replayed: no header
            correlation.bind(event.correlation_id)
        if time.monotonic() < self.provider.faulty_until:
            self._put_aside(payload, self.provider.last_fault)
            return False
        failure = None
        for delay in (*RETRY_DELAYS, None):
            try:
                applied = self._apply_once(event, use_case)
            except Exception as exc:  # noqa: BLE001 — every failure is kept, none is swallowed
                failure = exc
                log.warning("%s failed on %s %s: %s", self.consumer, self.event_type, event.event_id,
                            type(exc).__name__)
                if is_transient(exc) or delay is None or self.provider._stopped.wait(delay):
                    break
            else:
                self._count("applied" if applied else "duplicate")
                if applied:
                    log.info("%s applied %s %s", self.consumer, self.event_type, event.event_id)
                return applied
        assert failure is not None, "the loop only ends early by returning"
        if is_transient(failure) or self.provider._stopped.is_set():
            self.provider.faulty_until = time.monotonic() + self.provider.settings.retry_seconds
            self.provider.last_fault = failure
            self._put_aside(payload, failure)
        else:
            self._dead_letter(payload, repr(failure))
        return False

    def _put_aside(self, payload, failure: Exception | None) -> None:
        """Hand the event back to the broker to be applied later (or, after too long, dead-lettered)."""
        settings = self.provider.settings
        now = utcnow()
        first = self.context.get(FIRST_FAILED_AT)
        first_failed = datetime.fromisoformat(first) if first else now
        if now - first_failed > timedelta(hours=settings.retry_hours):
            self._dead_letter(payload, f"still failing after {settings.retry_hours:g} h: {failure!r}")
            return
        attempts = int(self.context.get(ATTEMPTS, 0)) + 1
        self._count("retried")
        log.warning("%s puts %s %s aside for %.0fs (attempt %d, failing since %s): %s", self.consumer,
                    self.event_type, payload.get("event_id"), settings.retry_seconds, attempts,
                    first_failed.isoformat(timespec="seconds"), type(failure).__name__)
        # Raises if the broker cannot take it; nameko then requeues the original (requeue_on_error).
        send_for_retry(self.provider.amqp_uri, self.provider.container.service_name, self.queue, payload,
                       settings.retry_seconds, {FIRST_FAILED_AT: first_failed.isoformat(), ATTEMPTS: attempts})

    def _apply_once(self, event: Event, use_case: UseCase) -> bool:
        inbox = self.provider.inbox
        key = {"consumer": self.consumer, "event_id": str(event.event_id)}
        try:
            with self.provider.sessionmaker.begin() as session:
                if session.connection().execute(inbox.seen, key).first():
                    return False
                use_case(session, event)
                session.connection().execute(inbox.applied, {**key, "event_type": self.event_type,
                                                             "processed_at": utcnow()})
            return True
        except IntegrityError:
            # Two deliveries of one event raced; the loser finds the winner's row and stops here.
            with self.provider.sessionmaker() as session:
                if session.connection().execute(inbox.seen, key).first():
                    return False
            raise

    def _count(self, outcome: str) -> None:
        EVENTS_CONSUMED.labels(self.provider.container.service_name, self.event_type, outcome).inc()

    def _dead_letter(self, payload, reason: str) -> None:
        log.error("%s dead-letters %s: %s", self.consumer, self.event_type, reason)
        self._count("dead_lettered")
        DEAD_LETTERS.labels(self.provider.container.service_name).inc()
        # Raises if the broker cannot take it; nameko then requeues the original (requeue_on_error).
        send_to_dead_letters(self.provider.amqp_uri, self.consumer, self.source,
                             self.event_type, payload, reason)
