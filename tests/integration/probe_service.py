"""A nameko service the bus client's tests call: it answers with its own arguments (so a test can tell
whose answer it got), sleeps when asked, raises on demand, and writes down each `record` it runs.

Run as `python -m tests.integration.probe_service AMQP_URI RECORD_FILE`."""
from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402 — after the warnings filter: eventlet warns on import

eventlet.monkey_patch()

import signal  # noqa: E402 — after eventlet.monkey_patch(), which must come first
import sys  # noqa: E402 — after eventlet.monkey_patch(), which must come first
from pathlib import Path  # noqa: E402 — after eventlet.monkey_patch(), which must come first

from nameko.rpc import rpc  # noqa: E402 — after eventlet.monkey_patch(), which must come first
from nameko.runners import ServiceRunner  # noqa: E402 — after eventlet.monkey_patch(), which must come first

from shared.errors import NotFound  # noqa: E402 — after eventlet.monkey_patch(), which must come first

PROBE = "gateway_probe"
RECORD_FILE = Path()


class ProbeService:
    name = PROBE

    @rpc
    def echo(self, caller: int, n: int, seconds: float = 0.0) -> dict:
        if seconds:
            eventlet.sleep(seconds)
        return {"caller": caller, "n": n}

    @rpc
    def record(self, tag: str) -> str:
        with RECORD_FILE.open("a") as file:
            file.write(tag + "\n")
        return tag

    @rpc
    def missing(self, thing: str) -> None:
        raise NotFound(f"no {thing} here", "thing")

    @rpc
    def broken(self) -> None:
        raise KeyError("internal detail")


def main(amqp_uri: str, record_file: str) -> None:
    global RECORD_FILE
    RECORD_FILE = Path(record_file)
    runner = ServiceRunner({"AMQP_URI": amqp_uri, "max_workers": 40, "serializer": "json"})
    runner.add_service(ProbeService)
    signal.signal(signal.SIGTERM, lambda *_: eventlet.spawn_n(runner.stop))
    runner.start()
    runner.wait()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
