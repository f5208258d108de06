"""Driving the running stack from a test: a call straight to a service over the bus, a member import
through the gateway followed to its end."""
from __future__ import annotations

import time

import httpx

from shared.rpc import RpcPool
from tests.integration.patience import PATIENCE


def rpc_call(stack, service: str, method: str, *args):
    pool = RpcPool.for_operator(stack.settings, 1, timeout=30)
    try:
        with pool.services() as rpc:
            return getattr(getattr(rpc, service), method)(*args)
    finally:
        pool.close()


def import_file(http: httpx.Client, content: bytes, dry_run: bool = False, timeout: float = 120) -> dict:
    """POST the file, then poll its job until it is finished: the job's last state."""
    answer = http.post("/members/import", params={"dry_run": "true"} if dry_run else None, content=content,
                       headers={"content-type": "text/csv"})
    assert answer.status_code == 202, answer.text
    return wait_for_job(http, answer.headers["location"], timeout)


def wait_for_job(http: httpx.Client, location: str, timeout: float = PATIENCE, while_running=lambda _job: None) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = http.get(location).json()
        if job["status"] not in ("queued", "running"):
            return job
        assert time.monotonic() < deadline, f"the import did not finish: {job}"
        while_running(job)
        time.sleep(0.2)
