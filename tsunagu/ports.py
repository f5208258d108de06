"""Free local ports for stacks that run side by side (tests, benchmarks)."""
from __future__ import annotations

import random
import socket


def port_is_free(host: str, port: int) -> bool:
    """Bindable as a server binds it: with SO_REUSEADDR, so connections of a stopped server still in
    TIME_WAIT do not count as taken, while another listener does."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            return True
        except OSError:
            return False


def free_port(*offsets: int) -> int:
    """A free port below the kernel's ephemeral range (so no client socket takes it meanwhile);
    with `offsets`, port+offset must be free too."""
    rng = random.Random()
    for _ in range(1000):
        port = rng.randint(10000, 19999)
        if all(port_is_free("127.0.0.1", port + offset) for offset in (0, *offsets)):
            return port
    raise RuntimeError("no free port found")


def free_amqp_port() -> int:
    """RabbitMQ derives its management (+10000), distribution (+20000), epmd (+21000) and CLI (+30000)
    ports from the AMQP port: all must be free."""
    return free_port(10000, 20000, 21000, 30000)


def free_cluster_port(nodes: int = 3) -> int:
    """The first AMQP port of a cluster on loopback (rabbitmq.sh cluster-start): each node's AMQP port
    and the ports derived from it free, and the shared epmd's."""
    derived = (10000, 20000, 30000)
    return free_port(*(node + offset for node in range(nodes) for offset in (0, *derived) if node or offset), 21000)
