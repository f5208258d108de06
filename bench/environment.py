"""The system a benchmark runs against: the whole stack on free ports, plus the bare RPC echo service
that is every benchmark's baseline, all started once for `make bench`."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.harness import Result, run_load
from shared.rpc import RpcPool
from shared.settings import Settings
from tsunagu.accounts import secretariat_token
from tsunagu.ports import free_amqp_port, free_port
from tsunagu.stack import ROOT, Stack

SECRETARIAT_EMAIL = "bench.secretariat@example.org"
_SECRETARIAT_TOKENS: dict[Path, str] = {}  # per stack (its var dir)


@dataclass(frozen=True)
class Running:
    """The stack a benchmark runs against and the bare echo service beside it."""

    stack: Stack
    echo_pid: int

    @property
    def settings(self) -> Settings:
        return self.stack.settings


@contextmanager
def running_stack() -> Iterator[Running]:
    with tempfile.TemporaryDirectory(prefix="tsunagu-bench-") as directory:
        settings = Settings(var_dir=Path(directory), environment="test", secret_key="b" * 32,
                            registrations_per_minute=0,  # wrk registers thousands from one address
                            http_port=free_port(), amqp_port=free_amqp_port(), smtp_port=free_port())
        with Stack(settings) as stack:
            echo = subprocess.Popen([sys.executable, "-m", "bench.echo_service", settings.amqp_uri], cwd=ROOT)
            try:
                _wait_for_echo(settings)
                yield Running(stack, echo.pid)
            finally:
                echo.terminate()
                echo.wait(10)


@contextmanager
def bench_stack() -> Iterator[Settings]:
    with running_stack() as running:
        yield running.settings


def cpu_seconds(*pids: int) -> float:
    """CPU time (user + system) these processes and every process below them have used so far (one pass
    over /proc, however many are asked for)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tree, grown = set(pids), True
    while grown:  # uvicorn's workers are children of the gateway process
        below = {child for child, (parent, _) in stats.items() if parent in tree} - tree
        tree |= below
        grown = bool(below)
    return sum(stats[member][1] for member in tree if member in stats)


def machine_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy so far, every core together (from /proc/stat: all but
    idle and I/O wait): the broker, the load generator and every process of the stack are in it."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle, iowait = fields[3], fields[4]
    return (sum(fields[:8]) - idle - iowait) / os.sysconf("SC_CLK_TCK")


def session_cookie(settings: Settings) -> str:
    """A `Cookie` header of the secretariat signed in through a sign-in link, as a browser sends it."""
    organizer_headers(settings)  # the account exists
    pool = RpcPool.for_operator(settings)
    try:
        with pool.services() as rpc:
            link = rpc.members.issue_sign_in_link(SECRETARIAT_EMAIL, "en")
    finally:
        pool.close()
    with httpx.Client(base_url=settings.gateway_url, timeout=30) as browser:
        browser.post("/auth/sign-in/complete", data={"token": link}).raise_for_status()
        return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def organizer_headers(settings: Settings) -> dict[str, str]:
    """A personal API token of the secretariat of the stack (its account made by the operator, once)."""
    if settings.var_dir not in _SECRETARIAT_TOKENS:
        _SECRETARIAT_TOKENS[settings.var_dir] = secretariat_token(settings, SECRETARIAT_EMAIL, "benchmarks")
    return {"Authorization": f"Bearer {_SECRETARIAT_TOKENS[settings.var_dir]}"}


def measure_echo(settings: Settings, threads: int, seconds: float) -> Result:
    """The bare nameko RPC round trip: a pooled standalone proxy calling a service that does nothing."""
    def echo_client():
        pool = RpcPool(settings.amqp_uri, 1)
        payload = {"display_name": "参加者", "email": "someone@example.org"}

        def call():
            with pool.services() as rpc:
                rpc.bench_echo.echo(payload)
        return call
    return run_load("bare nameko RPC echo", echo_client, threads, seconds)


def _wait_for_echo(settings: Settings) -> None:
    pool = RpcPool(settings.amqp_uri, 1, timeout=2)
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                with pool.services() as rpc:
                    rpc.bench_echo.echo("ready")
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        pool.close()
