"""Signing in through the gateway, with a fake members service: the same answer for any address, a
link page that signs nobody in, a session cookie that names the person and cannot be forged."""
from __future__ import annotations

from datetime import timedelta

import pytest

from shared.claims import Purpose, purpose_key, sign
from shared.contracts.base import utcnow
from shared.contracts.identity import Caller, Grant
from shared.errors import NotFound
from tests.unit.gateway_fakes import assert_problem

ACCOUNT = {"id": "acc-1", "email": "kansai@example.org", "created_at": "2027-01-01T00:00:00+00:00",
           "grants": [{"role": "organizer", "regions": ["kinki-kansai"]}]}


class FakeSignIn:
    def __init__(self):
        self.asked: list[dict] = []
        self.used: set[str] = set()

    def request_sign_in(self, request):
        self.asked.append(request)

    def complete_sign_in(self, token):
        if token != "good-token" or token in self.used:
            raise NotFound("this sign-in link is unknown, used or expired; ask for a new one", "token")
        self.used.add(token)
        return {"session_id": "s-1", "account": ACCOUNT, "expires_at": (utcnow() + timedelta(days=14)).isoformat()}

    def ping(self):
        return {"service": "members", "status": "ok"}


@pytest.fixture
def members(services):
    services.members = FakeSignIn()
    return services.members


def test_asking_for_a_link_is_answered_alike_for_any_address(client, members):
    known = client.post("/auth/sign-in", json={"email": "kansai@example.org", "language": "vi"})
    unknown = client.post("/auth/sign-in", json={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    assert members.asked == [{"email": "kansai@example.org", "language": "vi"},
                             {"email": "nobody@example.org", "language": "ja"}]
    assert_problem(client.post("/auth/sign-in", json={"email": "not an address"}), 422, "email")


def test_the_link_page_signs_nobody_in_and_its_button_opens_a_session_once(client, members):
    page = client.get("/auth/sign-in", params={"token": "good-token"})
    assert page.status_code == 200 and 'name="token" value="good-token"' in page.text
    assert "set-cookie" not in page.headers and members.used == set()
    assert_problem(client.get("/auth/me"), 401, "not signed in")
    signed_in = client.post("/auth/sign-in/complete", data={"token": "good-token"})
    assert signed_in.status_code == 200 and "kansai@example.org" in signed_in.text
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    me = client.get("/auth/me").json()
    assert me["email"] == "kansai@example.org" and me["session_id"] == "s-1"
    assert me["grants"] == [{"role": "organizer", "regions": ["kinki-kansai"], "networks": [], "groups": [],
                             "member_id": None}]
    again = client.post("/auth/sign-in/complete", data={"token": "good-token"})
    assert again.status_code == 404 and "used or expired" in again.text
    assert client.post("/auth/sign-out").status_code == 204
    assert_problem(client.get("/auth/me"), 401, "not signed in")


def test_a_session_cookie_not_signed_by_this_gateway_is_refused(client):
    forged = sign(Caller(account_id="x", email="x@example.org", grants=(Grant(role="secretariat"),)),
                  purpose_key("someone-else's-secret-key-of-32-chars", Purpose.SESSION), timedelta(hours=1))
    client.cookies.set("tsunagu_session", forged)
    body = assert_problem(client.get("/auth/me"), 401, "signature")
    assert body["status"] == 401
    client.cookies.set("tsunagu_session", "garbage")
    assert_problem(client.get("/auth/me"), 401)
