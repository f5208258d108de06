"""Signing in through the gateway, with a fake members service: the same answer for any address, a
link page that signs nobody in, a session cookie that names the person and cannot be forged, renewed by
one call when its claim runs out, refused at once when revoked, and changes that need the CSRF token."""
from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from services.gateway.routers.auth import SIGN_INS_PER_MINUTE
from services.gateway.sessions import CLAIM_LIFETIME, COOKIE, SessionClaim
from services.gateway.throttle import Throttle, TooManyRequests
from shared.claims import Purpose, purpose_key, sign
from shared.contracts.base import utcnow
from shared.contracts.identity import Caller, Grant
from shared.errors import NotFound, Unauthenticated
from tests.unit.gateway_fakes import DRAFT, assert_problem

ACCOUNT = {"id": "acc-1", "email": "kansai@example.org", "created_at": "2027-01-01T00:00:00+00:00",
           "grants": [{"role": "organizer", "regions": ["kinki-kansai"]}]}


class FakeSignIn:
    def __init__(self, services):
        self.services = services  # its `asking`: who the call's claim says is asking
        self.asked: list[dict] = []
        self.used: set[str] = set()
        self.refreshed = 0
        self.revoked: set[str] = set()
        self.grants = ACCOUNT["grants"]

    def request_sign_in(self, request):
        self.asked.append(request)

    def _signed_in(self, session_id):
        return {"session_id": session_id, "account": {**ACCOUNT, "grants": self.grants},
                "expires_at": (utcnow() + timedelta(days=14)).isoformat()}

    def complete_sign_in(self, token):
        if token != "good-token" or token in self.used:
            raise NotFound("this sign-in link is unknown, used or expired; ask for a new one", "token")
        self.used.add(token)
        return self._signed_in("s-1")

    def refresh_session(self, session_id):
        self.refreshed += 1
        if session_id in self.revoked:
            raise NotFound("this session has ended; sign in again", "session_id")
        return self._signed_in(session_id)

    def list_sessions(self):
        assert self.services.asking.account_id == "acc-1"
        return [{"id": "s-1", "created_at": utcnow().isoformat(), "last_seen_at": utcnow().isoformat(),
                 "expires_at": (utcnow() + timedelta(days=14)).isoformat()}]

    def revoke_session(self, session_id):
        assert self.services.asking.account_id == "acc-1"
        self.revoked.add(session_id)

    def ping(self):
        return {"service": "members", "status": "ok"}


@pytest.fixture
def members(services):
    services.members = FakeSignIn(services)
    return services.members


def signed_in_client(client):
    assert client.post("/auth/sign-in/complete", data={"token": "good-token"}).status_code == 200
    return client


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
    assert "set-cookie" not in page.headers and members.used == set()  # not even a form token: a secret link
    assert_problem(client.get("/auth/me"), 401, "sign in")
    signed_in = client.post("/auth/sign-in/complete", data={"token": "good-token"})
    assert signed_in.status_code == 200 and "kansai@example.org" in signed_in.text
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    assert "Max-Age=1209" in cookie  # the session's fortnight, not the claim's minutes
    me = client.get("/auth/me").json()
    assert me["email"] == "kansai@example.org" and me["session_id"] == "s-1" and len(me["csrf_token"]) > 20
    assert me["grants"] == [{"role": "organizer", "regions": ["kinki-kansai"], "networks": [], "groups": [],
                             "member_id": None}]
    again = client.post("/auth/sign-in/complete", data={"token": "good-token"}, headers={"accept-language": "en"})
    assert again.status_code == 404 and "This link does not work" in again.text and "already used" in again.text


def test_a_claim_is_honoured_without_a_call_then_renewed_by_one_with_the_roles_of_now(client, members):
    signed_in_client(client)
    client.app.state.session_guard.listening_since = utcnow() - timedelta(minutes=1)  # listening all along
    for _ in range(5):
        assert client.get("/auth/me").status_code == 200
    assert members.refreshed == 0
    csrf = client.get("/auth/me").json()["csrf_token"]
    members.grants = [{"role": "secretariat"}]
    stale = SessionClaim(caller=Caller(account_id="acc-1", email=ACCOUNT["email"], grants=ACCOUNT["grants"],
                                       session_id="s-1"), csrf=csrf)
    key = purpose_key(client.app.state.settings.secret_key, Purpose.SESSION)
    [held] = [cookie for cookie in client.cookies.jar if cookie.name == COOKIE]
    client.cookies.set(COOKIE, sign(stale, key, CLAIM_LIFETIME, now=utcnow() - CLAIM_LIFETIME), domain=held.domain)
    renewed = client.get("/auth/me")
    assert renewed.json()["grants"][0]["role"] == "secretariat" and members.refreshed == 1
    assert COOKIE in renewed.headers["set-cookie"] and renewed.json()["csrf_token"] == csrf
    assert client.get("/auth/me").status_code == 200 and members.refreshed == 1  # the renewed claim holds


def test_a_revoked_session_is_refused_at_once_and_changes_need_the_csrf_token(client, members):
    signed_in_client(client)
    guard = client.app.state.session_guard
    guard.listening_since = utcnow() - timedelta(minutes=1)
    csrf = client.get("/auth/me").json()["csrf_token"]
    assert client.get("/auth/sessions").json()[0]["id"] == "s-1"
    assert_problem(client.post("/auth/sign-out"), 403, "X-CSRF-Token")
    assert_problem(client.post("/auth/sign-out", headers={"X-CSRF-Token": "guess"}), 403, "X-CSRF-Token")
    assert members.revoked == set()
    assert client.post("/auth/sign-out", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert members.revoked == {"s-1"}
    members.used.clear()  # the fake opens session s-1 again: another browser's, revoked from elsewhere
    signed_in_client(client)
    assert client.get("/auth/me").status_code == 200  # before the bus says so, its claim holds
    guard.on_revoked("session_revoked", {"session_id": "s-1", "account_id": "acc-1"})
    assert_problem(client.get("/auth/me"), 401, "ended")


def test_a_session_cookie_not_signed_by_this_gateway_is_refused(client):
    forged = SessionClaim(caller=Caller(account_id="x", email="x@example.org", grants=(Grant(role="secretariat"),),
                                        session_id="s-x"), csrf="c")
    client.cookies.set(COOKIE, sign(forged, purpose_key("someone-else's-secret-key-of-32-chars", Purpose.SESSION),
                                    timedelta(hours=1)))
    assert_problem(client.get("/auth/me"), 401, "signature")
    client.cookies.set(COOKIE, "garbage")
    assert_problem(client.get("/auth/me"), 401)


class FakeTokens(FakeSignIn):
    def __init__(self, services):
        super().__init__(services)
        self.tokens: dict[str, str] = {}  # token → id
        self.lookups = 0

    def create_api_token(self, request):
        assert self.services.asking.account_id == "acc-1"
        token, token_id = f"tsu_{len(self.tokens)}-secret", f"t-{len(self.tokens)}"
        self.tokens[token] = token_id
        return {"id": token_id, "name": request["name"], "created_at": utcnow().isoformat(), "last_used_at": None,
                "token": token}

    def api_token_caller(self, token):
        self.lookups += 1
        if token not in self.tokens:
            raise Unauthenticated("this API token is not valid (unknown or revoked)")
        return {"token_id": self.tokens[token], "caller": {"account_id": "acc-1", "email": ACCOUNT["email"],
                                                           "grants": ACCOUNT["grants"], "token_id": self.tokens[token]}}

    def revoke_api_token(self, token_id):
        self.tokens = {token: tid for token, tid in self.tokens.items() if tid != token_id}


def test_a_personal_token_is_made_in_a_session_and_speaks_for_its_person_until_revoked(client, services):
    services.members = members = FakeTokens(services)
    signed_in_client(client)
    client.app.state.session_guard.listening_since = utcnow() - timedelta(minutes=1)
    csrf = client.get("/auth/me").json()["csrf_token"]
    assert_problem(client.post("/auth/tokens", json={"name": "sync"}), 403, "X-CSRF-Token")
    issued = client.post("/auth/tokens", json={"name": "sync"}, headers={"X-CSRF-Token": csrf})
    assert issued.status_code == 201 and issued.json()["token"].startswith("tsu_")
    token = issued.json()["token"]
    script = TestClient(client.app)  # no cookie: the token alone
    for _ in range(3):
        me = script.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["email"] == ACCOUNT["email"] and me["token_id"] == "t-0" and me["csrf_token"] is None
    assert members.lookups == 1  # kept for a minute: a script's calls cost no RPC more
    assert_problem(script.post("/auth/tokens", json={"name": "x"}, headers={"Authorization": f"Bearer {token}"}),
                   401, "not signed in")  # a token does not make tokens
    client.app.state.api_tokens.on_revoked("api_token_revoked", {"token_id": "t-0", "account_id": "acc-1"})
    members.revoke_api_token("t-0")
    assert_problem(script.get("/auth/me", headers={"Authorization": f"Bearer {token}"}), 401, "not valid")
    assert_problem(script.get("/auth/me", headers={"Authorization": "Bearer tsu_forged"}), 401, "not valid")


def test_a_signed_in_organizer_acts_as_one_and_a_member_only_reads(client, members):
    signed_in_client(client)
    client.app.state.session_guard.listening_since = utcnow() - timedelta(minutes=1)
    csrf = client.get("/auth/me").json()["csrf_token"]
    assert_problem(client.post("/events", json=DRAFT), 403, "X-CSRF-Token")
    draft = client.post("/events", json=DRAFT, headers={"X-CSRF-Token": csrf})
    assert draft.status_code == 201, draft.text
    assert client.get(f"/events/{draft.json()['id']}").status_code == 200  # an organizer sees drafts

    members.grants = [{"role": "member", "member_id": "m-1"}]
    members.used.clear()
    signed_in_client(client)  # signed in again, now a member only
    csrf = client.get("/auth/me").json()["csrf_token"]
    assert_problem(client.post("/events", json=DRAFT, headers={"X-CSRF-Token": csrf}), 403, "organizer")
    assert_problem(client.get(f"/events/{draft.json()['id']}"), 404)  # a draft is not public
    assert client.get("/events").status_code == 200
    client.cookies.set(COOKIE, "no-longer-valid", domain=next(iter(client.cookies.jar)).domain)
    assert client.get("/events").status_code == 200  # a stale cookie only means the public view


class Registrations:
    def __init__(self, services):
        self.services = services
        self.cancelled: list[tuple] = []

    def cancel_registration(self, registration_id, token):
        self.cancelled.append((registration_id, token, self.services.asking))
        raise NotFound("no registration r-1", "registration_id")  # what it answers matters not here


def test_a_registrant_signed_in_as_a_member_still_cancels_with_their_manage_link(client, members, services):
    members.grants = [{"role": "member", "member_id": "m-1"}]
    signed_in_client(client)
    services.events = registrations = Registrations(services)
    answer = client.delete("/registrations/r-1", params={"token": "manage-secret"})  # no CSRF token: not needed
    # asked as nobody (a cookie without its CSRF token only means the public view): the link decides
    assert answer.status_code == 404 and registrations.cancelled == [("r-1", "manage-secret", None)]


def test_asking_for_links_too_often_from_one_address_is_429_with_when_to_come_back(client, members):
    for _ in range(SIGN_INS_PER_MINUTE):
        assert client.post("/auth/sign-in", json={"email": "a@example.org"}).status_code == 202
    refused = client.post("/auth/sign-in", json={"email": "b@example.org"})
    assert_problem(refused, 429, "too many requests")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert len(members.asked) == SIGN_INS_PER_MINUTE  # the refused one reached no service
    schema = client.get("/openapi.json").json()
    assert "429" in schema["paths"]["/auth/sign-in"]["post"]["responses"]
    assert "Retry-After" in schema["paths"]["/auth/sign-in"]["post"]["responses"]["429"]["headers"]


def test_the_sliding_minute_forgets_old_requests_and_counts_each_client_alone():
    throttle = Throttle(per_minute=2)
    throttle.check("a", now=0.0)
    throttle.check("a", now=30.0)
    throttle.check("b", now=30.0)
    with pytest.raises(TooManyRequests) as refused:
        throttle.check("a", now=45.0)
    assert refused.value.retry_after == 15
    throttle.check("a", now=60.0)  # the request at 0 has left the minute
