"""The gateway's asyncio client of nameko's RPC protocol against a real broker and a real nameko
service (tests/integration/probe_service.py): answers reach their own callers, errors arrive as
themselves, an unknown service is told at once, a call that timed out never runs later, a late reply
is dropped and counted, and the client lives through a broker restart under load."""
from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from nameko.exceptions import RemoteError

from services.gateway.bus import Bus, BusError, BusUnavailable, CallTimedOut, UnknownService
from shared.errors import NotFound
from tests.integration.conftest import stack_settings
from tests.integration.patience import PATIENCE
from tsunagu.stack import ROOT, Stack

PROBE = "gateway_probe"


class Probe:
    """The probe service as a process of its own, which a test may stop and start again."""

    def __init__(self, amqp_uri: str, record_file: Path):
        self.amqp_uri = amqp_uri
        self.record_file = record_file
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "tests.integration.probe_service", self.amqp_uri,
                                         str(self.record_file)], cwd=ROOT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)
        self.process = None

    def recorded(self) -> list[str]:
        return self.record_file.read_text().split() if self.record_file.exists() else []


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    stack = Stack(stack_settings(tmp_path_factory.mktemp("bus")))
    stack.start_broker()
    try:
        yield stack
    finally:
        stack.stop_broker()


@pytest.fixture(scope="module")
def probe(broker, tmp_path_factory):
    running = Probe(broker.settings.amqp_uri, tmp_path_factory.mktemp("probe") / "recorded")
    running.start()
    try:
        yield running
    finally:
        running.stop()


async def started_bus(amqp_uri: str, timeout: float = 20.0) -> Bus:
    bus = Bus(amqp_uri, timeout)
    await bus.start(PATIENCE)
    assert bus.connected
    # the probe may still be starting: wait until it answers
    deadline = time.monotonic() + PATIENCE
    while True:
        try:
            await bus.call(PROBE, "echo", (0, 0), timeout=2)
            return bus
        except BusError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


def test_answers_errors_and_an_unknown_service(probe):
    async def scenario():
        bus = await started_bus(probe.amqp_uri)
        try:
            assert await bus.call(PROBE, "echo", (7, 1)) == {"caller": 7, "n": 1}
            assert await bus.call(PROBE, "echo", (), {"caller": 8, "n": 2}) == {"caller": 8, "n": 2}
            with pytest.raises(NotFound) as missing:
                await bus.call(PROBE, "missing", ("小冊子",))
            assert missing.value.field == "thing" and "小冊子" in missing.value.detail
            with pytest.raises(RemoteError) as broken:
                await bus.call(PROBE, "broken")
            assert broken.value.exc_type == "KeyError"
            started = time.monotonic()
            with pytest.raises(UnknownService):
                await bus.call("no_such_service", "anything", timeout=30)
            assert time.monotonic() - started < 10, "an unknown service is told at once, not after the timeout"
        finally:
            await bus.stop()
    asyncio.run(scenario())


def test_a_call_that_timed_out_never_runs_later(probe):
    async def scenario():
        bus = await started_bus(probe.amqp_uri)
        probe.stop()  # its queue stays: a request waits there for it
        tag = f"late-{uuid.uuid4().hex[:8]}"
        try:
            with pytest.raises(CallTimedOut):
                await bus.call(PROBE, "record", (tag,), timeout=1.0)
            await asyncio.sleep(1.5)  # past the request's expiration
            probe.start()
            control = f"control-{uuid.uuid4().hex[:8]}"
            assert await bus.call(PROBE, "record", (control,), timeout=PATIENCE) == control
            assert tag not in probe.recorded() and control in probe.recorded()
        finally:
            await bus.stop()
            if probe.process is None:
                probe.start()
    asyncio.run(scenario())


def test_a_late_reply_is_dropped_and_counted(probe):
    async def scenario():
        bus = await started_bus(probe.amqp_uri)
        try:
            with pytest.raises(CallTimedOut):
                await bus.call(PROBE, "echo", (1, 1, 2.0), timeout=0.5)  # the probe takes it, answers late
            assert await asyncio.wait_for(_late_reply_seen(bus), PATIENCE)
            assert await bus.call(PROBE, "echo", (2, 2)) == {"caller": 2, "n": 2}
            assert bus.stats.late_replies == 1 and bus.stats.stray_replies == 0
        finally:
            await bus.stop()
    asyncio.run(scenario())


async def _late_reply_seen(bus: Bus) -> bool:
    while not bus.stats.late_replies:
        await asyncio.sleep(0.1)
    return True


CALLERS = 30
CALLS_AFTER_RESTART = 300


def test_every_answer_reaches_its_own_caller_across_a_broker_restart(broker, probe):
    """Hundreds of concurrent calls, some slow, each answer naming its request; the broker is
    restarted under them. Calls in flight fail fast as BusError, none gets another's answer, and
    calls succeed again without a new client."""
    answered: list[tuple[int, int]] = []
    failed: list[tuple[float, BusError]] = []

    async def caller(bus: Bus, me: int, stop: asyncio.Event) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            seconds = random.choice((0.0, 0.0, 0.0, 0.05, 0.3))
            started = time.monotonic()
            try:
                answer = await bus.call(PROBE, "echo", (me, n, seconds), timeout=5)
            except BusError as exc:
                failed.append((time.monotonic() - started, exc))
                await asyncio.sleep(0.05)
                continue
            assert answer == {"caller": me, "n": n}, f"caller {me} call {n} got {answer}"
            answered.append((me, n))

    async def scenario():
        bus = await started_bus(probe.amqp_uri)
        stop = asyncio.Event()
        callers = [asyncio.create_task(caller(bus, me, stop)) for me in range(CALLERS)]
        try:
            while len(answered) < 300:
                await asyncio.sleep(0.05)
            await asyncio.to_thread(broker.stop_broker)
            lost_at = len(failed)
            await asyncio.sleep(1)
            await asyncio.to_thread(broker.start_broker)
            before = len(answered)
            deadline = time.monotonic() + PATIENCE
            while len(answered) < before + CALLS_AFTER_RESTART and time.monotonic() < deadline:
                # nameko lets a service die when the broker goes while it answers, sometimes seconds
                # later; the client is what is tested here, so a probe that died is started again (as
                # the supervisor of `make run` does with the stack's services)
                if probe.process.poll() is not None:
                    probe.start()
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            await asyncio.gather(*callers)
            await bus.stop()
        assert len(answered) >= before + CALLS_AFTER_RESTART, "calls did not succeed again after the restart"
        assert len(failed) > lost_at, "the restart was never noticed"
        in_flight = [exc for _, exc in failed if isinstance(exc, BusUnavailable) and "lost" in exc.reason]
        assert in_flight, "no call in flight was failed when the connection went"
        assert all(seconds < 5 for seconds, exc in failed if exc in in_flight), "calls in flight failed fast"
        assert bus.stats.reconnects >= 1
        assert len(set(answered)) == len(answered)
    asyncio.run(scenario())
