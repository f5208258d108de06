"""The mailer against a real SQLite ledger that cannot be written for a while, sending to a real SMTP
server (the project's sink): the server accepts a mail, the ledger cannot record it, the mailer backs
off and tries again. Every recipient must still get the mail exactly once."""
from __future__ import annotations

import sqlite3
from collections import Counter
from email.parser import BytesHeaderParser

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import event, select
from sqlalchemy.orm import sessionmaker

from services.notifications import models, operations
from services.notifications.mailer import Mailer
from shared.contracts.notifications import AnnouncementDraft, ConfirmedSubscriber, MailingListDraft
from shared.db import SETTINGS_KEY, make_engine
from shared.settings import Settings
from tests.databases import make_tables
from tsunagu.ports import free_port
from tsunagu.smtp_sink import MailDirHandler


class ServiceContainer:
    """What the mailer reads of its nameko container: the settings and the service's name."""

    service_name = "notifications"

    def __init__(self, config: dict):
        self.config = config


READERS = [f"reader{n}@example.org" for n in range(5)]


class LedgerLocked:
    """Another process holds the database's write lock (a long transaction, a backup)."""

    def __init__(self, path: str):
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def start(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def end(self) -> None:
        self.connection.execute("ROLLBACK")


class LedgerRefusesWrites:
    """Reads work, every change of the ledger fails (as on a full disk)."""

    def __init__(self, path: str):
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def start(self) -> None:
        self.connection.execute("CREATE TRIGGER ledger_fault BEFORE UPDATE ON deliveries "
                                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")

    def end(self) -> None:
        self.connection.execute("DROP TRIGGER ledger_fault")


class FaultAfterFirstMail(MailDirHandler):
    """The sink, which starts the fault once it has accepted the first mail — before answering 250, so
    the mailer finds the ledger unwritable right after the server took the mail."""

    def __init__(self, directory, fault):
        super().__init__(directory)
        self.fault = fault

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        answer = await super().handle_DATA(server, session, envelope)
        if self.fault is not None:
            self.fault, fault = None, self.fault
            fault.start()
        return answer


def received(directory) -> Counter:
    return Counter(BytesHeaderParser().parsebytes(path.read_bytes())["X-Sink-Envelope-To"]
                   for path in directory.glob("*.eml"))


def one_round(mailer: Mailer) -> bool:
    """What the mailer's thread does each time it wakes: work, or give up this round and back off."""
    try:
        mailer.work()
        return True
    except Exception:
        mailer.end()
        return False


@pytest.mark.parametrize("connections", [1, 4])
@pytest.mark.parametrize("fault_kind", [LedgerLocked, LedgerRefusesWrites])
def test_a_ledger_that_cannot_be_written_for_a_while_sends_each_mail_once(tmp_path, fault_kind, connections):
    path = str(tmp_path / "notifications.db")
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _give_up_waiting_soon(dbapi_connection, _record):  # the service waits 30 s; a test need not
        dbapi_connection.execute("PRAGMA busy_timeout=200")

    make_tables(engine, models)
    db = sessionmaker(engine, expire_on_commit=False)
    with db.begin() as session:
        operations.create_list(session, MailingListDraft(slug="magazine", name={"en": "Magazine"}))
        operations.add_confirmed_subscribers(session, "magazine", [ConfirmedSubscriber(email=e) for e in READERS])
        operations.post_announcement(session, "magazine", AnnouncementDraft(subject={"en": "No. 100"},
                                                                            body={"en": "This issue…"}))
    fault = fault_kind(path)
    sink = Controller(FaultAfterFirstMail(tmp_path / "mail", fault), hostname="127.0.0.1", port=free_port())
    sink.start()
    try:
        settings = Settings(smtp_port=sink.port, secret_key="s" * 32, smtp_connections=connections)
        container = ServiceContainer(config={SETTINGS_KEY: settings})  # (the mailer keeps a weak reference)
        mailer = Mailer().bind(container, "mailer")
        mailer.setup()
        mailer.begin(db)
        assert not one_round(mailer)  # the first mails went out; the ledger could not record them
        # each connection stops at its first mail the ledger could not record: one mail per connection
        first = received(tmp_path / "mail")
        assert 1 <= len(first) <= connections and set(first.values()) == {1}
        assert connections > 1 or first == Counter({READERS[0]: 1})
        for _ in range(4):  # the worker backs off and tries again while the fault lasts
            assert not one_round(mailer)
        fault.end()
        assert one_round(mailer)
    finally:
        sink.stop()
    assert received(tmp_path / "mail") == Counter(dict.fromkeys(READERS, 1))
    with db() as session:
        statuses = session.execute(select(models.DeliveryRow.status)).scalars().all()
    assert statuses == ["sent"] * len(READERS)
    engine.dispose()
