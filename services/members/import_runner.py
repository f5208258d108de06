"""The members service's import thread: works through queued imports, a chunk at a time.

Under eventlet a loop that never waits keeps every other worker of the service from running; the
pause between chunks hands the database connection and the CPU to them (the directory, /health's
ping, the bus), so the service keeps answering during a long import.
"""
from __future__ import annotations

import time

from services.members.imports import WAKE_FLAG, ImportWorker
from shared.background import WokenWorker

PAUSE_SECONDS = 0.01


class ImportRunner(WokenWorker):
    wake_flag = WAKE_FLAG

    def poll_seconds(self) -> float:
        return 10.0  # for a job another instance left when it stopped

    def begin(self, sessionmaker) -> None:
        self.worker = ImportWorker(sessionmaker, pause=lambda: time.sleep(PAUSE_SECONDS),
                                   stopping=lambda: self.stopping)

    def work(self) -> None:
        self.worker.work()
