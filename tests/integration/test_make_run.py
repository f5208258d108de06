"""`tsunagu run` as a person uses it: starts everything with demo data, prints the URLs and sign-in links,
and Ctrl-C leaves no process behind."""
from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.integration.patience import PATIENCE
from tests.integration.processes import processes_mentioning
from tsunagu.ports import free_amqp_port, free_port

ROOT = Path(__file__).resolve().parents[2]


def test_run_starts_everything_with_demo_data_and_ctrl_c_stops_it_all(tmp_path):
    var = tmp_path / "var"
    http_port = free_port()
    env = {**os.environ, "TSUNAGU_VAR_DIR": str(var), "TSUNAGU_HTTP_PORT": str(http_port),
           "TSUNAGU_AMQP_PORT": str(free_amqp_port()), "TSUNAGU_SMTP_PORT": str(free_port())}
    process = subprocess.Popen([sys.executable, "-m", "tsunagu.cli", "run"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    try:
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Press Ctrl-C" in line:
                break
        text = "".join(output)
        assert "Press Ctrl-C" in text, text
        assert not (var / "organizer-token").exists()  # no shared token: people sign in
        assert f"http://127.0.0.1:{http_port}" in text

        health = httpx.get(f"http://127.0.0.1:{http_port}/health", timeout=10)
        assert health.status_code == 200
        events = httpx.get(f"http://127.0.0.1:{http_port}/events", timeout=10).json()
        assert {"national_forum", "workshop", "migrants_day"} <= {e["kind"] for e in events}
        assert any("中京大学" in ((e["venue"] or {}).get("name") or "") for e in events)
        # the demo's published events were announced to the demo subscribers (4 events × 5 people), and
        # each demo account got its sign-in link by mail too
        deadline = time.monotonic() + PATIENCE
        while len(list((var / "mail").glob("*.eml"))) < 24 and time.monotonic() < deadline:
            time.sleep(0.25)
        assert len(list((var / "mail").glob("*.eml"))) == 20 + 4
        # the secretariat's printed link signs in as the secretariat
        link = re.search(r"secretariat@example\.org\s+(http\S+/auth/sign-in\?token=(\S+))", text)
        assert link, text
        browser = httpx.Client(base_url=f"http://127.0.0.1:{http_port}", timeout=10)
        assert browser.post("/auth/sign-in/complete", data={"token": link.group(2)}).status_code == 200
        assert [g["role"] for g in browser.get("/auth/me").json()["grants"]] == ["secretariat"]
        # the README's first step: a personal token for the demo's Kansai organizer, from the command line
        made = subprocess.run([sys.executable, "-m", "tsunagu.cli", "accounts", "token", "kansai.organizer@example.org"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr
        script = httpx.Client(base_url=f"http://127.0.0.1:{http_port}", timeout=10,
                              headers={"Authorization": f"Bearer {made.stdout.split()[0]}"})
        osaka = {"kind": "migrants_day", "title": {"ja": "国際移住者デー 大阪"}, "region": "kinki-kansai",
                 "starts_at": "2026-12-18T13:00", "ends_at": "2026-12-18T16:00"}
        assert script.post("/events", json=osaka).status_code == 201
        assert script.post("/events", json={**osaka, "region": "chubu-tokai"}).status_code == 403
        # the databases, the mail, the logs and the secrets are the user's alone
        assert [str(path) for path in [var, *var.rglob("*")] if not path.is_symlink()
                and stat.S_IMODE(path.stat().st_mode) & 0o077] == []
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(90)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0
    assert processes_mentioning(str(var)) == []
    assert not (var / "rabbitmq" / "pid").exists()
