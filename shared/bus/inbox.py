"""Idempotent consumers: apply each event once per consumer, keep what cannot be applied.

A handler calls `self.inbox.apply(payload, use_case)`. The inbox parses the payload against the
event's contract, and in one transaction runs `use_case(session, event)` and records the event_id:
a redelivered event finds its row and is skipped. A failing use case is retried a few times; then the
message goes to the dead-letter queue with the reason, and only then is it acked.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from nameko.extensions import DependencyProvider
from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.bus.dead_letters import send_to_dead_letters
from shared.bus.tables import InboxTable
from shared.contracts import EVENT_TYPES
from shared.contracts.base import Event, utcnow
from shared.db import SETTINGS_KEY, Database, find_dependency

log = logging.getLogger(__name__)
RETRY_DELAYS = (0.2, 1.0, 3.0)

UseCase = Callable[[Session, Event], object]


class Inbox(DependencyProvider):
    def __init__(self, inbox: InboxTable):
        self.inbox = inbox

    def setup(self):
        self.settings = self.container.config[SETTINGS_KEY]
        self._stopped = threading.Event()

    def start(self):
        self.sessionmaker = find_dependency(self.container, Database).sessionmaker

    def stop(self):
        self._stopped.set()

    def get_dependency(self, worker_ctx):
        entrypoint = worker_ctx.entrypoint
        if not hasattr(entrypoint, "event_type"):
            return None  # an RPC or timer worker of the same service: the inbox is for events only
        return InboxWorker(self, consumer=f"{self.container.service_name}.{entrypoint.method_name}",
                           source=entrypoint.source_service, event_type=entrypoint.event_type)


class InboxWorker:
    def __init__(self, provider: Inbox, consumer: str, source: str, event_type: str):
        self.provider = provider
        self.consumer = consumer
        self.source = source
        self.event_type = event_type

    def apply(self, payload, use_case: UseCase) -> bool:
        """True when applied now; False when it was a duplicate or went to the dead letters."""
        try:
            event = EVENT_TYPES[self.event_type].model_validate(payload)
        except (ValidationError, KeyError) as exc:
            self._dead_letter(payload, f"does not match the {self.event_type} contract: {exc}")
            return False
        failure: Exception | None = None
        for delay in (*RETRY_DELAYS, None):
            try:
                return self._apply_once(event, use_case)
            except Exception as exc:  # noqa: BLE001 — every failure is kept, none is swallowed
                failure = exc
                log.warning("%s failed on %s %s: %r", self.consumer, self.event_type, event.event_id, exc)
                if delay is None or self.provider._stopped.wait(delay):
                    break
        self._dead_letter(payload, repr(failure))
        return False

    def _apply_once(self, event: Event, use_case: UseCase) -> bool:
        table = self.provider.inbox.table
        key = {"consumer": self.consumer, "event_id": str(event.event_id)}
        try:
            with self.provider.sessionmaker.begin() as session:
                seen = session.execute(select(table.c.event_id).filter_by(**key)).first()
                if seen:
                    return False
                use_case(session, event)
                session.execute(insert(table).values(**key, event_type=self.event_type,
                                                     processed_at=utcnow()))
            return True
        except IntegrityError:
            # Two deliveries of one event raced; the loser finds the winner's row and stops here.
            with self.provider.sessionmaker() as session:
                if session.execute(select(table.c.event_id).filter_by(**key)).first():
                    return False
            raise

    def _dead_letter(self, payload, reason: str) -> None:
        log.error("%s dead-letters %s: %s", self.consumer, self.event_type, reason)
        # Raises if the broker cannot take it; nameko then requeues the original (requeue_on_error).
        send_to_dead_letters(self.provider.settings.amqp_uri, self.consumer, self.source,
                             self.event_type, payload, reason)
