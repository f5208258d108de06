"""Closed-loop load from threads for a fixed time, with throughput and latency percentiles."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    def line(self) -> str:
        return (f"{self.name:<34} {self.rate:9.1f} req/s   p50 {self.percentile(50):7.2f} ms   "
                f"p99 {self.percentile(99):7.2f} ms   ({self.requests} requests)")


def run_load(name: str, make_client: Callable[[], Callable[[], None]], threads: int, seconds: float,
             warmup: float = 1.0) -> Result:
    """Each thread builds its own client (`make_client()` returns the call to repeat)."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    start_gate = threading.Barrier(threads + 1)
    stop = threading.Event()
    measuring = threading.Event()

    def worker(index: int) -> None:
        call = make_client()
        start_gate.wait()
        while not stop.is_set():
            began = time.perf_counter()
            call()
            if measuring.is_set():
                latencies[index].append((time.perf_counter() - began) * 1000)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    start_gate.wait()
    time.sleep(warmup)
    measuring.set()
    began = time.perf_counter()
    time.sleep(seconds)
    measuring.clear()
    elapsed = time.perf_counter() - began
    stop.set()
    for thread in pool:
        thread.join()
    merged = [value for chunk in latencies for value in chunk]
    return Result(name, len(merged), elapsed, merged)

