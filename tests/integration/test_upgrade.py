"""An installation of release 0.1 upgraded in place: its var directory started by this version's stack
(which migrates first, as `make run` does) answers with the same events, registrations and places."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from shared.settings import SERVICE_NAMES
from tests.integration.conftest import secretariat_headers, stack_settings
from tsunagu.stack import ROOT, Stack, settings_env

RELEASE = Path(__file__).resolve().parents[1] / "fixtures" / "release-0.1" / "sqlite"


def test_release_0_1_data_is_served_after_the_upgrade(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    for service in SERVICE_NAMES:
        shutil.copy(RELEASE / f"{service}.db", var / f"{service}.db")
    made = json.loads((RELEASE / "made.json").read_text())
    settings = stack_settings(var)
    with Stack(settings):
        public = httpx.Client(base_url=settings.gateway_url, timeout=30)
        for event_id in made["events"]:
            assert public.get(f"/events/{event_id}").status_code == 200
        http = httpx.Client(base_url=settings.gateway_url, timeout=30, headers=secretariat_headers(settings))
        symposium = made["symposium"]
        listed = http.get(f"/events/{symposium}/registrations").json()
        assert sorted(r["status"] for r in listed) == ["cancelled", "confirmed", "confirmed"]
        # its two places are taken: the counters kept in the event's row came through as well
        late = public.post(f"/events/{symposium}/registrations",
                           json={"display_name": "Late", "email": "late@example.org", "language": "en"})
        assert late.status_code == 201 and late.json()["status"] == "waitlisted", late.text


def test_a_service_refuses_a_database_that_is_behind_naming_the_command(tmp_path):
    """Started on release 0.1's file without `tsunagu migrate`: it exits at once, and says what to run."""
    var = tmp_path / "var"
    var.mkdir()
    shutil.copy(RELEASE / "events.db", var / "events.db")
    settings = stack_settings(var)
    env = {**os.environ, **settings_env(settings)}
    started = subprocess.run([sys.executable, "-m", "tsunagu.cli", "service", "events"], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert started.returncode == 2
    refusal = [json.loads(line) for line in started.stderr.splitlines() if line.startswith("{")]
    assert [line["level"] for line in refusal] == ["ERROR"]
    assert "run `tsunagu migrate` first" in refusal[0]["message"]
    assert "Traceback" not in started.stderr
