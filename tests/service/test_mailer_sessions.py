"""The mailer keeps its SMTP sessions open a short while between rounds (a burst of registrations wakes
it for every mail or two), and a session the server closed meanwhile costs no mail and no deferral.
Against the project's real SMTP sink on a real SQLite ledger."""
from __future__ import annotations

import time
from email.parser import BytesHeaderParser

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from services.notifications import mailer as mailer_module
from services.notifications import models, operations
from services.notifications.mailer import POLL_SECONDS, Mailer
from shared.contracts.notifications import AnnouncementDraft, ConfirmedSubscriber, MailingListDraft
from shared.db import SETTINGS_KEY, make_engine
from shared.settings import Settings
from tests.databases import make_tables
from tsunagu.ports import free_port
from tsunagu.smtp_sink import MailDirHandler

READERS = [f"reader{n}@example.org" for n in range(3)]


class SessionsSeen(MailDirHandler):
    """The sink, noting which client connection (its port) each mail came over."""

    def __init__(self, directory):
        super().__init__(directory)
        self.ports: list[int] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        self.ports.append(session.peer[1])
        return await super().handle_DATA(server, session, envelope)


class ServiceContainer:
    service_name = "notifications"

    def __init__(self, config: dict):
        self.config = config


@pytest.fixture
def ledger(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'notifications.db'}")
    make_tables(engine, models)
    db = sessionmaker(engine, expire_on_commit=False)
    with db.begin() as session:
        operations.create_list(session, MailingListDraft(slug="magazine", name={"en": "Magazine"}))
        operations.add_confirmed_subscribers(session, "magazine", [ConfirmedSubscriber(email=e) for e in READERS])
    yield db
    engine.dispose()


def announce(db, number: int) -> None:
    with db.begin() as session:
        operations.post_announcement(session, "magazine", AnnouncementDraft(subject={"en": f"No. {number}"},
                                                                             body={"en": "This issue…"}))


def mailer_for(db, port: int) -> Mailer:
    settings = Settings(smtp_port=port, secret_key="s" * 32, smtp_connections=1)
    container = ServiceContainer(config={SETTINGS_KEY: settings})
    mailer = Mailer().bind(container, "mailer")
    mailer.setup()
    mailer.begin(db)
    return mailer


def subjects_received(directory) -> list[str]:
    return sorted(BytesHeaderParser().parsebytes(path.read_bytes())["Subject"] for path in directory.glob("*.eml"))


def test_rounds_close_together_share_one_session_and_an_idle_one_is_closed(ledger, tmp_path, monkeypatch):
    monkeypatch.setattr(mailer_module, "SESSION_KEPT_SECONDS", 1.0)
    handler = SessionsSeen(tmp_path / "mail")
    sink = Controller(handler, hostname="127.0.0.1", port=free_port())
    sink.start()
    try:
        mailer = mailer_for(ledger, sink.port)
        announce(ledger, 1)
        mailer.work()
        assert mailer.poll_seconds() == 1.0  # a session is kept: the next look closes it if unused
        announce(ledger, 2)
        mailer.work()
        assert len(handler.ports) == 6 and len(set(handler.ports)) == 1  # both rounds over one session
        time.sleep(1.1)
        mailer.work()  # nothing due; the session has been idle long enough
        assert not mailer.smtps[0].is_open and mailer.poll_seconds() == POLL_SECONDS
        announce(ledger, 3)
        mailer.work()
        assert len(set(handler.ports)) == 2  # a new session for a round after the pause
    finally:
        sink.stop()


def test_a_kept_session_the_server_closed_costs_no_mail(ledger, tmp_path):
    handler = SessionsSeen(tmp_path / "mail")
    # The server ends a session after 0.3 s without a command (RFC 5321 lets it, after minutes).
    sink = Controller(handler, hostname="127.0.0.1", port=free_port(), server_kwargs={"timeout": 0.3})
    sink.start()
    try:
        mailer = mailer_for(ledger, sink.port)
        announce(ledger, 1)
        mailer.work()
        assert mailer.smtps[0].is_open
        time.sleep(0.8)  # closed by the server, still kept by the mailer
        announce(ledger, 2)
        mailer.work()
    finally:
        sink.stop()
    assert subjects_received(tmp_path / "mail") == sorted(["No. 1"] * 3 + ["No. 2"] * 3)
    assert len(set(handler.ports)) == 2
    with ledger() as session:
        rows = session.execute(select(models.DeliveryRow.status, models.DeliveryRow.attempts)).all()
    assert [tuple(row) for row in rows] == [("sent", 1)] * 6  # none deferred, none tried twice
