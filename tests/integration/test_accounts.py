"""Accounts made from the command line, and signing in by mail, against the running system (the link
read from the SMTP sink)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid

import httpx

from tests.integration.patience import PATIENCE, eventually
from tests.integration.stack_calls import rpc_call
from tsunagu.accounts import make_api_token
from tsunagu.stack import ROOT, settings_env


def tsunagu(stack, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **settings_env(stack.settings)}
    return subprocess.run([sys.executable, "-m", "tsunagu.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_first_secretariat_and_a_scoped_organizer_are_made_from_the_command_line(stack):
    made = tsunagu(stack, "accounts", "add", "Secretariat@Example.org", "--role", "secretariat")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "secretariat@example.org: secretariat"
    organizer = tsunagu(stack, "accounts", "add", "kansai@example.org", "--role", "organizer",
                        "--region", "kinki-kansai", "--network", "medical")
    assert organizer.stdout.strip() == "kansai@example.org: organizer (kinki-kansai, medical)", organizer.stderr
    refused = tsunagu(stack, "accounts", "add", "x@example.org", "--role", "organizer")
    assert refused.returncode == 2 and "needs its scope" in refused.stderr
    listed = tsunagu(stack, "accounts", "list").stdout.splitlines()
    assert "secretariat@example.org: secretariat" in listed
    assert "kansai@example.org: organizer (kinki-kansai, medical)" in listed
    assert not any(line.startswith("x@example.org") for line in listed)


def mails_to(mailbox, address: str, count: int) -> list:
    deadline = time.monotonic() + PATIENCE
    while True:
        found = [m for m in mailbox.messages() if m["X-Sink-Envelope-To"] == address]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_person_signs_in_with_the_link_in_their_mail_once(stack, mailbox):
    address = f"contact-{uuid.uuid4().hex[:8]}@example.org"
    assert tsunagu(stack, "accounts", "add", address, "--role", "group_contact", "--group", "g-1").returncode == 0
    browser = httpx.Client(base_url=stack.settings.gateway_url, timeout=30)
    stranger = f"stranger-{uuid.uuid4().hex[:8]}@example.org"
    asked = browser.post("/auth/sign-in", json={"email": address.upper(), "language": "en"})
    unknown = browser.post("/auth/sign-in", json={"email": stranger, "language": "en"})
    assert asked.status_code == unknown.status_code == 202 and asked.json() == unknown.json()
    (mail,) = mails_to(mailbox, address, 1)
    assert mail["Auto-Submitted"] == "auto-generated" and "Sign in" in mail["Subject"]
    link = re.search(r"(http\S+/auth/sign-in\?token=\S+)", mail.get_body(preferencelist=("plain",)).get_content())
    assert link, mail.get_body(preferencelist=("plain",)).get_content()
    token = httpx.URL(link.group(1)).params["token"]
    assert browser.get(httpx.URL(link.group(1)).raw_path.decode()).status_code == 200  # a scanner's visit
    assert browser.get("/auth/me").status_code == 401 and "tsunagu_session" not in browser.cookies
    members_db = stack.settings.var_dir / "members.db"
    stored = b"".join(path.read_bytes() for path in (members_db, members_db.with_name(members_db.name + "-wal"))
                      if path.exists())
    assert token.encode() not in stored  # the database keeps the link's hash, never the link
    signed_in = browser.post("/auth/sign-in/complete", data={"token": token})
    assert signed_in.status_code == 200, signed_in.text
    me = browser.get("/auth/me").json()
    assert me["email"] == address and [(g["role"], g["groups"]) for g in me["grants"]] == [("group_contact", ["g-1"])]
    assert httpx.post(f"{stack.settings.gateway_url}/auth/sign-in/complete", data={"token": token}).status_code == 404
    assert mails_to(mailbox, stranger, 0) == []

    # a second browser signs in; the first ends the second's session, which is refused at once after
    phone = httpx.Client(base_url=stack.settings.gateway_url, timeout=30)
    assert phone.post("/auth/sign-in", json={"email": address, "language": "ja"}).status_code == 202
    second = mails_to(mailbox, address, 2)[-1]
    phone_token = re.search(r"token=(\S+)", second.get_body(preferencelist=("plain",)).get_content()).group(1)
    assert phone.post("/auth/sign-in/complete", data={"token": phone_token}).status_code == 200
    phone_session = phone.get("/auth/me").json()["session_id"]
    assert {s["id"] for s in browser.get("/auth/sessions").json()} == {me["session_id"], phone_session}
    csrf = browser.get("/auth/me").json()["csrf_token"]
    assert browser.delete(f"/auth/sessions/{phone_session}").status_code == 403  # no CSRF token
    assert browser.delete(f"/auth/sessions/{phone_session}", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert eventually(lambda: phone.get("/auth/me").status_code == 401)

    # a personal API token for a script: it speaks for its person until revoked
    issued = browser.post("/auth/tokens", json={"name": "sync script"}, headers={"X-CSRF-Token": csrf})
    assert issued.status_code == 201, issued.text
    script = httpx.Client(base_url=stack.settings.gateway_url, timeout=30,
                          headers={"Authorization": f"Bearer {issued.json()['token']}"})
    assert script.get("/auth/me").json()["email"] == address
    [listed] = browser.get("/auth/tokens").json()
    assert listed["name"] == "sync script" and listed["last_used_at"] and "token" not in listed
    revoked = browser.delete(f"/auth/tokens/{listed['id']}", headers={"X-CSRF-Token": csrf})
    assert revoked.status_code == 204
    assert eventually(lambda: script.get("/auth/me").status_code == 401)
    assert browser.post("/auth/sign-out", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert browser.get("/auth/me").status_code == 401


def test_an_organizer_s_personal_token_makes_events_and_a_member_s_is_refused(stack):
    def token_for(email: str, grant: dict) -> str:
        rpc_call(stack, "members", "add_account", {"email": email, "grants": [grant]})
        return make_api_token(stack.settings, email, "script").token

    suffix = uuid.uuid4().hex[:8]
    organizer = token_for(f"tokai-{suffix}@example.org", {"role": "organizer", "regions": ["chubu-tokai"]})
    member = token_for(f"member-{suffix}@example.org", {"role": "member", "member_id": "m-1"})
    draft = {"kind": "symposium", "title": {"ja": "シンポジウム"}, "region": "chubu-tokai",
             "starts_at": "2027-10-01T13:00:00", "ends_at": "2027-10-01T17:00:00"}
    made = httpx.post(f"{stack.settings.gateway_url}/events", json=draft, timeout=30,
                      headers={"Authorization": f"Bearer {organizer}"})
    assert made.status_code == 201, made.text
    refused = httpx.post(f"{stack.settings.gateway_url}/events", json=draft, timeout=30,
                         headers={"Authorization": f"Bearer {member}"})
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert "organizer" in refused.json()["detail"]
