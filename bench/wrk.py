"""HTTP load from wrk (Debian's package): a load generator in C, so the figures measure Tsunagu, not a
Python HTTP client competing with it for the same two cores."""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class WrkResult:
    name: str
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int

    def line(self) -> str:
        return (f"{self.name:<34} {self.rate:9.1f} req/s   p50 {self.p50_ms:7.2f} ms   "
                f"p99 {self.p99_ms:7.2f} ms   ({self.requests} requests, {self.errors} errors)")


def _milliseconds(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * _UNITS[unit]


def run_wrk(name: str, url: str, connections: int, seconds: float, lua: str | None = None,
            headers: dict[str, str] | None = None) -> WrkResult:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (make bench installs it)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:.0f}s", "--latency", "--timeout", "10s"]
        if lua:
            script.write(lua)
            script.flush()
            args += ["-s", script.name]
        for header, value in (headers or {}).items():
            args += ["-H", f"{header}: {value}"]
        output = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(\d+)%\s+(\S+)$", output, re.MULTILINE))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in socket_errors.groups())
    return WrkResult(name, float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
                     _milliseconds(percentiles["50"]), _milliseconds(percentiles["99"]), requests, failed)


def registration_script(path: str, session_id: str) -> str:
    """Each request a different person (emails are unique per registration), half of them choosing the
    plenary, one in five asking for interpretation."""
    return f"""
local next_thread = 0
function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
end
function init(args)
  n = 0
end
function request()
  n = n + 1
  local sessions = (n % 2 == 1) and '"{session_id}"' or ''
  local needs = (n % 5 == 0) and '{{"interpretation":[{{"source":"ja","target":"vi"}}]}}' or '{{}}'
  local body = string.format(
    '{{"display_name":"参加者 %d-%d","email":"p%d-%d@example.org","language":"vi","session_ids":[%s],"needs":%s}}',
    tid, n, tid, n, sessions, needs)
  return wrk.format("POST", "{path}", {{["Content-Type"] = "application/json"}}, body)
end
"""
