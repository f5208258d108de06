"""The members service through the gateway and the bus: the directory, imports, statistics, and an
erasure that every service carries out."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from shared.rpc import RpcPool
from tests.integration.conftest import SUBSCRIBERS
from tests.integration.patience import PATIENCE
from tests.integration.stack_calls import import_file
from tsunagu.stack import ROOT, settings_env

CSV = ("member_kind,external_id,name_ja,name_en,kind,region,help_languages,networks,contact_email,display_name,"
       "email,membership_type,units,starts_on,ends_on\r\n"
       "group,IMP-1,ベトナム人支援の会,Vietnamese Support,npo,chubu-tokai,vi ja,labour,,,,member,3,2020-04-01,2099-03-31\r\n"
       "individual,,,,,kanto,,,,グエン,nguyen.member@example.org,member,1,2020-04-01,2099-03-31\r\n"
       "individual,,,,,kanto,,,,壊れた,broken,,,,\r\n")


def test_import_directory_stats_and_export(stack, gateway):
    http = gateway.http
    dry = import_file(http, CSV.encode("cp932"), dry_run=True)["report"]
    assert dry["created"] == 2 and dry["dry_run"]
    report = import_file(http, CSV.encode("cp932"))["report"]
    assert (report["created"], report["rows"]) == (2, 3)
    assert [(p["row"], p["field"]) for p in report["rejected"]] == [(4, "email")]
    again = import_file(http, CSV.encode("cp932"))["report"]
    assert (again["created"], again["unchanged"]) == (0, 2)

    public = httpx.get(f"{stack.settings.gateway_url}/directory", params={"language": "vi", "region": "chubu-tokai"}).json()
    assert [entry["name"]["ja"] for entry in public] == ["ベトナム人支援の会"]
    assert "contact_email" not in public[0] or public[0]["contact_email"] is None
    assert all("nguyen.member@example.org" not in str(entry) for entry in httpx.get(f"{stack.settings.gateway_url}/directory").json())
    assert httpx.get(f"{stack.settings.gateway_url}/members/stats").status_code == 401
    stats = http.get("/members/stats", params={"as_of": "2030-01-01"}).json()
    assert stats["group"]["units"] >= 3 and stats["individual"]["members"] >= 1
    export = http.get("/members/export.csv")
    assert export.headers["content-type"] == "text/csv; charset=utf-8" and export.content.startswith("\ufeff".encode())
    assert "ベトナム人支援の会" in export.content.decode("utf-8")


def test_the_command_line_import_shows_progress_and_a_report(stack, tmp_path):
    file = tmp_path / "members.csv"
    file.write_bytes(CSV.replace("IMP-1", "IMP-CLI").replace("nguyen.member", "cli.member").encode("cp932"))
    env = {**os.environ, **settings_env(stack.settings)}
    result = subprocess.run([sys.executable, "-m", "tsunagu.cli", "members", "import", str(file)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert "[##############################] 3/3" in result.stderr, result.stderr
    assert "2 were created" in result.stdout and "line 4: email" in result.stdout
    assert result.returncode == 1  # a rejected row is worth a non-zero exit for scripts


def test_an_erasure_reaches_every_service(stack, gateway, mailbox):
    http = gateway.http
    email = "to.erase@example.org"
    person = http.post("/members/individuals", json={"display_name": "消える人", "email": email}).json()
    pool = RpcPool.for_operator(stack.settings, 1)
    try:
        with pool.services() as rpc:
            rpc.notifications.add_confirmed_subscribers("general", [{"email": email, "language": "ja"}])
    finally:
        pool.close()
    event = gateway.new_event()
    gateway.publish(event["id"])
    registration = http.post(f"/events/{event['id']}/registrations",
                             json={"display_name": "消える人", "email": email}).json()
    assert mailbox.wait_for([event["id"]], len(SUBSCRIBERS) + 1)[event["id"]][email] == 1

    erased = http.post(f"/members/{person['id']}/erase")
    assert erased.status_code == 200 and erased.json()["email"] is None
    assert http.get(f"/members/{person['id']}").status_code == 404

    def registration_forgotten():
        seen = http.get(f"/registrations/{registration['id']}").json()
        return seen["email"] != email and seen["display_name"] == "(erased)"
    deadline = time.monotonic() + PATIENCE
    while not registration_forgotten() and time.monotonic() < deadline:
        time.sleep(0.3)
    assert registration_forgotten(), "the events service kept the person"
    pool = RpcPool.for_operator(stack.settings, 1)
    try:
        with pool.services() as rpc:
            lists = rpc.notifications.list_lists()
    finally:
        pool.close()
    later = gateway.new_event()
    gateway.publish(later["id"])
    arrived = mailbox.wait_for([later["id"]], len(SUBSCRIBERS))[later["id"]]
    time.sleep(1)
    arrived = mailbox.recipients_for(later["id"])
    assert email not in arrived and lists
