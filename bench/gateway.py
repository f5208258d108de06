"""The gateway against the bare nameko RPC echo measured in the same run (`python -m bench gateway`).

Eight concurrent clients (wrk for HTTP, threads with pooled standalone proxies for the echo), rounds
alternating echo and gateway so that the machine's own drift shows between rounds. Every figure is one
line ending in `ratio=<x>`:

- reading an event, `GET /events/{id}` (HTTP → gateway → RPC → events service → database): goal ≥ 0.8×;
- registering (… → lock the event, decide, insert, outbox row, commit): goal ≥ 0.75×;
- p99 / p50 of both: goal ≤ 2.5;
- the gateway's CPU per request (from /proc, the gateway and its workers), beside the echo service's
  CPU per call;
- the whole machine's CPU per registration, from the load's start until the stack has drained (the
  registrant's mail sent), beside the machine's CPU per echo call, and the registrations / echo ratio the
  machine's cores could sustain at that cost (every core busy, each registration's mail sent as it
  comes, nothing else running): how far the goal above is from what this machine can do, whatever the
  services' design. A burst of 8 s may go beyond it, its last mail sent after it;
- `GET /events/{id}` with 2 gateway processes (TSUNAGU_HTTP_WORKERS=2) beside 1;
- `GET /events/{id}` by a signed-in person (their session cookie: the gateway reads the signed claim and
  vouches for them to the service, which verifies it) beside the same request by nobody: goal ≥ 0.9×;
- the event's page for people, `GET /event/{id}` as a phone asking for Vietnamese (the same RPC, then the
  page rendered from its templates in that language) beside `GET /events/{id}` as JSON: goal ≥ 0.8×.
"""
from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bench.environment import Running, cpu_seconds, machine_cpu_seconds, measure_echo, organizer_headers, session_cookie
from bench.summary import Goal
from bench.wrk import WrkResult, registration_script, run_wrk
from shared.bus.parts import BrokerPart
from shared.bus.topology import DEAD_LETTERS
from shared.settings import Settings
from tsunagu.stack import Stack

CONCURRENCY = 8
CORES = os.cpu_count() or 1
SECONDS = 8.0
ROUNDS = 3
AT_REST_SECONDS = 2.0  # how long the machine's background is measured before a load it is taken out of
ECHO_WARMUP = 1.0  # seconds run_load calls before it measures: its calls cost CPU too
GOALS = {"read": Goal(at_least=0.8), "register": Goal(at_least=0.75), "tail": Goal(at_most=2.5),
         "signed_in": Goal(at_least=0.9), "event_page": Goal(at_least=0.8)}
PHONE_IN_VIETNAMESE = {"Accept": "text/html,application/xhtml+xml", "Accept-Language": "vi-VN,vi;q=0.9"}

READ_EVENT = {"kind": "symposium", "title": {"ja": "ベンチマーク"}, "region": "chubu-tokai",
              "starts_at": "2027-06-18T10:00:00", "ends_at": "2027-06-19T16:00:00"}
FORUM = {"kind": "national_forum", "title": {"ja": "全国フォーラム（負荷試験）"}, "region": "chubu-tokai",
         "capacity": 100_000, "starts_at": "2027-06-18T10:00:00", "ends_at": "2027-06-19T16:00:00",
         "sessions": [{"kind": "plenary", "title": {"ja": "全体会"}, "starts_at": "2027-06-18T10:00:00",
                       "ends_at": "2027-06-18T12:00:00"}]}


@dataclass(frozen=True)
class Round:
    echo_rate: float
    echo_cpu_ms: float
    echo_machine_ms: float
    read: WrkResult
    read_cpu_ms: float
    register: WrkResult
    register_cpu_ms: float
    register_machine_ms: float
    signed_in: WrkResult
    page: WrkResult


def published(settings: Settings, draft: dict) -> dict:
    event = httpx.post(f"{settings.gateway_url}/events", headers=organizer_headers(settings), json=draft, timeout=30)
    event.raise_for_status()
    httpx.post(f"{settings.gateway_url}/events/{event.json()['id']}/publish", headers=organizer_headers(settings),
               params={"force": "true"}, timeout=30).raise_for_status()
    return event.json()


def quiet(running: Running) -> None:
    quiet_stack(running.stack)


def quiet_stack(stack: Stack, most_busy: float = 0.1, longest: float = 120.0) -> None:
    """Wait until the stack has done what the last load left behind, so each round starts drained: every
    queue on the broker empty (no event waiting or being handled) and the parts idle for a second (each
    registration also sends its registrant a mail, which the notifications service works off for a while
    after the load stopped; that work must not be counted against the next measurement)."""
    pids = [process.pid for process in stack.processes.values()]
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        before = cpu_seconds(*pids)
        time.sleep(1.0)
        if cpu_seconds(*pids) - before < most_busy and _queues_empty(stack.settings):
            return
    print(f"(the stack was still busy after {longest:.0f} s)")


def _queues_empty(settings: Settings) -> bool:
    """No message ready or unacknowledged on any queue (the broker's management API, as the operator) but
    the dead letters, which are kept there on purpose until someone replays them."""
    answer = httpx.get(f"http://127.0.0.1:{settings.amqp_management_port}/api/queues",
                       params={"columns": "name,messages"}, timeout=10,
                       auth=settings.amqp_credentials(BrokerPart.OPERATOR))
    answer.raise_for_status()
    return all(not queue.get("messages") for queue in answer.json() if queue["name"] != DEAD_LETTERS)


def under_load(running: Running, load: Callable[[], WrkResult]) -> tuple[WrkResult, float]:
    """The load's result and the gateway's CPU milliseconds per request meanwhile, on a quiet stack."""
    quiet(running)
    pid = running.stack.processes["gateway"].pid
    before = cpu_seconds(pid)
    result = load()
    if result.errors:
        raise RuntimeError(f"{result.errors} of {result.requests} requests failed: {result.name}")
    return result, (cpu_seconds(pid) - before) * 1000 / result.requests


def echo_round(running: Running) -> tuple[float, float, float]:
    """The bare echo's rate, its service's CPU milliseconds per call and the machine's, on a quiet stack."""
    quiet(running)
    before, machine_before = cpu_seconds(running.echo_pid), machine_cpu_seconds()
    echo = measure_echo(running.settings, CONCURRENCY, SECONDS)
    calls = echo.rate * (SECONDS + ECHO_WARMUP)
    return (echo.rate, (cpu_seconds(running.echo_pid) - before) * 1000 / calls,
            (machine_cpu_seconds() - machine_before) * 1000 / calls)


def through_drain(running: Running, load: Callable[[], WrkResult]) -> tuple[WrkResult, float, float]:
    """`under_load`, and the machine's CPU milliseconds per request from the load's start until the stack
    is quiet again: the work each request leaves behind (a registrant's mail) counted with it, the
    machine's own background (its rate measured at rest just before) taken out."""
    quiet(running)
    at_rest, rested_from = machine_cpu_seconds(), time.monotonic()
    time.sleep(AT_REST_SECONDS)
    background = (machine_cpu_seconds() - at_rest) / (time.monotonic() - rested_from)
    before, started = machine_cpu_seconds(), time.monotonic()
    result, gateway_cpu = under_load(running, load)
    quiet(running)
    work = machine_cpu_seconds() - before - background * (time.monotonic() - started)
    return result, gateway_cpu, work * 1000 / result.requests


def with_gateway_workers(running: Running, workers: int) -> None:
    stack = running.stack
    stack.stop_process("gateway")
    stack.settings.http_workers = workers
    stack.start_gateway()
    stack.wait_healthy()


def line(text: str, ratio: float) -> None:
    print(f"{text:<100} ratio={ratio:.2f}")


def run(running: Running) -> dict:
    settings = running.settings
    read_event = published(settings, READ_EVENT)
    read_url = f"{settings.gateway_url}/events/{read_event['id']}"
    page_url = f"{settings.gateway_url}/event/{read_event['id']}"
    forum = published(settings, FORUM)
    path = f"/events/{forum['id']}/registrations"
    script = registration_script(path, forum["sessions"][0]["id"])
    cookie = {"Cookie": session_cookie(settings)}

    print(f"\n== The gateway vs the bare nameko RPC echo ({CONCURRENCY} concurrent, {SECONDS:.0f} s, "
          f"{ROUNDS} rounds) ==")
    rounds = []
    for number in range(1, ROUNDS + 1):
        echo_rate, echo_cpu, echo_machine = echo_round(running)
        read, read_cpu = under_load(running, lambda: run_wrk("GET /events/{id}", read_url, CONCURRENCY, SECONDS))
        register, register_cpu, register_machine = through_drain(running, lambda: run_wrk(
            "POST registrations", settings.gateway_url + path, CONCURRENCY, SECONDS, script))
        signed_in, _ = under_load(running, lambda: run_wrk("GET /events/{id}, signed in", read_url, CONCURRENCY,
                                                            SECONDS, headers=cookie))
        page, _ = under_load(running, lambda: run_wrk("GET /event/{id}, the page in Vietnamese", page_url, CONCURRENCY,
                                                       SECONDS, headers=PHONE_IN_VIETNAMESE))
        rounds.append(Round(echo_rate, echo_cpu, echo_machine, read, read_cpu, register, register_cpu,
                            register_machine, signed_in, page))
        for result in (read, register):
            line(f"round {number}: {result.line()}   echo {echo_rate:.1f} calls/s", result.rate / echo_rate)
        line(f"round {number}: {signed_in.line()}   nobody {read.rate:.1f} req/s", signed_in.rate / read.rate)
        line(f"round {number}: {page.line()}   JSON {read.rate:.1f} req/s", page.rate / read.rate)

    def each(figure: Callable[[Round], float]) -> tuple[float, ...]:
        return tuple(figure(one_round) for one_round in rounds)

    def median(figure: Callable[[Round], float]) -> float:
        return statistics.median(each(figure))
    per_round = {
        "read": each(lambda r: r.read.rate / r.echo_rate),
        "register": each(lambda r: r.register.rate / r.echo_rate),
        "read_tail": each(lambda r: r.read.p99_ms / r.read.p50_ms),
        "register_tail": each(lambda r: r.register.p99_ms / r.register.p50_ms),
        "read_cpu_ms": each(lambda r: r.read_cpu_ms),
        "register_cpu_ms": each(lambda r: r.register_cpu_ms),
        "echo_cpu_ms": each(lambda r: r.echo_cpu_ms),
        "echo_machine_ms": each(lambda r: r.echo_machine_ms),
        "register_machine_ms": each(lambda r: r.register_machine_ms),
        "register_sustained": each(lambda r: CORES * 1000 / r.register_machine_ms / r.echo_rate),
        "signed_in": each(lambda r: r.signed_in.rate / r.read.rate),
        "event_page": each(lambda r: r.page.rate / r.read.rate),
    }
    figures = {name: statistics.median(values) for name, values in per_round.items()}
    print(f"-- medians of {ROUNDS} rounds --")
    line(f"GET /events/{{id}} / echo (goal {GOALS['read']})", figures["read"])
    line(f"registrations / echo (goal {GOALS['register']})", figures["register"])
    line(f"GET /events/{{id}} p99 / p50 (goal {GOALS['tail']})", figures["read_tail"])
    line(f"registrations p99 / p50 (goal {GOALS['tail']})", figures["register_tail"])
    line(f"GET /events/{{id}} signed in (session cookie) / by nobody (goal {GOALS['signed_in']})",
         figures["signed_in"])
    line(f"GET /event/{{id}}, the page in Vietnamese / GET /events/{{id}} JSON (goal {GOALS['event_page']})",
         figures["event_page"])
    line(f"gateway CPU per GET {figures['read_cpu_ms']:.2f} ms / echo service CPU per call "
         f"{figures['echo_cpu_ms']:.2f} ms", figures["read_cpu_ms"] / figures["echo_cpu_ms"])
    line(f"gateway CPU per registration {figures['register_cpu_ms']:.2f} ms / echo service CPU per call "
         f"{figures['echo_cpu_ms']:.2f} ms", figures["register_cpu_ms"] / figures["echo_cpu_ms"])
    line(f"machine CPU per registration through its mail {figures['register_machine_ms']:.2f} ms / per echo call "
         f"{figures['echo_machine_ms']:.2f} ms", figures["register_machine_ms"] / figures["echo_machine_ms"])
    line(f"registrations / echo that {CORES} cores could sustain at that cost, mail included",
         figures["register_sustained"])

    one = median(lambda r: r.read.rate)
    with_gateway_workers(running, 2)
    try:
        two, two_cpu = under_load(running, lambda: run_wrk("GET /events/{id}, 2 gateway processes", read_url,
                                                           CONCURRENCY, SECONDS))
    finally:
        with_gateway_workers(running, 1)
    line(f"{two.line()}; CPU {two_cpu:.2f} ms/request; 1 process: {one:.1f} req/s", two.rate / one)
    figures["two_workers"] = two.rate / one
    per_round["two_workers"] = (two.rate / one,)
    return {**figures, "rounds": per_round}
