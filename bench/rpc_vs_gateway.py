"""A gateway round trip that reads an event (HTTP → gateway → RPC → events service → SQLite → back)
against a bare nameko RPC echo, on the same broker in the same run."""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.harness import run_load
from shared.rpc import RpcPool
from shared.settings import Settings
from tsunagu.ports import free_amqp_port, free_port
from tsunagu.stack import ROOT, Stack

THREADS = 8
SECONDS = 8.0


def main() -> dict:
    with tempfile.TemporaryDirectory(prefix="tsunagu-bench-") as directory:
        settings = Settings(var_dir=Path(directory), environment="test", organizer_token="bench-token-" + "x" * 20,
                            http_port=free_port(), amqp_port=free_amqp_port(), smtp_port=free_port())
        with Stack(settings) as stack:
            echo = subprocess.Popen([sys.executable, "-m", "bench.echo_service", settings.amqp_uri], cwd=ROOT)
            try:
                headers = {"Authorization": f"Bearer {settings.organizer_token}"}
                event = httpx.post(f"{settings.gateway_url}/events", headers=headers, json={
                    "kind": "national_forum", "title": {"ja": "ベンチマーク"}, "region": "chubu-tokai",
                    "starts_at": "2027-06-18T10:00:00", "ends_at": "2027-06-19T16:00:00"}).json()
                httpx.post(f"{settings.gateway_url}/events/{event['id']}/publish", headers=headers)
                _wait_for_echo(settings)

                def echo_client():
                    pool = RpcPool(settings.amqp_uri, 1)
                    payload = {"id": event["id"]}

                    def call():
                        with pool.services() as rpc:
                            rpc.bench_echo.echo(payload)
                    return call

                def gateway_client():
                    client = httpx.Client(base_url=settings.gateway_url)
                    url = f"/events/{event['id']}"

                    def call():
                        response = client.get(url)
                        assert response.status_code == 200
                    return call

                baseline = run_load("bare nameko RPC echo", echo_client, THREADS, SECONDS)
                gateway = run_load("gateway GET /events/{id}", gateway_client, THREADS, SECONDS)
            finally:
                echo.terminate()
                echo.wait(10)
            _ = stack
    print(f"\n== RPC echo vs gateway read ({THREADS} client threads, {SECONDS:.0f} s each) ==")
    print(baseline.line())
    print(gateway.line())
    ratio = gateway.rate / baseline.rate
    print(f"ratio gateway / echo: {ratio:.2f}×")
    return {"echo_rps": baseline.rate, "gateway_rps": gateway.rate, "ratio": ratio}


def _wait_for_echo(settings: Settings) -> None:
    pool = RpcPool(settings.amqp_uri, 1, timeout=2)
    deadline = time.monotonic() + 30
    while True:
        try:
            with pool.services() as rpc:
                rpc.bench_echo.echo("ready")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


if __name__ == "__main__":
    main()
