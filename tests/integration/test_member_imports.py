"""Member imports through the gateway on the real stack: background jobs that leave the service
answering, the network's own export brought back unchanged, and files that cannot be imported."""
from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from shared.rpc import RpcPool
from tests.integration.stack_calls import import_file, wait_for_job
from tsunagu import demo

PROBLEM_JSON = "application/problem+json"


def members_file(rows: int, broken_every: int = 0, prefix: str = "bulk", period: str = "2026/4/1,2027/6/30") -> bytes:
    lines = ["member_kind,display_name,email,region,networks,membership_type,units,starts_on,ends_on"]
    for n in range(rows):
        email = f"{prefix}{n}@example.org" if not broken_every or n % broken_every else f"{prefix}{n}-no-at-sign"
        lines.append(f"individual,会員{n},{email},kanto,livelihood,member,1,{period}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def test_a_60000_row_import_runs_in_the_background_while_the_service_keeps_answering(stack, gateway):
    rows, broken_every = 60_000, 10_000
    answer = gateway.http.post("/members/import", params={"dry_run": "true"},
                               content=members_file(rows, broken_every), headers={"content-type": "text/csv"})
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] in ("queued", "running") and answer.json()["rows"] == rows
    health, directory, progress = [], [], []
    public = httpx.Client(base_url=stack.settings.gateway_url, timeout=30)

    def meanwhile(job):
        progress.append(job["rows_done"])
        health.append(public.get("/health").status_code)
        directory.append(public.get("/directory", params={"q": "会"}).status_code)

    job = wait_for_job(gateway.http, answer.headers["location"], timeout=900, while_running=meanwhile)
    public.close()
    assert job["status"] == "finished", job
    report = job["report"]
    assert (report["rows"], report["created"], report["updated"], report["unchanged"]) == (rows, 59_994, 0, 0)
    assert [problem["row"] for problem in report["rejected"]] == [2 + n for n in range(0, rows, broken_every)]
    assert len([done for done in progress if 0 < done < rows]) >= 3, progress  # asked while it ran
    assert set(health) == {200} and set(directory) == {200}, (health, directory)
    assert gateway.http.get("/directory", params={"q": "bulk1"}).json() == []  # a dry run changes nothing


@pytest.mark.usefixtures("stack")
def test_a_real_import_goes_in_chunk_by_chunk_and_again_changes_nothing(gateway):
    content = members_file(1_500, prefix="chunked", period="2019/4/1,2020/6/30")  # former members: no mail
    first = import_file(gateway.http, content, timeout=600)["report"]
    assert (first["created"], first["rejected"]) == (1_500, [])
    again = import_file(gateway.http, content, timeout=600)["report"]
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1_500)


def test_the_export_of_the_demo_members_imports_back_with_every_row_unchanged(stack, gateway):
    pool = RpcPool.for_operator(stack.settings, 1)
    try:
        with pool.services() as rpc:
            for group in demo.GROUPS:
                rpc.members.add_membership(rpc.members.create_group(group)["id"], demo.MEMBERSHIP)
            for person in demo.INDIVIDUALS:
                person = {**person, "email": person["email"].replace("@", "+roundtrip@")}
                rpc.members.add_membership(rpc.members.create_individual(person)["id"], demo.MEMBERSHIP)
    finally:
        pool.close()
    osaka = gateway.http.post("/members/groups", json={
        "name": {"ja": "移住者支援 大阪"}, "kind": "npo", "region": "kinki-kansai",
        "public_contact": "+81-6-6000-0000"}).json()
    exported = gateway.http.get("/members/export.csv")
    assert "'+81-6-6000-0000" in exported.text  # neutralised for Excel
    report = import_file(gateway.http, exported.content, timeout=600)["report"]
    lines = exported.text.count("\r\n") - 1
    assert (report["rows"], report["rejected"]) == (lines, [])
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, lines)
    shown = gateway.http.get("/directory", params={"q": "移住者支援 大阪"}).json()
    assert [entry["public_contact"] for entry in shown if entry["id"] == osaka["id"]] == ["+81-6-6000-0000"]


@pytest.mark.usefixtures("stack")
def test_files_that_cannot_be_imported_are_refused_naming_why(gateway):
    http = gateway.http
    refusals = {
        "neither UTF-8 nor Shift_JIS": bytes(range(128, 256)) * 100,
        "a cell over 128 KB": f"member_kind,display_name,email\r\nindividual,{'x' * 140_000},a@example.org\r\n".encode(),
        "an unknown column": b"member_kind,emial\r\nindividual,a@example.org\r\n",
    }
    for what, content in refusals.items():
        answer = http.post("/members/import", content=content, headers={"content-type": "text/csv"})
        assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM_JSON, (what, answer.text)
        assert answer.json()["detail"], what
    assert "Shift_JIS" in http.post("/members/import", content=refusals["neither UTF-8 nor Shift_JIS"]).json()["detail"]
    assert "line 2" in http.post("/members/import", content=refusals["a cell over 128 KB"]).json()["detail"]

    unicode_text = "member_kind\tdisplay_name\temail\r\nindividual\tユニコード\tutf16@example.org\r\n"
    job = import_file(http, b"\xff\xfe" + unicode_text.encode("utf-16-le"))  # Excel's "Unicode text"
    assert (job["report"]["created"], job["report"]["rejected"]) == (1, [])

    too_large = http.post("/members/import", content=b"member_kind\r\n" + b"x" * (21 * 1024 * 1024))
    assert too_large.status_code == 413 and too_large.headers["content-type"] == PROBLEM_JSON
    assert "20 MB" in too_large.json()["detail"]
    assert http.get("/members/import-jobs/no-such-job").status_code == 404


def test_a_checked_file_is_imported_once_without_being_sent_again_and_not_kept_long(stack, gateway):
    checked = import_file(gateway.http, members_file(3, broken_every=2, prefix="checked"), dry_run=True)
    assert (checked["report"]["created"], len(checked["report"]["rejected"])) == (1, 2)
    assert "checked1@example.org" not in gateway.http.get("/members/export.csv").text
    started = gateway.http.post(f"/members/import-jobs/{checked['id']}/import")
    assert started.status_code == 202, started.text
    done = wait_for_job(gateway.http, started.headers["location"])
    assert (done["dry_run"], done["report"]["created"]) == (False, 1)
    exported = gateway.http.get("/members/export.csv").text
    assert "checked1@example.org" in exported and "checked0" not in exported
    again = gateway.http.post(f"/members/import-jobs/{checked['id']}/import")  # once only
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    real = gateway.http.post(f"/members/import-jobs/{done['id']}/import")  # not a dry run
    assert real.status_code == 409

    later = import_file(gateway.http, members_file(1, prefix="forgotten"), dry_run=True)
    pool = RpcPool.for_operator(stack.settings, 1)
    try:
        with pool.services() as rpc:
            in_two_hours = datetime.fromisoformat(later["finished_at"]) + timedelta(hours=2)  # past the hour kept
            assert rpc.members.run_housekeeping(in_two_hours.isoformat())["checked_import_files_dropped"] >= 1
    finally:
        pool.close()
    gone = gateway.http.post(f"/members/import-jobs/{later['id']}/import")
    assert gone.status_code == 409 and "send it again" in gone.json()["detail"]
