"""Registrations per second through the gateway (HTTP → gateway → RPC → events service: lock the event,
decide, insert, outbox row, commit → back) under concurrency, against the bare RPC echo in the same run.
Goals: at least 0.5× the echo rate; p99 within 3× p50."""
from __future__ import annotations

import statistics

import httpx

from bench.environment import measure_echo, organizer_headers
from bench.wrk import registration_script, run_wrk
from shared.settings import Settings

CONCURRENCY = 8
SECONDS = 10.0
ROUNDS = 3  # echo and registrations alternate; the machine's own variation shows between rounds


def run(settings: Settings) -> dict:
    event = httpx.post(f"{settings.gateway_url}/events", headers=organizer_headers(), json={
        "kind": "national_forum", "title": {"ja": "全国フォーラム（負荷試験）"}, "region": "chubu-tokai",
        "capacity": 1_000_000, "starts_at": "2027-06-18T10:00:00", "ends_at": "2027-06-19T16:00:00",
        "sessions": [{"kind": "plenary", "title": {"ja": "全体会"}, "starts_at": "2027-06-18T10:00:00",
                      "ends_at": "2027-06-18T12:00:00"}]}).json()
    httpx.post(f"{settings.gateway_url}/events/{event['id']}/publish", headers=organizer_headers(),
               params={"force": "true"})
    path = f"/events/{event['id']}/registrations"

    print(f"\n== Registrations through the gateway vs the bare RPC echo ({CONCURRENCY} concurrent, "
          f"{SECONDS:.0f} s, {ROUNDS} rounds) ==")
    ratios, tails, failed = [], [], 0
    for _ in range(ROUNDS):
        baseline = measure_echo(settings, CONCURRENCY, SECONDS)
        registering = run_wrk("gateway POST registrations (wrk)", settings.gateway_url + path, CONCURRENCY,
                              SECONDS, registration_script(path, event["sessions"][0]["id"]))
        ratios.append(registering.rate / baseline.rate)
        tails.append(registering.p99_ms / registering.p50_ms)
        failed += registering.errors
        print(baseline.line())
        print(registering.line(), f"   ratio {ratios[-1]:.2f}×")
    stored = httpx.get(f"{settings.gateway_url}/events/{event['id']}", timeout=30).json()["confirmed_places"]
    ratio, tail = statistics.median(ratios), statistics.median(tails)
    rounds = ", ".join(f"{r:.2f}" for r in ratios)
    print(f"median ratio registrations / echo: {ratio:.2f}× (goal ≥ 0.5×; rounds {rounds})"
          f"   median p99 / p50: {tail:.2f} (goal ≤ 3)   registrations stored: {stored}")
    if failed:
        raise RuntimeError(f"{failed} registrations failed during the benchmark")
    return {"ratio": ratio, "ratios": ratios, "p99_over_p50": tail}
