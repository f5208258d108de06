"""A managed thread of a nameko service that works when a commit says there is work.

Writers set a flag in `session.info`; after that session commits, the worker wakes at once. Otherwise
it looks every `poll_seconds` (for work it was not told about: left by a crash, or come due). A failing
round is logged and retried with backoff; stopping the service ends a wait or a backoff at once.
"""
from __future__ import annotations

import logging
import threading

from nameko.extensions import DependencyProvider
from sqlalchemy import event

from shared.db import SETTINGS_KEY, Database, find_dependency

log = logging.getLogger(__name__)
MAX_BACKOFF = 15.0
STOP_GRACE = 15.0


class WokenWorker(DependencyProvider):
    wake_flag: str  # the session.info key writers set
    # After a wake, let more work arrive before starting: under load one round then handles many commits
    # instead of one, for a few milliseconds of latency.
    gather_seconds: float = 0.0

    def poll_seconds(self) -> float:
        raise NotImplementedError

    def work(self) -> None:
        """Do everything due now. Raise to be retried after a backoff."""
        raise NotImplementedError

    def begin(self, sessionmaker) -> None:
        """Build what `work` needs; called once the service's database is set up."""

    def end(self) -> None:
        """Release what `work` held; called when the thread stops or after a failed round."""

    def setup(self):
        self.settings = self.container.config[SETTINGS_KEY]
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._idle = threading.Event()  # set while not in the middle of a round
        self._idle.set()

    def start(self):
        sessionmaker = find_dependency(self.container, Database).sessionmaker  # setup() precedes start()
        self.begin(sessionmaker)
        event.listen(sessionmaker, "after_commit", self._after_commit)
        self._wake.set()  # finish what an earlier run left behind
        self.container.spawn_managed_thread(self._run, identifier=type(self).__name__)

    def stop(self):
        self._stopped.set()
        self._wake.set()
        # Let the round in progress finish its current item (a mail handed to SMTP gets marked sent)
        # before nameko kills the thread.
        self._idle.wait(STOP_GRACE)

    def kill(self):
        self._stopped.set()
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stopped.is_set()

    def _after_commit(self, session):
        if session.info.pop(self.wake_flag, False):
            self._wake.set()

    def _run(self):
        backoff = 0.5
        while not self._stopped.is_set():
            self._wake.wait(self.poll_seconds())
            if self.gather_seconds and self._stopped.wait(self.gather_seconds):
                break
            self._wake.clear()
            if self._stopped.is_set():
                break
            self._idle.clear()
            try:
                self.work()
                backoff = 0.5
            except Exception as exc:  # broker, database or mail server away: try again later
                log.warning("%s of %s failed (%r); retrying in %.1fs", type(self).__name__,
                            self.container.service_name, exc, backoff)
                self.end()
                self._idle.set()
                self._stopped.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                self._wake.set()
            finally:
                self._idle.set()
        self.end()
