"""The local SMTP sink: each message kept whole as a file, and — when asked to pace like a mail server
(TSUNAGU_SINK_ACCEPT_DELAY_MS) — each accepted only after the delay, without holding the other sessions."""
from __future__ import annotations

import smtplib
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tsunagu.ports import free_port
from tsunagu.smtp_sink import MailDirHandler

DELAY = 0.5
SESSIONS = 3


def _send(port: int, n: int) -> float:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", f"r{n}@example.org", "会報"
    message.set_content("本文\n", charset="utf-8")
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.send_message(message)
    return time.perf_counter() - started


def test_each_message_waits_the_accept_delay_and_sessions_wait_side_by_side(tmp_path):
    sink = Controller(MailDirHandler(tmp_path, accept_delay=DELAY), hostname="127.0.0.1", port=free_port())
    sink.start()
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(SESSIONS) as pool:
            each = list(pool.map(lambda n: _send(sink.port, n), range(SESSIONS)))
        together = time.perf_counter() - started
    finally:
        sink.stop()
    assert min(each) >= DELAY  # no message is accepted before the delay
    assert together < DELAY * (SESSIONS - 0.5)  # one after another would take SESSIONS × DELAY
    kept = sorted(path.read_bytes() for path in tmp_path.glob("*.eml"))
    assert len(kept) == SESSIONS and all(b"X-Sink-Envelope-To: r" in mail for mail in kept)
