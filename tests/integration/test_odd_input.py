"""Odd and hostile input to the mailing-list routes, sent to the real system: always a 4xx that says
what was wrong (problem+json, or the invalid-link page a person clicking a broken link expects), never
a server error."""
from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.integration.conftest import secretariat_headers
from tests.integration.stack_calls import rpc_call

LIST = f"odd-{uuid.uuid4().hex[:6]}"  # a list of its own, with nobody on it

ODD_REQUESTS = [
    ("GET", "/lists/unsubscribe/1/%C3%A9", None),
    ("POST", "/lists/unsubscribe/1/%C3%A9", None),
    ("GET", "/lists/unsubscribe/99999999999999999999999/x", None),
    ("POST", "/lists/unsubscribe/99999999999999999999999/x", None),
    ("GET", "/lists/unsubscribe/9223372036854775808/x", None),
    ("POST", "/lists/unsubscribe/-1/x", None),
    ("GET", "/lists/unsubscribe/1/" + "a" * 5000, None),
    ("GET", "/lists/unsubscribe/1/%00%FF", None),
    ("POST", "/subscriptions/confirm", "token=%ED%A0%80"),
    ("POST", "/subscriptions/confirm", "token=%00"),
    ("POST", "/lists/{LIST}/subscriptions", {"email": "odd@example.org", "name": "\ud800"}),
    ("POST", "/lists/{LIST}/subscriptions", {"email": "odd@example.org", "name": "a\u0000b"}),
    ("POST", "/lists/{LIST}/subscriptions", {"email": "odd@example.org", "name": "x" * 100_000}),
    ("POST", "/lists/{LIST}/subscriptions", {"email": "odd@example.org", "language": "x" * 5000}),
    ("POST", "/lists/" + "s" * 5000 + "/subscriptions", {"email": "odd@example.org"}),
    ("POST", "/lists/%E2%80%AE%00/subscriptions", {"email": "odd@example.org"}),
    ("GET", "/lists/%00/subscribers", None),
    ("GET", "/announcements/" + "9" * 5000, None),
    ("GET", "/announcements/%00", None),
    ("POST", "/lists", {"slug": f"odd-{uuid.uuid4().hex[:6]}", "name": {"ja": "\ud800"}}),
    ("POST", "/lists", {"slug": f"odd-{uuid.uuid4().hex[:6]}", "name": {"ja": "x" * 100_000}}),
    ("POST", "/lists", {"slug": f"odd-{uuid.uuid4().hex[:6]}", "name": {f"ja-x-n{n}": "x" for n in range(5000)}}),
    ("POST", "/lists/{LIST}/announcements", {"subject": {"en": "one\nBcc: x@example.org"}, "body": {"en": "…"}}),
    ("POST", "/lists/{LIST}/announcements", {"subject": {"en": "ok"}, "body": {"en": "\ud800"}}),
]


@pytest.fixture(scope="module")
def empty_list(stack) -> str:
    rpc_call(stack, "notifications", "create_list", {"slug": LIST, "name": {"en": "Odd input"}})
    return LIST


@pytest.mark.parametrize("method, path, body", ODD_REQUESTS, ids=[f"{m} {p[:60]}" for m, p, _ in ODD_REQUESTS])
def test_odd_input_to_the_list_routes_is_a_client_error_never_a_server_error(stack, empty_list, method, path, body):
    client = httpx.Client(base_url=stack.settings.gateway_url, timeout=30,
                          headers=secretariat_headers(stack.settings))
    if isinstance(body, str):  # a form, as the confirmation page posts it
        content, media_type = body.encode(), "application/x-www-form-urlencoded"
    else:  # JSON as a client may send it: lone surrogates escaped, as JSON allows
        content, media_type = (None, None) if body is None else (json.dumps(body).encode(), "application/json")
    response = client.request(method, path.format(LIST=empty_list), content=content,
                              headers={"content-type": media_type} if media_type else {})
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    media_type = response.headers["content-type"]
    assert media_type == "application/problem+json" or (response.status_code == 404 and "text/html" in media_type)
