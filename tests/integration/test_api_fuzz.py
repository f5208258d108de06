"""Schemathesis probes the running gateway from its own /openapi.json: valid and invalid parameters and
bodies for every operation, as an organizer. No answer may be a server error, and every answer must be
one the document describes — its status, its content type (problem+json for every error), its body.

It runs on a stack of its own: the requests it makes (events, members, announcements to the general
list) must not reach the mailbox the other tests count.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import Gateway, MailBox, secretariat_headers, seeded_stack

MAX_EXAMPLES = 10  # per operation and phase: about a minute on two cores
SEED = int(os.environ.get("TSUNAGU_FUZZ_SEED", "20261123"))  # fixed, so a failure can be replayed
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance"]
@pytest.fixture(scope="module")
def fuzzed_stack(tmp_path_factory):
    with seeded_stack(tmp_path_factory.mktemp("fuzzed")) as running:
        yield running


def existing_things(gateway: Gateway, mailbox: MailBox) -> dict[str, str]:
    """Real ids for the path parameters, so requests reach the services instead of stopping at a 404."""
    event = gateway.new_event(capacity=50)
    assert gateway.publish(event["id"], force=True).status_code == 200
    registration = gateway.http.post(f"/events/{event['id']}/registrations",
                                     json={"display_name": "Fuzz", "email": "fuzz@example.org"}).json()
    mailbox.confirm_registration("fuzz@example.org")  # a private feed is its own person's alone
    feed = gateway.http.post(f"/registrations/{registration['id']}/calendar-feed",
                             params={"token": registration["manage_token"]}).json()
    member = gateway.http.post("/members/groups", json={"name": {"ja": "ファズの会"}, "kind": "npo",
                                                        "region": "kanto"}).json()
    announcement = gateway.http.post("/lists/general/announcements",
                                     json={"subject": {"en": "Fuzz"}, "body": {"en": "…"}}).json()
    return {"path.event_id": event["id"], "path.registration_id": registration["id"],
            "query.token": registration["manage_token"], "path.member_id": member["id"], "path.slug": "general",
            "path.announcement_id": announcement["id"],
            "path.feed_token": feed["url"].rsplit("/", 1)[1].removesuffix(".ics")}


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(fuzzed_stack, tmp_path):
    settings = fuzzed_stack.settings
    parameters = existing_things(Gateway(settings), MailBox(settings.mail_dir))
    config = tmp_path / "schemathesis.toml"
    config.write_text("[parameters]\n" + "".join(f"{json.dumps(k)} = {json.dumps(v)}\n" for k, v in parameters.items()))
    report = tmp_path / "report.json"
    run = subprocess.run(
        [str(Path(sys.executable).parent / "st"), "--no-color", "--config-file", str(config), "run",
         f"{settings.gateway_url}/openapi.json", "--header", "Authorization: " + secretariat_headers(settings)["Authorization"],
         "--checks", ",".join(CHECKS), "--phases", "examples,coverage,fuzzing", "--max-examples", str(MAX_EXAMPLES),
         "--seed", str(SEED), "--workers", "2", "--continue-on-failure", "--generation-database", "none",
         "--request-timeout", "30", "--report", "json", "--report-json-path", str(report)],
        cwd=tmp_path, capture_output=True, text=True, timeout=900)
    output = run.stdout[-20000:] + run.stderr[-5000:]
    assert report.exists(), output
    result = json.loads(report.read_text())
    assert result["complete"] and result["errors"] == [], output
    assert result["operations"]["tested"] == result["operations"]["total"] > 40, output
    found = sorted({(operation, failure["code"]) for failure in result["failures"]
                    for operation in failure["operations"]})
    assert found == [], output
