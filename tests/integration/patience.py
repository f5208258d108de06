"""How long an integration test waits for an effect before it gives up.

A test asserts what happens, never how fast: a cold CI machine on two busy cores can take many times
longer than a developer's laptop, and speed is measured by the benchmarks in bench/, against a
baseline of the same run. So every wait for mail, a dead letter, a job or a service uses PATIENCE,
and a test that passes fast on a quick machine still passes, later, on a slow one.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
PATIENCE = float(os.environ.get("TSUNAGU_TEST_PATIENCE", "180"))


def eventually(check: Callable[[], T], timeout: float = PATIENCE, interval: float = 0.25) -> T:
    """`check()` once it is truthy, or its last (falsy) value after `timeout`: the caller asserts."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)
