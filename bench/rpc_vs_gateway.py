"""A gateway round trip that reads an event (HTTP → gateway → RPC → events service → database → back)
against the bare nameko RPC echo, in the same run."""
from __future__ import annotations

import httpx

from bench.environment import measure_echo, organizer_headers
from bench.wrk import run_wrk
from shared.settings import Settings

THREADS = 8
SECONDS = 8.0


def run(settings: Settings) -> dict:
    event = httpx.post(f"{settings.gateway_url}/events", headers=organizer_headers(), json={
        "kind": "symposium", "title": {"ja": "ベンチマーク"}, "region": "chubu-tokai",
        "starts_at": "2027-06-18T10:00:00", "ends_at": "2027-06-19T16:00:00"}).json()
    httpx.post(f"{settings.gateway_url}/events/{event['id']}/publish", headers=organizer_headers())

    baseline = measure_echo(settings, THREADS, SECONDS)
    gateway = run_wrk("gateway GET /events/{id} (wrk)", f"{settings.gateway_url}/events/{event['id']}",
                      THREADS, SECONDS)
    if gateway.errors:
        raise RuntimeError(f"{gateway.errors} reads failed during the benchmark")
    ratio = gateway.rate / baseline.rate
    print(f"\n== Reading an event through the gateway vs the bare RPC echo ({THREADS} threads, {SECONDS:.0f} s) ==")
    print(baseline.line())
    print(gateway.line())
    print(f"ratio gateway / echo: {ratio:.2f}×")
    return {"echo_rps": baseline.rate, "gateway_rps": gateway.rate, "ratio": ratio}
