"""Fixtures shared by every kind of test: free ports, a throwaway PostgreSQL, databases to test on."""
from __future__ import annotations

import random
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port(*offsets: int) -> int:
    """A free port below the kernel's ephemeral range (so no client socket takes it meanwhile);
    with `offsets`, port+offset must be free too (RabbitMQ derives ports from its AMQP port)."""
    rng = random.Random()
    for _ in range(1000):
        port = rng.randint(10000, 19999)
        if all(_bindable(port + offset) for offset in (0, *offsets)):
            return port
    raise RuntimeError("no free port found")


def free_amqp_port() -> int:
    return free_port(10000, 20000, 21000, 30000)


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL cluster for this test session only, removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="tsunagu-pg-"))
    port = free_port()
    script = ROOT / "deploy" / "local" / "postgres.sh"
    subprocess.run([str(script), "start", str(directory), str(port)], check=True)
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/tsunagu"
    finally:
        subprocess.run([str(script), "stop", str(directory)], check=False)
        shutil.rmtree(directory, ignore_errors=True)
