"""Hand-written fake services behind a fake of the gateway's bus (no broker), shared by the gateway's
unit tests; the fixtures that put them behind an app are in conftest.py."""
from __future__ import annotations

import uuid

from shared.bus.requester import CALLER_CONTEXT
from shared.claims import Purpose, purpose_key, verify
from shared.contracts.base import parse_contract, utcnow
from shared.contracts.events import EventDraft, EventView
from shared.contracts.identity import Caller
from shared.errors import Conflict, NotFound, Unauthenticated

TOKEN = "tsu_secretariat-personal-token-for-tests"  # a personal API token the fake members service knows
ORGANIZER = {"Authorization": f"Bearer {TOKEN}"}
SECRETARIAT = {"account_id": "acc-secretariat", "email": "secretariat@example.org",
               "grants": [{"role": "secretariat"}], "token_id": "t-secretariat"}
DRAFT = {"kind": "workshop", "title": {"ja": "ワークショップ"}, "region": "kinki-kansai",
         "starts_at": "2027-06-12T10:00:00", "ends_at": "2027-06-12T17:00:00"}


FEED_CACHE_BYTES = 100_000


class FakeEvents:
    def __init__(self, services: FakeServices):
        self.services = services  # whose `asking` is the verified caller of the call being answered
        self.events: dict[str, dict] = {}
        self.feeds_built = 0

    def ping(self):
        return {"service": "events", "status": "ok", "database": "ok"}

    def create_event(self, draft):
        now = utcnow()
        view = EventView(id=str(uuid.uuid4()), status="draft", revision=0, created_at=now, updated_at=now,
                         published_at=None, **parse_contract(EventDraft, draft).model_dump())
        self.events[view.id] = view.to_wire()
        return self.events[view.id]

    def publish_event(self, event_id, _force=False):
        event = self.get_event(event_id)
        if event["status"] != "draft":
            raise Conflict("only a draft can be published", "status")
        event.update(status="published", revision=1, published_at=utcnow().isoformat())
        return event

    def get_event(self, event_id):
        organizer = self.services.asking is not None and self.services.asking.is_organizing
        if event_id not in self.events or not (organizer or self.events[event_id]["published_at"]):
            raise NotFound(f"no event {event_id}", "event_id")
        return self.events[event_id]

    def feed(self, request):
        self.feeds_built += 1
        body = f"BEGIN:VCALENDAR\r\nSOURCE:{request['source_url']}\r\nEND:VCALENDAR\r\n"
        return {"body": body, "etag": f'"{hash(body)}"', "last_modified": utcnow().isoformat()}

    def schedule(self, start, end, region=None, include_drafts=False):
        return [e for e in self.events.values() if start <= e["ends_at"] and e["starts_at"] < end
                and (include_drafts or e["status"] != "draft") and region in (None, e["region"])]

    def list_events(self, filters):
        return [e for e in self.events.values() if filters["status"] in (None, e["status"])
                and (filters["include_drafts"] or e["status"] != "draft")]


class Down:
    """A service that does not answer, or fails: each call raises what the bus client would raise."""

    def __init__(self, error: Exception):
        self.error = error

    def __getattr__(self, method):
        def call(*_args, **_kwargs):
            raise self.error
        return call


class Pinging:
    def __init__(self, name):
        self.name = name

    def ping(self):
        return {"service": self.name, "status": "ok", "database": "ok"}


class FakeMembers(Pinging):
    """Knows one personal API token: the secretariat's (TOKEN)."""

    def __init__(self):
        super().__init__("members")

    def directory(self, _query):
        return [{"id": "g-1", "member_kind": "group", "name": {"ja": "カラバオの会"}, "kind": "community_association",
                 "region": "kanto", "help_languages": ["tl"], "members_only": False}]

    def api_token_caller(self, token):
        if token != TOKEN:
            raise Unauthenticated("this API token is not valid (revoked, expired, or never made)")
        return {"token_id": SECRETARIAT["token_id"], "caller": SECRETARIAT}


class FakeServices:
    def __init__(self):
        self.asking: Caller | None = None
        self.events = FakeEvents(self)
        self.members = FakeMembers()
        self.notifications = Pinging("notifications")


class FakeBus:
    """What the routes call (services.gateway.rpc.RpcClient): the fake services, in the event loop."""

    def __init__(self, services: FakeServices, secret_key: str = ""):
        self._services = services
        self._key = purpose_key(secret_key, Purpose.BUS_CALLER)
        self.contexts: list[dict | None] = []  # what each call carried as nameko context data
        self.timeouts: list[float | None] = []

    async def call(self, service, method, args=(), kwargs=None, *, context=None, timeout=None):
        self.contexts.append(context)
        self.timeouts.append(timeout)
        # as a service does (shared/bus/requester.py): the caller is the signed claim's, verified
        claim = (context or {}).get(CALLER_CONTEXT)
        self._services.asking = None if claim is None else verify(claim, self._key, Caller)
        return getattr(getattr(self._services, service), method)(*args, **(kwargs or {}))

    def listen(self, source, event_types, handler):
        pass

    def on_state(self, listener):
        listener(True)  # as if connected and listening: the feed cache keeps what it builds

    async def start(self, wait):
        pass

    async def stop(self):
        pass


def assert_problem(response, status: int, *words: str) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    for word in words:
        assert word in body["detail"]
    return body
