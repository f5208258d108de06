"""The real system for integration tests: a private RabbitMQ, the SMTP sink, the three services and
the gateway as separate processes on free ports, in a directory of their own."""
from __future__ import annotations

import email
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

import httpx
import pytest

from shared.bus.parts import BrokerPart
from shared.contracts.notifications import GENERAL_LIST
from shared.rpc import RpcPool
from shared.settings import Settings
from tests.integration.patience import PATIENCE
from tsunagu.accounts import secretariat_token
from tsunagu.ports import free_amqp_port, free_port
from tsunagu.stack import Stack

SECRETARIAT_EMAIL = "secretariat@example.org"
_SECRETARIAT_TOKENS: dict[Path, str] = {}  # per stack (its var dir)
SUBSCRIBERS = [
    {"email": "ja@example.org", "language": "ja", "name": "山田 太郎"},
    {"email": "en@example.org", "language": "en", "name": "Alex"},
    {"email": "vi@example.org", "language": "vi", "name": "Nguyen"},
    {"email": "easy@example.org", "language": "ja-x-easy", "name": None},
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


def stack_settings(var_dir: Path, **overrides) -> Settings:
    """A stack's settings on free ports; the services' metrics ports only where a test asks (their base
    and the ports after it would have to be free together)."""
    overrides.setdefault("metrics_port", 0)
    if "amqp_port" not in overrides:
        overrides["amqp_port"] = free_amqp_port()
    return Settings(var_dir=var_dir, environment="test", secret_key="integration-" + "s" * 32,
                    http_port=free_port(), smtp_port=free_port(), outbox_poll_seconds=0.5, rpc_timeout=20,
                    private_feed_seconds=1, registrations_per_minute=0, **overrides)


def management_api(settings: Settings, path: str) -> list[dict]:
    """What the stack's RabbitMQ management API answers at /api/<path>, asked as the operator."""
    answer = httpx.get(f"http://127.0.0.1:{settings.amqp_management_port}/api/{path}", timeout=30,
                       auth=settings.amqp_credentials(BrokerPart.OPERATOR))
    answer.raise_for_status()
    return answer.json()


def secretariat_headers(settings: Settings) -> dict[str, str]:
    """A personal API token of the secretariat on this stack, as a script sends it: the account made by
    the operator and the token made as its person, once per stack."""
    if settings.var_dir not in _SECRETARIAT_TOKENS:
        _SECRETARIAT_TOKENS[settings.var_dir] = secretariat_token(settings, SECRETARIAT_EMAIL, "integration tests")
    return {"Authorization": f"Bearer {_SECRETARIAT_TOKENS[settings.var_dir]}"}


def seed_general_list(settings: Settings) -> None:
    pool = RpcPool.for_operator(settings, timeout=20)
    try:
        with pool.services() as rpc:
            rpc.notifications.create_list({"slug": GENERAL_LIST, "name": {"ja": "全体", "en": "General"}})
            rpc.notifications.add_confirmed_subscribers(GENERAL_LIST, SUBSCRIBERS)
    finally:
        pool.close()


@contextmanager
def seeded_stack(var_dir: Path) -> Iterator[Stack]:
    """A running stack whose general list has the SUBSCRIBERS."""
    settings = stack_settings(var_dir)
    with Stack(settings) as running:
        seed_general_list(settings)
        yield running


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    with seeded_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


class Gateway:
    def __init__(self, settings: Settings):
        self.http = httpx.Client(base_url=settings.gateway_url, timeout=30, headers=secretariat_headers(settings))

    def new_event(self, **overrides) -> dict:
        draft = {"kind": "migrants_day", "title": {"ja": f"国際移住者デー {uuid.uuid4().hex[:6]}",
                                                   "en": "International Migrants Day"},
                 "region": "chubu-tokai", "city": "名古屋市",
                 "starts_at": "2026-12-18T12:00:00", "ends_at": "2026-12-18T14:00:00", **overrides}
        response = self.http.post("/events", json=draft)
        assert response.status_code == 201, response.text
        return response.json()

    def publish(self, event_id: str, force: bool = False) -> httpx.Response:
        return self.http.post(f"/events/{event_id}/publish", params={"force": "true"} if force else None)


class MailBox:
    """Reads the SMTP sink's .eml files. The sink never changes a file it wrote, so each is parsed once:
    after the large sends of some tests, parsing thousands of files on every poll took longer than the
    waits themselves."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._parsed: dict[str, email.message.EmailMessage] = {}
        self._plain: dict[str, str] = {}

    def _read(self) -> list[tuple[str, email.message.EmailMessage]]:
        if not self.directory.exists():
            return []
        for path in self.directory.glob("*.eml"):
            if path.name not in self._parsed:
                self._parsed[path.name] = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        return sorted(self._parsed.items())

    def messages(self) -> list[email.message.EmailMessage]:
        return [message for _, message in self._read()]

    def raw(self, message_id: str) -> bytes:
        """The bytes the sink received for the mail with this Message-ID, as a client reads them."""
        for path in sorted(self.directory.glob("*.eml")):
            data = path.read_bytes()
            found = BytesHeaderParser(policy=compat32).parsebytes(data)["Message-ID"] or ""
            if found.split() == message_id.split():
                return data
        raise AssertionError(f"no mail {message_id} in the sink")

    def to(self, address: str, count: int = 1, timeout: float = PATIENCE) -> list[email.message.EmailMessage]:
        """The mail the sink received for `address`, once there are `count` of them (or the time is up)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.messages() if (m["X-Sink-Envelope-To"] or "").lower() == address.lower()]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    def confirmation_links(self, address: str, count: int = 1, timeout: float = PATIENCE) -> list[str]:
        """The links in the mails asking `address` to confirm a registration, once `count` arrived."""
        deadline = time.monotonic() + timeout
        while True:
            links = [re.search(r"(http\S+/registration-confirmation\?token=\S+)", self._plain_text(name, message))
                     for name, message in self._read()
                     if (message["X-Sink-Envelope-To"] or "").lower() == address.lower()]
            found = [link.group(1) for link in links if link]
            if len(found) >= count:
                return found
            assert time.monotonic() < deadline, f"{len(found)} confirmation mails reached {address}, not {count}"
            time.sleep(0.2)

    def confirmation_link(self, address: str) -> str:
        return self.confirmation_links(address)[0]

    def confirm_registration(self, address: str, count: int = 1) -> None:
        """What the address's person does: open each link mailed to it, press the button."""
        for found in self.confirmation_links(address, count):
            link = httpx.URL(found)
            answer = httpx.post(str(link.copy_with(query=None)), data={"token": link.params["token"]}, timeout=30)
            assert answer.status_code == 200, answer.text

    def for_event(self, event_id: str) -> list[email.message.EmailMessage]:
        """The announcements of an event (list mail), not the registrants' own mail about it."""
        return [m for name, m in self._read() if m["List-Id"] and f"/event/{event_id}?" in self._plain_text(name, m)]

    def _plain_text(self, name: str, message: email.message.EmailMessage) -> str:
        if name not in self._plain:
            self._plain[name] = message.get_body(preferencelist=("plain",)).get_content()
        return self._plain[name]

    def recipients_for(self, event_id: str) -> Counter:
        return Counter(m["X-Sink-Envelope-To"] for m in self.for_event(event_id))

    def wait_for(self, event_ids: list[str], per_event: int, timeout: float = PATIENCE) -> dict[str, Counter]:
        """Wait until every event has mail for `per_event` recipients; return what arrived."""
        deadline = time.monotonic() + timeout
        while True:
            found = {event_id: self.recipients_for(event_id) for event_id in event_ids}
            if all(len(counter) >= per_event for counter in found.values()) or time.monotonic() > deadline:
                return found
            time.sleep(0.25)


@pytest.fixture(scope="session")
def gateway(stack) -> Gateway:
    return Gateway(stack.settings)


@pytest.fixture(scope="session")
def mailbox(stack) -> MailBox:
    return MailBox(stack.settings.mail_dir)


def expected_recipients() -> Counter:
    return Counter({subscriber["email"]: 1 for subscriber in SUBSCRIBERS})
