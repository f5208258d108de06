"""Registrations per second with one and with two copies of the events service, on PostgreSQL, in the
same run: the figure that says what a second machine for the events service buys when a National
Forum's registration opens.

The stack runs on a throwaway PostgreSQL cluster; wrk registers different people for one forum through
the gateway, three rounds alternating one copy and two. Every registration of one event takes that
event's row lock (the places are counted there), so a second copy can only take over the work around
the lock: parsing, checking, the outbox, the reply. On a machine of two cores the copies also share
those cores with the gateway, PostgreSQL and RabbitMQ; the ratio is what this machine shows, not what
two machines would.
"""
from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from bench.gateway import FORUM, line, published, quiet_stack
from bench.wrk import registration_script, run_wrk
from shared.settings import Settings
from tsunagu.ports import free_amqp_port, free_port
from tsunagu.scratch_postgres import throwaway_postgres
from tsunagu.stack import Stack

CONCURRENCY = 16
SECONDS = 8.0
ROUNDS = 3


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="tsunagu-bench-") as directory, throwaway_postgres() as url:
        settings = Settings(var_dir=Path(directory), environment="test", secret_key="b" * 32,
                            registrations_per_minute=0, http_port=free_port(), amqp_port=free_amqp_port(),
                            smtp_port=free_port(), metrics_port=0, database_url=url)
        with Stack(settings) as stack:
            return _measure(stack)


def _measure(stack: Stack) -> dict:
    settings = stack.settings
    forum = published(settings, FORUM)
    path = f"/events/{forum['id']}/registrations"
    script = registration_script(path, forum["sessions"][0]["id"])
    print(f"\n== Registrations on PostgreSQL: one copy of the events service, then two ({CONCURRENCY} "
          f"concurrent, {SECONDS:.0f} s, {ROUNDS} rounds) ==")
    one, two = [], []
    for _ in range(ROUNDS):
        for copies, rates in ((1, one), (2, two)):
            if copies == 2:
                stack.start_service("events", instance="events-2")
                stack.wait_healthy()
            quiet_stack(stack)
            result = run_wrk(f"POST registrations, {copies} events cop{'y' if copies == 1 else 'ies'}",
                             settings.gateway_url + path, CONCURRENCY, SECONDS, script)
            if result.errors:
                raise RuntimeError(f"{result.errors} of {result.requests} registrations failed")
            rates.append(result.rate)
            if copies == 2:
                stack.stop_process("events-2")
    figures = {"one": statistics.median(one), "two": statistics.median(two)}
    figures["rounds"] = tuple(two_copies / one_copy for one_copy, two_copies in zip(one, two, strict=True))
    figures["ratio"] = statistics.median(figures["rounds"])  # as the summary's table gives it
    line(f"registrations/s with 2 copies of events ({figures['two']:.0f}) / with 1 ({figures['one']:.0f})",
         figures["ratio"])
    return figures
