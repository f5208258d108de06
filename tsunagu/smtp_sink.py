"""A local SMTP server that keeps every message it receives as an .eml file (development and tests)."""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller

from shared.logs import configure


class MailDirHandler:
    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, _server, _session, envelope):  # noqa: N802 — aiosmtpd's hook name
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        envelope_to = ", ".join(envelope.rcpt_tos)
        data = f"X-Sink-Envelope-To: {envelope_to}\r\n".encode() + envelope.original_content
        partial = self.directory / f".{name}.part"
        partial.write_bytes(data)
        os.replace(partial, self.directory / name)  # a reader never sees half a message
        return "250 Message accepted for delivery"


def run(host: str, port: int, directory: Path) -> None:
    configure("smtp-sink")
    # aiosmtpd logs every command with its recipient at INFO; the sink's log lives beside the services'
    # logs, which hold no addresses. The messages themselves are in the mail folder.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(MailDirHandler(directory), hostname=host, port=port)
    controller.start()
    logging.info("SMTP sink on %s:%s writing to %s", host, port, directory)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
