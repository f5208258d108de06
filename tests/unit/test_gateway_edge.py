"""The gateway's edge, whatever the route: body limits, security headers, self-hosted API docs, the
OpenAPI document's errors, and what /health tells whom. Fake services behind a fake bus (no broker)."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from services.gateway.body_limit import ROUTE_BODY_LIMITS
from services.gateway.bus import UnknownService
from services.gateway.problems import Problem
from shared.errors import NotFound
from shared.settings import Settings
from tests.unit import gateway_fakes
from tests.unit.gateway_fakes import ORGANIZER, Down, assert_problem

LIMIT = Settings(environment="test").max_body_bytes
IMPORT_LIMIT = ROUTE_BODY_LIMITS[("POST", "/members/import")]


class FakeMembers(gateway_fakes.FakeMembers):
    def __init__(self):
        super().__init__()
        self.imported: list[str] = []

    def ping(self):
        return {"service": "members", "status": "ok", "database": "ok", "instance": "host-a:4242"}

    def start_import(self, body, dry_run):
        self.imported.append(body)
        return {"id": "job-1", "status": "queued", "dry_run": dry_run, "rows": 1, "rows_done": 0,
                "created_at": "2026-11-23T00:00:00+00:00"}


def big_subscription(size: int) -> bytes:
    return json.dumps({"email": "a@example.org", "name": "x" * size}).encode()


# --- item: request bodies are limited --------------------------------------------------------------

def test_a_body_announced_larger_than_the_limit_is_refused_with_a_problem(client):
    response = client.post("/lists/general/subscriptions", content=big_subscription(LIMIT),
                           headers={"content-type": "application/json"})
    body = assert_problem(response, 413, "larger than 1 MB")
    assert body["limit_bytes"] == LIMIT


def test_a_chunked_body_is_cut_off_at_the_limit(client):
    sent = []

    def chunks():  # no Content-Length: the gateway must count while it reads
        for _ in range(64):
            sent.append(1)
            yield b"x" * (64 * 1024)

    response = client.post("/lists/general/subscriptions", content=chunks(),
                           headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "larger than 1 MB")


def test_a_body_under_the_limit_reaches_the_route(client):
    response = client.post("/events", headers=ORGANIZER, json={"title": {"ja": "x" * (LIMIT // 2)}})
    assert_problem(response, 422)  # the route read it and named what is missing


def test_the_member_import_keeps_its_own_larger_limit(client, services, caplog):
    services.members = FakeMembers()
    csv = b"name_ja\n" + b"a" * (3 * LIMIT)
    assert client.post("/members/import", headers=ORGANIZER, content=csv).status_code == 202
    assert len(services.members.imported) == 1

    def chunks():  # counted while it is read, chunk after chunk, until the limit stops it
        for _ in range(IMPORT_LIMIT // (1024 * 1024) + 2):
            yield b"a" * (1024 * 1024)

    assert_problem(client.post("/members/import", headers=ORGANIZER, content=chunks()), 413, "20 MB")
    assert_problem(client.post("/members/import", headers=ORGANIZER, content=b"a" * (IMPORT_LIMIT + 1)), 413, "20 MB")
    assert len(services.members.imported) == 1
    assert "unexpected error" not in caplog.text  # a refused body is an answer, not a fault


def test_a_body_that_is_not_even_text_is_refused_like_any_body_that_is_not_json(client):
    for body in (b'{"title": "\xff"}', b"\xff\xfe\x00{", b"{not json"):
        response = client.post("/events", headers={**ORGANIZER, "content-type": "application/json"}, content=body)
        problem = assert_problem(response, 422, "body")
        assert problem["errors"][0]["field"] == "body"


# --- item: security headers and self-hosted docs ---------------------------------------------------

class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.loaded: list[str] = []  # what the browser fetches to show the page (not what a link leads to)
        self.inline: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [attrs[name] for name in ("src", "href") if attrs.get(name)]
        if attrs.get("src") or (tag == "link" and attrs.get("href")):
            self.loaded.append(attrs.get("src") or attrs["href"])
        if tag == "style" or (tag == "script" and not attrs.get("src")) or "style" in attrs:
            self.inline.append(tag)


def assert_secure_headers(response):
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "http" not in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_every_answer_carries_the_security_headers(client, services):
    answers = [client.get("/"), client.get("/events"), client.get("/nowhere"), client.get("/docs"),
               client.get("/openapi.json"), client.get("/static/site.css"),
               client.post("/lists/general/subscriptions", content=big_subscription(LIMIT))]
    services.events = Down(RuntimeError("a bug"))
    app = client.app
    with TestClient(app, raise_server_exceptions=False) as bare:
        answers.append(bare.get("/events"))  # FastAPI's last-resort 500
    assert [a.status_code for a in answers] == [200, 200, 404, 200, 200, 200, 413, 500]
    for answer in answers:
        assert_secure_headers(answer)


def test_the_api_docs_name_no_other_host_and_every_asset_is_served_here(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert re.findall(r"https?://", page.text) == []
    assets = Assets()
    assets.feed(page.text)
    assert assets.inline == []  # nothing the Content-Security-Policy would block
    assert len(assets.urls) == 3
    for url in assets.urls:
        assert url.startswith("/") and not url.startswith("//")
        assert client.get(url).status_code == 200, url
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/redoc").status_code == 404  # FastAPI's CDN page is gone


class UnknownLinks:
    def unsubscribe_preview(self, _subscription_id, _signature):
        raise NotFound("this link is not valid (any more)", "signature")


@pytest.mark.parametrize(("path", "stylesheet"), [("/subscriptions/confirm?token=abc", "/static/site.css"),
                                                  ("/lists/unsubscribe/1/bad-signature", "/static/site.css"),
                                                  ("/auth/sign-in?token=abc", "/static/site.css")])
def test_the_pages_for_people_use_no_inline_style_or_script(client, services, path, stylesheet):
    services.notifications = UnknownLinks()
    page = client.get(path)
    assert page.headers["content-type"].startswith("text/html")
    assets = Assets()
    assets.feed(page.text)
    assert assets.inline == [] and assets.loaded == [stylesheet]
    assert all(url.startswith(("/", "#")) for url in assets.urls)  # every link stays on this site
    assert client.get(stylesheet).status_code == 200


# --- item: the OpenAPI document describes the errors really sent -----------------------------------

def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def test_every_operation_documents_its_errors_as_problem_json(client):
    schema = client.get("/openapi.json").json()
    assert schema["components"]["schemas"]["Problem"]["properties"].keys() >= {
        "type", "title", "status", "detail", "instance", "errors", "service"}
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    documented = {}
    for method, path, operation in operations(schema):
        errors = {int(status) for status in operation["responses"] if int(status) >= 400}
        documented[(method, path)] = errors
        for status in errors:
            content = operation["responses"][str(status)]["content"]
            if "text/html" not in content:
                assert content == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert documented[("POST", "/events")] == {401, 403, 413, 422, 500, 503}
    assert documented[("POST", "/events/{event_id}/publish")] == {401, 403, 404, 409, 413, 422, 500, 503}
    # public routes where a signed-in caller may see more: a token that is not valid, a scope not theirs
    assert documented[("GET", "/events/{event_id}")] == {401, 403, 404, 422, 500, 503}
    assert documented[("POST", "/events/{event_id}/registrations")] == {401, 403, 404, 409, 413, 422, 429, 500, 503}
    assert documented[("GET", "/feeds")] == {500}
    assert documented[("GET", "/health")] == {401, 403, 500, 503}
    assert "Retry-After" in schema["paths"]["/events"]["get"]["responses"]["503"]["headers"]


def test_operation_ids_are_unique_get_and_head_included(client):
    ids = [operation["operationId"] for _, _, operation in operations(client.get("/openapi.json").json())]
    assert len(ids) == len(set(ids))
    assert {"event_feed_events__event_id__ics_get", "event_feed_events__event_id__ics_head"} <= set(ids)


def test_the_errors_sent_match_the_documented_problem_schema(client):
    for response in (client.post("/events", headers=ORGANIZER, json={"kind": "nope"}),
                     client.post("/events", json={}), client.get("/events/unknown"),
                     client.post("/lists/general/subscriptions", content=big_subscription(LIMIT))):
        assert response.headers["content-type"] == "application/problem+json"
        Problem.model_validate(response.json())


# --- item: public /health says up or down, organizers see details ---------------------------------

def test_public_health_shows_only_up_or_down(client, services):
    services.members = FakeMembers()
    public = client.get("/health").json()
    assert public["services"] == {"events": {"status": "ok"}, "members": {"status": "ok"},
                                  "notifications": {"status": "ok"}}
    assert "host-a" not in json.dumps(public)
    detailed = client.get("/health", headers=ORGANIZER).json()
    assert detailed["services"]["members"]["instance"] == "host-a:4242"
    assert_problem(client.get("/health", headers={"Authorization": "Bearer wrong"}), 401)


def test_public_health_names_the_service_that_is_down_without_the_reason(client, services):
    services.notifications = Down(UnknownService())
    public = assert_problem(client.get("/health"), 503, "notifications")
    assert public["services"]["notifications"] == {"status": "unavailable"}
    assert "not running" not in json.dumps(public)
    detailed = assert_problem(client.get("/health", headers=ORGANIZER), 503, "not running")
    assert detailed["services"]["notifications"]["reason"] == "it is not running"


class Registering:
    def __init__(self):
        self.registered = 0

    def register(self, event_id, _request):
        self.registered += 1
        return {"id": f"r-{self.registered}", "event_id": event_id, "status": "confirmed", "places": 1,
                "manage_token": "secret"}


def test_registrations_from_one_address_are_throttled_as_the_setting_says(bus, services):
    services.events = events = Registering()
    person = {"display_name": "Ana", "email": "ana@example.org"}
    for per_minute, allowed in ((3, 3), (0, 10)):  # 0: no limit
        app = create_app(Settings(environment="test", registrations_per_minute=per_minute), bus=bus)
        with TestClient(app) as client:
            answers = [client.post("/events/e-1/registrations", json=person) for _ in range(allowed + 1)]
        assert [a.status_code for a in answers[:allowed]] == [201] * allowed
        if per_minute:
            refused = assert_problem(answers[-1], 429, "too many requests")
            assert refused and 1 <= int(answers[-1].headers["retry-after"]) <= 60
    assert events.registered == 3 + 11  # the refused one reached no service


def test_the_document_says_which_credentials_each_operation_takes(client):
    schema = client.get("/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) == {"personalToken", "session"}
    assert schema["components"]["securitySchemes"]["session"]["name"] == "tsunagu_session"
    paths = schema["paths"]
    assert {"personalToken": []} in paths["/events"]["post"]["security"] and {} not in paths["/events"]["post"]["security"]
    assert {} in paths["/events/{event_id}"]["get"]["security"]  # anyone; signed in, organizers see drafts
    assert "security" not in paths["/feeds"]["get"]  # public: credentials are not even read
