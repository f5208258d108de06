"""Free local ports for stacks that run side by side (tests, benchmarks)."""
from __future__ import annotations

import random
import socket


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port(*offsets: int) -> int:
    """A free port below the kernel's ephemeral range (so no client socket takes it meanwhile);
    with `offsets`, port+offset must be free too."""
    rng = random.Random()
    for _ in range(1000):
        port = rng.randint(10000, 19999)
        if all(_bindable(port + offset) for offset in (0, *offsets)):
            return port
    raise RuntimeError("no free port found")


def free_amqp_port() -> int:
    """RabbitMQ derives its management (+10000), distribution (+20000), epmd (+21000) and CLI (+30000)
    ports from the AMQP port: all must be free."""
    return free_port(10000, 20000, 21000, 30000)
