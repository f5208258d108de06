"""A gateway round trip that reads an event (HTTP → gateway → RPC → events service → database → back)
against the bare nameko RPC echo, in the same run."""
from __future__ import annotations

import httpx

from bench.environment import measure_echo, organizer_headers
from bench.harness import run_load
from shared.settings import Settings

THREADS = 8
SECONDS = 8.0


def run(settings: Settings) -> dict:
    event = httpx.post(f"{settings.gateway_url}/events", headers=organizer_headers(), json={
        "kind": "symposium", "title": {"ja": "ベンチマーク"}, "region": "chubu-tokai",
        "starts_at": "2027-06-18T10:00:00", "ends_at": "2027-06-19T16:00:00"}).json()
    httpx.post(f"{settings.gateway_url}/events/{event['id']}/publish", headers=organizer_headers())

    def gateway_client():
        client = httpx.Client(base_url=settings.gateway_url)
        url = f"/events/{event['id']}"

        def call():
            response = client.get(url)
            assert response.status_code == 200
        return call

    baseline = measure_echo(settings, THREADS, SECONDS)
    gateway = run_load("gateway GET /events/{id}", gateway_client, THREADS, SECONDS)
    ratio = gateway.rate / baseline.rate
    print(f"\n== Reading an event through the gateway vs the bare RPC echo ({THREADS} threads, {SECONDS:.0f} s) ==")
    print(baseline.line())
    print(gateway.line())
    print(f"ratio gateway / echo: {ratio:.2f}×")
    return {"echo_rps": baseline.rate, "gateway_rps": gateway.rate, "ratio": ratio}
