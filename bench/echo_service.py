"""A bare nameko RPC service that answers with what it is given: the baseline of the bus's cost."""
from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402 — after the warnings filter: eventlet warns on import

eventlet.monkey_patch()

import signal  # noqa: E402 — after eventlet.monkey_patch(), which must come first
import sys  # noqa: E402 — after eventlet.monkey_patch(), which must come first

from nameko.rpc import rpc  # noqa: E402 — after eventlet.monkey_patch(), which must come first
from nameko.runners import ServiceRunner  # noqa: E402 — after eventlet.monkey_patch(), which must come first


class EchoService:
    name = "bench_echo"

    @rpc
    def echo(self, payload):
        return payload


def main(amqp_uri: str) -> None:
    runner = ServiceRunner({"AMQP_URI": amqp_uri, "max_workers": 10, "serializer": "json"})
    runner.add_service(EchoService)
    signal.signal(signal.SIGTERM, lambda *_: eventlet.spawn_n(runner.stop))
    runner.start()
    runner.wait()


if __name__ == "__main__":
    main(sys.argv[1])
