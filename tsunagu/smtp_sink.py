"""A local SMTP server that keeps every message it receives as an .eml file (development and tests).

A mail server takes a while to accept a message — it writes it to its queue, and it is a network round
trip away — so one SMTP session sends only so fast, whoever the client is. `accept_delay` makes the sink
wait that long before its answer to DATA (as postfix's own test server, smtp-sink -w, does), without
holding its other sessions: the benchmarks measure sending at a mail server's pace, not at the speed of
a sink that answers from the same two cores in microseconds."""
from __future__ import annotations

import asyncio
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
    def __init__(self, directory: Path, accept_delay: float = 0.0):
        self.directory = directory
        self.accept_delay = accept_delay
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, _server, _session, envelope):  # noqa: N802 — aiosmtpd's hook name
        if self.accept_delay:
            await asyncio.sleep(self.accept_delay)
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        envelope_to = ", ".join(envelope.rcpt_tos)
        data = f"X-Sink-Envelope-To: {envelope_to}\r\n".encode() + envelope.original_content
        partial = self.directory / f".{name}.part"
        partial.write_bytes(data)
        os.replace(partial, self.directory / name)  # a reader never sees half a message
        return "250 Message accepted for delivery"


def run(host: str, port: int, directory: Path, accept_delay: float = 0.0) -> None:
    configure("smtp-sink")
    # aiosmtpd logs every command with its recipient at INFO; the sink's log lives beside the services'
    # logs, which hold no addresses. The messages themselves are in the mail folder.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(MailDirHandler(directory, accept_delay), hostname=host, port=port)
    controller.start()
    logging.info("SMTP sink on %s:%s writing to %s, accepting each message after %.1f ms", host, port, directory,
                 accept_delay * 1000)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
