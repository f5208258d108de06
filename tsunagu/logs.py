"""Each part's output in `VAR_DIR/log/NAME.log`, rotated by size: NAME.log.1 … NAME.log.N keep the
earlier output, the oldest is dropped. The stack reads each child's stdout and stderr through a pipe
and writes it here, so everything a part prints — its log lines, a crash's traceback, a warning from
a library — lands in one bounded place, and a part never has to know where its log goes.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import IO, BinaryIO


class RotatingLog:
    """Appends bytes to `path`; once a write would take it past `max_bytes`, starts a new file."""

    def __init__(self, path: Path, max_bytes: int, backups: int):
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self._file = self._open()

    def _open(self) -> BinaryIO:
        # 0600: logs can hold addresses and names; the directory is the user's alone too
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(descriptor, "ab", buffering=0)

    def write(self, data: bytes) -> None:
        size = self._file.tell()
        if size and size + len(data) > self.max_bytes:
            self._rotate()
        self._file.write(data)

    def _rotate(self) -> None:
        self._file.close()
        for number in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{number}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{number + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))
        self._file = self._open()

    def close(self) -> None:
        self._file.close()


def pump(stream: IO[bytes], log: RotatingLog) -> threading.Thread:
    """Copies a child's output into its log, line by line, until the child closes it (exits)."""

    def run() -> None:
        try:
            for line in iter(lambda: stream.readline(64 * 1024), b""):
                log.write(line)
        finally:
            stream.close()
            log.close()

    thread = threading.Thread(target=run, name=f"log:{log.path.name}", daemon=True)
    thread.start()
    return thread
