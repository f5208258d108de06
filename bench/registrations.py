"""Registrations per second through the gateway (HTTP → gateway → RPC → events service: lock the event,
decide, insert, outbox row, commit → back) under concurrency, against the bare RPC echo in the same run.
Goals: at least 0.5× the echo rate; p99 within 3× p50."""
from __future__ import annotations

import itertools

import httpx

from bench.environment import measure_echo, organizer_headers
from bench.harness import run_load
from shared.settings import Settings

THREADS = 8
SECONDS = 10.0


def run(settings: Settings) -> dict:
    event = httpx.post(f"{settings.gateway_url}/events", headers=organizer_headers(), json={
        "kind": "national_forum", "title": {"ja": "全国フォーラム（負荷試験）"}, "region": "chubu-tokai",
        "capacity": 1_000_000, "starts_at": "2027-06-18T10:00:00", "ends_at": "2027-06-19T16:00:00",
        "sessions": [{"kind": "plenary", "title": {"ja": "全体会"}, "starts_at": "2027-06-18T10:00:00",
                      "ends_at": "2027-06-18T12:00:00"}]}).json()
    httpx.post(f"{settings.gateway_url}/events/{event['id']}/publish", headers=organizer_headers(),
               params={"force": "true"})
    plenary = event["sessions"][0]["id"]
    numbers = itertools.count()

    def registering_client():
        client = httpx.Client(base_url=settings.gateway_url, timeout=30)
        url = f"/events/{event['id']}/registrations"

        def call():
            n = next(numbers)
            response = client.post(url, json={
                "display_name": f"参加者 {n}", "email": f"p{n}@example.org", "language": "vi",
                "session_ids": [plenary] if n % 2 else [],
                "needs": {"interpretation": [{"source": "ja", "target": "vi"}]} if n % 5 == 0 else {}})
            assert response.status_code == 201, response.text
        return call

    baseline = measure_echo(settings, THREADS, SECONDS)
    registering = run_load("gateway POST registrations", registering_client, THREADS, SECONDS)
    ratio = registering.rate / baseline.rate
    tail = registering.percentile(99) / registering.percentile(50)
    print(f"\n== Registrations through the gateway vs the bare RPC echo ({THREADS} threads, {SECONDS:.0f} s) ==")
    print(baseline.line())
    print(registering.line())
    print(f"ratio registrations / echo: {ratio:.2f}× (goal ≥ 0.5×)   p99 / p50: {tail:.2f} (goal ≤ 3)")
    return {"echo_rps": baseline.rate, "registrations_rps": registering.rate, "ratio": ratio, "p99_over_p50": tail}
