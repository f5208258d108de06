"""Starting and stopping the local stack as people do: again at once after a stop, and after a start
that failed halfway."""
from __future__ import annotations

import subprocess

import httpx
import pytest

from tests.integration.conftest import stack_settings
from tests.integration.processes import processes_mentioning
from tsunagu.stack import Stack

TIME_WAIT = "06"


def connections_in_time_wait(port: int) -> int:
    """Sockets whose local port is `port` and whose state is TIME_WAIT (/proc/net/tcp, hex fields)."""
    count = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for row in table:
            fields = row.split()
            if int(fields[1].split(":")[1], 16) == port and fields[3] == TIME_WAIT:
                count += 1
    return count


@pytest.mark.slow
def test_stop_then_start_again_at_once_with_the_same_ports(tmp_path):
    settings = stack_settings(tmp_path / "var")
    with Stack(settings):
        for _ in range(20):  # the gateway closes each of these connections first: TIME_WAIT on its port
            answer = httpx.get(f"{settings.gateway_url}/events", headers={"Connection": "close"}, timeout=30)
            assert answer.status_code == 200
    assert connections_in_time_wait(settings.http_port) > 0
    with Stack(settings) as again:  # "127.0.0.1:PORT is already in use" before the port check used SO_REUSEADDR
        assert again.health()[0] == 200


def test_a_broker_start_that_fails_after_launch_leaves_nothing_running(tmp_path):
    settings = stack_settings(tmp_path / "var", broker_start_timeout=1)  # the node needs about 5 s to boot
    failing = Stack(settings)
    with pytest.raises(subprocess.CalledProcessError):
        failing.start_broker()
    assert (failing.broker_dir / "log" / "console.log").exists()  # it was launched, then stopped
    assert processes_mentioning(str(failing.broker_dir)) == []
    # the next start does not find a half-started node, and works
    working = Stack(settings.model_copy(update={"broker_start_timeout": 90}))
    working.start_broker()
    try:
        working.declare_topology()
    finally:
        working.stop_broker()
    assert processes_mentioning(str(working.broker_dir)) == []
