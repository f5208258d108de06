"""Who may do what, on the real stack: every route of the OpenAPI document asked by each role (signed
in through a real sign-in link, as a browser is) in scope and out of scope, and by nobody; the answer
must be what services/gateway/access.py says. Then the attacks the table exists for, and a plain AMQP
client with the broker's password trying to act as an organizer. All of it on SQLite and again on
PostgreSQL, where the scope rules run as other SQL."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import psycopg2
import pytest
from sqlalchemy.engine import make_url

from services.gateway.access import GROUP_CONTACTS, MEMBER, OWN_ENTRY, OWN_FEED, REGISTRATION, RULES, Who, rule_for
from shared.bus.requester import CALLER_CONTEXT
from shared.claims import Purpose, purpose_key, sign
from shared.contracts.identity import Caller, Grant, Role
from shared.errors import Forbidden, Unauthenticated
from shared.rpc import RpcPool
from tests.conftest import ROOT, fresh_database
from tests.integration.conftest import Gateway, stack_settings
from tests.integration.patience import PATIENCE
from tsunagu.stack import Stack, settings_env

KANSAI, TOKAI = "kinki-kansai", "chubu-tokai"
ROLES = ("nobody", "member", "contact", "tokai", "kansai", "secretariat")  # the refused come first
# Routes an out-of-scope organizer may still call: they answer counts, or only what is in the caller's scope.
FILTERED_SCOPES = {"counts only", "names and counts only", f"members of {MEMBER}"}
# Routes that change what later rows ask about: walked last, in this order.
LAST = [("POST", "/events/{event_id}/postpone"), ("POST", "/events/{event_id}/complete"),
        ("POST", "/events/{event_id}/cancel"), ("DELETE", "/registrations/{registration_id}/calendar-feed"),
        ("DELETE", "/registrations/{registration_id}"), ("POST", "/members/{member_id}/erase"),
        ("POST", "/auth/sign-out")]


@dataclass
class World:
    clients: dict[str, httpx.Client]
    event_id: str
    delegation_id: str  # of the group whose contact is "contact"
    other_delegation_id: str  # of another group
    group_id: str
    other_group_id: str
    erasable_id: str
    slug: str
    member_id: str  # the individual member whose account is "member"
    member_email: str


def _operator(settings):
    return RpcPool.for_operator(settings)


def _signed_in(settings, email: str) -> httpx.Client:
    """A browser signed in through a sign-in link, with its CSRF token on every request."""
    pool = _operator(settings)
    try:
        with pool.services() as rpc:
            link = rpc.members.issue_sign_in_link(email, "en")
    finally:
        pool.close()
    browser = httpx.Client(base_url=settings.gateway_url, timeout=30)
    assert browser.post("/auth/sign-in/complete", data={"token": link}).status_code == 200
    browser.headers["X-CSRF-Token"] = browser.get("/auth/me").json()["csrf_token"]
    return browser


def _kansai_event(suffix: str) -> dict:
    return {"kind": "workshop", "title": {"ja": f"関西ワークショップ {suffix}"}, "region": KANSAI,
            "starts_at": "2031-09-01T10:00", "ends_at": "2031-09-01T17:00", "capacity": 30, "group_quota": 5}


def _delegation(admin: httpx.Client, event_id: str, name: str) -> tuple[str, str]:
    """A Kansai member group, and its delegation to the event: (group id, registration id)."""
    group = admin.post("/members/groups", json={"name": {"ja": name}, "kind": "npo", "region": KANSAI}).json()
    admin.post(f"/members/{group['id']}/memberships", json={"starts_on": "2020-04-01", "ends_on": "2099-03-31"})
    delegation = {"kind": "delegation", "member_group_id": group["id"], "display_name": name,
                  "email": f"office-{uuid.uuid4().hex[:8]}@example.org", "places": 2}
    deadline = time.monotonic() + PATIENCE  # the events service learns of the new member over the bus
    while (answer := admin.post(f"/events/{event_id}/registrations", json=delegation)).status_code == 422:
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.3)
    assert answer.status_code == 201, answer.text
    return group["id"], answer.json()["id"]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def system(request, tmp_path_factory) -> Iterator[Stack]:
    """The session's stack (SQLite), then one on a PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield request.getfixturevalue("stack")
        return
    url = fresh_database(request.getfixturevalue("postgres_url"), "tsunagu_authorization")
    with Stack(stack_settings(tmp_path_factory.mktemp("pg-authorization"), database_url=url)) as running:
        yield running


def _tamper_with_the_events_audit_trail(settings) -> None:
    """What someone with the database itself could do: change an entry in place."""
    change = "UPDATE audit_trail SET people = 0 WHERE id = 1"
    if not settings.database_url:
        with sqlite3.connect(settings.var_dir / "events.db") as database:
            database.execute(change)
        return
    url = make_url(settings.database_url)
    with psycopg2.connect(host=url.host, port=url.port, user=url.username, dbname=url.database) as database, \
            database.cursor() as cursor:
        cursor.execute("SET search_path TO events")  # the events service's schema
        cursor.execute(change)


@pytest.fixture(scope="module")
def world(system) -> World:
    settings, suffix = system.settings, uuid.uuid4().hex[:8]
    admin = Gateway(settings).http
    erasable = admin.post("/members/individuals", json={"display_name": "消す人", "region": KANSAI,
                                                         "email": f"erase-{suffix}@example.org"}).json()
    member = admin.post("/members/individuals", json={"display_name": "会員", "region": KANSAI,
                                                       "email": f"member-{suffix}@example.org"}).json()
    slug = f"kansai-{suffix}"
    assert admin.post("/lists", json={"slug": slug, "name": {"ja": "関西"}, "region": KANSAI}).status_code == 201
    event = admin.post("/events", json=_kansai_event(suffix)).json()
    assert admin.post(f"/events/{event['id']}/publish", params={"force": "true"}).status_code == 200
    group_id, delegation_id = _delegation(admin, event["id"], f"関西の会 {suffix}")
    other_group_id, other_delegation_id = _delegation(admin, event["id"], f"別の会 {suffix}")
    grants = {"member": {"role": "member", "member_id": member["id"]},
              "contact": {"role": "group_contact", "groups": [group_id]},
              "tokai": {"role": "organizer", "regions": [TOKAI]},
              "kansai": {"role": "organizer", "regions": [KANSAI]},
              "secretariat": {"role": "secretariat"}}
    pool = _operator(settings)
    try:
        with pool.services() as rpc:
            for role, grant in grants.items():
                rpc.members.add_account({"email": f"{role}-{suffix}@example.org", "grants": [grant]})
    finally:
        pool.close()
    clients = {role: _signed_in(settings, f"{role}-{suffix}@example.org") for role in grants}
    clients["nobody"] = httpx.Client(base_url=settings.gateway_url, timeout=30)
    return World(clients, event["id"], delegation_id, other_delegation_id, group_id, other_group_id, erasable["id"],
                 slug, member["id"], f"member-{suffix}@example.org")


def _request(world: World, method: str, path: str) -> dict:
    """What is sent on a route: its path filled with the world's things, and a body that holds."""
    suffix = uuid.uuid4().hex[:8]
    values = {"event_id": world.event_id, "registration_id": world.delegation_id, "slug": world.slug,
              "member_id": world.erasable_id if path.endswith("/erase") else world.group_id, "group_id": world.group_id,
              "job_id": str(uuid.uuid4()), "announcement_id": str(uuid.uuid4()), "token_id": str(uuid.uuid4()),
              "session_id": str(uuid.uuid4()), "subscription_id": "1", "signature": "x", "feed_token": "x",
              "name": "all"}
    bodies = {
        ("POST", "/events"): _kansai_event(suffix),
        ("POST", "/events/migrants-day"): {"year": 2031, "title": {"ja": "国際移住者デー"}, "local_events": [
            {"region": KANSAI, "city": "大阪", "starts_at": "2031-12-18T12:00", "ends_at": "2031-12-18T14:00"}]},
        ("PATCH", "/events/{event_id}"): {"capacity": 31},
        ("POST", "/events/{event_id}/registrations"): {"display_name": "参加者", "email": f"p-{suffix}@example.org"},
        ("PUT", "/registrations/{registration_id}/attendees"): {"attendees": [{"name": "Rosa"}]},
        ("POST", "/members/groups"): {"name": {"ja": f"会 {suffix}"}, "kind": "npo", "region": KANSAI},
        ("POST", "/members/individuals"): {"display_name": "人", "region": KANSAI, "email": f"i-{suffix}@example.org"},
        ("PATCH", "/members/{member_id}"): {"city": "大阪市"},
        ("POST", "/members/{member_id}/memberships"): {"starts_on": "2031-04-01", "ends_on": "2032-03-31"},
        ("POST", "/lists"): {"slug": f"k-{suffix}", "name": {"ja": "関西"}, "region": KANSAI},
        ("POST", "/lists/{slug}/announcements"): {"subject": {"en": "Hello"}, "body": {"en": "To Kansai."}},
        ("POST", "/lists/{slug}/subscriptions"): {"email": f"s-{suffix}@example.org"},
        ("POST", "/auth/sign-in"): {"email": f"nobody-{suffix}@example.org"},
        ("POST", "/auth/tokens"): {"name": "matrix"},
    }
    csv = {("POST", "/members/import"): b"name_ja,kind,region\n", ("POST", "/lists/{slug}/subscribers/import"):
           b"email,language,consent_basis,consent_date\n"}
    request: dict = {"method": method, "url": path.format(**values)}
    if (method, path) in bodies:
        request["json"] = bodies[(method, path)]
    elif (method, path) in csv:
        request.update(content=csv[(method, path)], headers={"content-type": "text/csv"})
    if path == "/members/renewals":
        request["params"] = {"due_before": "2040-01-01"}
    return request


def _expected_refusal(method: str, path: str, role: str) -> int | None:
    """401 or 403 if the table refuses `role` here, else None."""
    rule = rule_for(method, path)
    if rule.who is Who.PUBLIC:
        return None
    if role == "nobody":
        return 401 if rule.who is not Who.ANYONE else None
    if rule.who is Who.SECRETARIAT:
        return None if role == "secretariat" else 403
    if rule.who is Who.ORGANIZER:
        if role in ("member", "contact"):
            return 403
        out_of_scope = role == "tokai" and rule.scope not in FILTERED_SCOPES
        return 403 if out_of_scope else None
    if rule.who is Who.SIGNED_IN and rule.scope == GROUP_CONTACTS:  # the group asked about is the contact's
        return None if role in ("contact", "secretariat") else 403
    if rule.who is Who.SIGNED_IN and OWN_ENTRY in rule.scope:  # the member asked about is the contact's group
        return None if role in ("contact", "kansai", "secretariat") else 403
    if rule.who is Who.ANYONE and rule.scope == OWN_FEED:
        return 403  # nobody here is the delegation's address (nobody without its link gets a 404)
    if rule.who is Who.ANYONE and rule.scope == REGISTRATION:
        return 403 if role in ("member", "tokai") else None  # the contact's group is the delegation's
    return None


def test_scope_attacks_fail(world):
    tokai, kansai, contact = world.clients["tokai"], world.clients["kansai"], world.clients["contact"]
    # an organizer of another region sees neither the registrations nor a draft of Kansai
    refused = tokai.get(f"/events/{world.event_id}/registrations")
    assert refused.status_code == 403 and "region kinki-kansai" in refused.json()["detail"]
    assert kansai.get(f"/events/{world.event_id}/registrations").status_code == 200
    draft = kansai.post("/events", json=_kansai_event("draft")).json()
    assert tokai.get(f"/events/{draft['id']}").status_code == 404
    assert kansai.get(f"/events/{draft['id']}").status_code == 200
    # … nor moves a Kansai event into a region of their own, nor a Kansai organizer out of theirs
    assert tokai.patch(f"/events/{draft['id']}", json={"region": TOKAI}).status_code == 403
    moved = kansai.patch(f"/events/{draft['id']}", json={"region": TOKAI})
    assert moved.status_code == 403 and kansai.get(f"/events/{draft['id']}").json()["region"] == KANSAI
    # the directory in full: only members of one's own scope
    in_full = {entry["id"] for entry in tokai.get("/directory", params={"limit": 1000}).json()
               if "memberships" in entry}
    assert world.group_id not in in_full
    # a group's contact sees and names their delegation, and not another group's
    assert contact.get(f"/registrations/{world.delegation_id}").status_code == 200
    assert contact.get(f"/registrations/{world.other_delegation_id}").status_code == 403
    renamed = contact.put(f"/registrations/{world.other_delegation_id}/attendees", json={"attendees": [{"name": "X"}]})
    assert renamed.status_code == 403 and "not a contact of the member group" in renamed.json()["detail"]
    # … and keeps its own group's directory entry, not another's
    own = contact.patch(f"/members/{world.group_id}", json={"website": "https://kansai.example.org"})
    assert own.status_code == 200 and own.json()["website"] == "https://kansai.example.org"
    assert contact.patch(f"/members/{world.other_group_id}", json={"website": "https://x.example"}).status_code == 403
    assert contact.get(f"/members/{world.other_group_id}").status_code == 403
    # … and the calendar feed of its own group's delegations, not another's
    assert contact.post(f"/members/{world.group_id}/calendar-feed").status_code == 201
    assert contact.post(f"/members/{world.other_group_id}/calendar-feed").status_code == 403


def test_a_member_sees_and_keeps_what_is_their_own_and_nothing_of_anyone_else(system, world):
    member, contact = world.clients["member"], world.clients["contact"]
    # their directory entry, and what it shows
    own = member.patch(f"/members/{world.member_id}", json={"directory_opt_in": True, "public_fields": ["display_name"]})
    assert own.status_code == 200 and own.json()["directory_opt_in"] is True
    assert member.get(f"/members/{world.member_id}").status_code == 200
    assert member.get(f"/members/{world.erasable_id}").status_code == 403  # another individual's
    assert contact.get(f"/members/{world.member_id}").status_code == 403
    # their registrations: one made signed in with their own address holds its place at once
    made = member.post(f"/events/{world.event_id}/registrations",
                       json={"display_name": "会員", "email": world.member_email})
    assert made.status_code == 201 and made.json()["status"] == "confirmed", made.text
    assert [r["id"] for r in member.get("/me/registrations").json()] == [made.json()["id"]]
    assert made.json()["id"] not in {r["id"] for r in contact.get("/me/registrations").json()}
    # their subscriptions, and leaving one; nobody else can take them off
    pool = _operator(system.settings)
    try:
        with pool.services() as rpc:
            rpc.notifications.add_confirmed_subscribers(world.slug, [{"email": world.member_email, "language": "vi"}])
    finally:
        pool.close()
    (subscription,) = member.get("/me/subscriptions").json()
    assert (subscription["list"], subscription["status"], subscription["language"]) == (world.slug, "confirmed", "vi")
    assert contact.delete(f"/me/subscriptions/{subscription['subscription_id']}").status_code == 404
    left = member.delete(f"/me/subscriptions/{subscription['subscription_id']}")
    assert left.status_code == 200 and left.json()["status"] == "unsubscribed"
    assert world.clients["nobody"].get("/me/subscriptions").status_code == 401


def test_groups_shown_to_members_only_are_seen_by_the_network_s_members_only(system, world):
    name = f"会員向けの会 {uuid.uuid4().hex[:8]}"
    created = Gateway(system.settings).http.post("/members/groups", json={
        "name": {"ja": name}, "kind": "npo", "region": KANSAI, "visibility": "members"})
    assert created.status_code == 201, created.text

    def seen_by(role: str) -> dict[str, dict]:
        answer = world.clients[role].get("/directory", params={"q": name})
        assert answer.status_code == 200, answer.text
        return {entry["id"]: entry for entry in answer.json()}

    assert seen_by("nobody") == {}
    for role in ("member", "contact"):
        entry = seen_by(role)[created.json()["id"]]
        assert entry["members_only"] is True and entry["name"] == {"ja": name} and "contact_email" not in entry
    assert "memberships" in seen_by("kansai")[created.json()["id"]]  # an organizer in scope: the record


def test_a_member_group_is_booked_only_by_its_contacts_or_the_event_s_organizers(world):
    """Group ids are public in /directory: naming one proves nothing."""
    path = f"/events/{world.event_id}/registrations"
    booking = {"kind": "delegation", "member_group_id": world.group_id, "display_name": "誰か",
               "email": "someone@example.org", "places": 1}
    assert world.clients["nobody"].post(path, json=booking).status_code == 401
    refused = world.clients["member"].post(path, json=booking)
    assert refused.status_code == 403 and "not a contact of the member group" in refused.json()["detail"]
    assert world.clients["tokai"].post(path, json=booking).status_code == 403
    booked = world.clients["contact"].post(path, json=booking)
    assert booked.status_code == 201, booked.text
    # its manage link alone neither renames nor cancels it
    link = {"token": booked.json()["manage_token"]}
    assert world.clients["nobody"].delete(f"/registrations/{booked.json()['id']}", params=link).status_code == 401
    assert world.clients["contact"].delete(f"/registrations/{booked.json()['id']}").status_code == 200


def test_a_plain_amqp_client_with_the_broker_password_cannot_act_as_an_organizer(system):
    settings = system.settings
    forged = sign(Caller(account_id="x", email="x@example.org", grants=(Grant(role=Role.SECRETARIAT),)),
                  purpose_key("a key guessed wrong", Purpose.BUS_CALLER), timedelta(minutes=1))
    attempts = [("events", "create_event", (_kansai_event("forged"),)),
                ("members", "create_group", ({"name": {"ja": "偽"}, "kind": "npo", "region": KANSAI},)),
                ("members", "list_accounts", ()),
                ("members", "export_csv", ()),
                ("notifications", "list_subscribers", ("general",)),
                ("notifications", "post_announcement", ("general", {"subject": {"en": "x"}, "body": {"en": "y"}}))]
    for claim in (None, forged):
        pool = RpcPool(settings.amqp_uri, 1, timeout=20, claim=(lambda c=claim: {CALLER_CONTEXT: c}) if claim else None)
        try:
            for service, method, args in attempts:
                with pytest.raises(Unauthenticated), pool.services() as rpc:
                    getattr(getattr(rpc, service), method)(*args)
        finally:
            pool.close()
    member_claim = {CALLER_CONTEXT: sign(Caller(account_id="m", email="m@example.org",
                                                grants=(Grant(role=Role.MEMBER, member_id="m-1"),)),
                                         purpose_key(settings.secret_key, Purpose.BUS_CALLER), timedelta(minutes=1))}
    pool = RpcPool(settings.amqp_uri, 1, timeout=20, claim=lambda: member_claim)
    try:
        with pytest.raises(Forbidden), pool.services() as rpc:
            rpc.members.export_csv()  # a genuine claim, of a role that may not
    finally:
        pool.close()


def test_reads_of_personal_data_are_in_the_audit_trail_and_tampering_is_found(system, world):
    kansai = world.clients["kansai"]
    reads = {"registrations.list": f"/events/{world.event_id}/registrations",
             "registrations.csv": f"/events/{world.event_id}/registrations.csv",
             "needs.read": f"/events/{world.event_id}/needs", "member.read": f"/members/{world.group_id}",
             "directory.organizer_view": "/directory", "members.export": "/members/export.csv",
             "subscribers.list": f"/lists/{world.slug}/subscribers",
             "registration.read": f"/registrations/{world.delegation_id}"}
    for path in reads.values():
        assert kansai.get(path).status_code == 200, path
    account_id = kansai.get("/auth/me").json()["account_id"]
    trail = world.clients["secretariat"].get("/audit", params={"account_id": account_id, "limit": 1000})
    assert trail.status_code == 200, trail.text
    entries = trail.json()
    assert set(reads) <= {entry["action"] for entry in entries}
    assert {(entry["client"], tuple(entry["roles"])) for entry in entries} == {("127.0.0.1", ("organizer",))}
    csv = next(entry for entry in entries if entry["action"] == "registrations.csv")
    assert csv["resource"] == f"event/{world.event_id}" and csv["people"] >= 2  # the two delegations
    assert world.clients["kansai"].get("/audit").status_code == 403

    def verify():
        return subprocess.run([sys.executable, "-m", "tsunagu.cli", "audit", "verify"], cwd=ROOT, timeout=60,
                              env={**os.environ, **settings_env(system.settings)}, capture_output=True, text=True)
    intact = verify()
    assert intact.returncode == 0 and "events:" in intact.stdout and "BROKEN" not in intact.stdout, intact.stdout
    _tamper_with_the_events_audit_trail(system.settings)
    broken = verify()
    assert broken.returncode == 1 and "events: BROKEN at entry 1" in broken.stdout, broken.stdout


# Last: the walk cancels the event, erases a member and signs everyone out.
def test_every_route_answers_each_role_as_the_table_says(system, world):
    document = httpx.get(f"{system.settings.gateway_url}/openapi.json").json()
    operations = [(method.upper(), path) for path, item in document["paths"].items() for method in item
                  if method != "head"]
    assert {(m, p) for m, p in operations} <= set(RULES), "a route without a rule in access.py"
    operations.sort(key=lambda operation: LAST.index(operation) if operation in LAST else -1)
    wrong = []
    for method, path in operations:
        for role in ROLES:
            answer = world.clients[role].request(**_request(world, method, path))
            expected = _expected_refusal(method, path, role)
            refused = answer.status_code in (401, 403)
            if (expected is None and refused) or (expected is not None and answer.status_code != expected):
                wrong.append(f"{method} {path} as {role}: {answer.status_code} (expected "
                             f"{expected or 'not 401/403'}) {answer.text[:160]}")
    assert not wrong, "\n".join(wrong)
