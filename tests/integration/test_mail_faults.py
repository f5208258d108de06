"""Mail while the delivery ledger cannot be written: the SMTP server accepts a mail, the ledger cannot
record it, the mailer backs off and tries again — and every subscriber still gets the mail once."""
from __future__ import annotations

import sqlite3
import time
import uuid
from collections import Counter

from tests.integration.patience import PATIENCE
from tests.integration.stack_calls import rpc_call

READERS = 300


def failed_rounds(log_path, since: int) -> int:
    with open(log_path, "rb") as log:
        log.seek(since)
        return log.read().count(b"Mailer of notifications failed")


def test_a_ledger_that_refuses_writes_during_a_send_mails_everyone_once(stack, gateway, mailbox):
    slug = f"ledger-{uuid.uuid4().hex[:6]}"
    gateway.http.post("/lists", json={"slug": slug, "name": {"en": "Ledger fault"}})
    addresses = [f"ledger{n}-{uuid.uuid4().hex[:4]}@example.org" for n in range(READERS)]
    rpc_call(stack, "notifications", "add_confirmed_subscribers", slug, [{"email": a} for a in addresses])
    subject = f"Ledger {slug}"
    created = gateway.http.post(f"/lists/{slug}/announcements", json={"subject": {"en": subject}, "body": {"en": "…"}})
    announcement = created.json()["id"]
    deadline = time.monotonic() + PATIENCE
    while gateway.http.get(f"/announcements/{announcement}").json()["sent"] < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    # From now on the database refuses every change of the ledger (as a full disk would); reads still work.
    log_path = stack.log_dir / "notifications.log"
    log_size = log_path.stat().st_size
    database = sqlite3.connect(stack.settings.var_dir / "notifications.db", timeout=30, isolation_level=None)
    database.execute("CREATE TRIGGER ledger_fault BEFORE UPDATE ON deliveries "
                     "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    try:
        deadline = time.monotonic() + PATIENCE
        while failed_rounds(log_path, log_size) < 4:  # the mailer backed off and tried again, several times
            assert time.monotonic() < deadline, "the mailer never met the fault"
            time.sleep(0.2)
    finally:
        database.execute("DROP TRIGGER IF EXISTS ledger_fault")
        database.close()
    deadline = time.monotonic() + PATIENCE
    while gateway.http.get(f"/announcements/{announcement}").json()["sent"] < READERS:
        assert time.monotonic() < deadline, "the send did not finish after the fault"
        time.sleep(0.3)
    received = Counter(m["X-Sink-Envelope-To"] for m in mailbox.messages() if m["Subject"] == subject)
    assert received == Counter(dict.fromkeys(addresses, 1))
