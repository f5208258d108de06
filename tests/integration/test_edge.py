"""The running gateway and stack at their edges: hostile bodies, logs that stay small, private files."""
from __future__ import annotations

import re
import socket
import stat
import time
import uuid
from pathlib import Path

import httpx

from tests.integration.patience import PATIENCE

MB = 1024 * 1024


def peak_memory(pid: int) -> int:
    """The process's peak resident memory so far, in bytes (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def raw_request(port: int, head: bytes, body_chunks=()) -> bytes:
    """Sends a request as a client would; the server may answer (and close) before the body is sent."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(head)
        try:
            for chunk in body_chunks:
                connection.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-body: what we want
        answer = b""
        try:
            while data := connection.recv(65536):
                answer += data
        except ConnectionResetError:
            pass
        return answer


def test_a_body_announced_too_large_is_refused_before_it_is_sent(stack):
    port = stack.settings.http_port
    answer = raw_request(port, b"POST /lists/general/subscriptions HTTP/1.1\r\nHost: x\r\n"
                               b"Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]  # answered though not one byte was sent
    assert b"application/problem+json" in answer and b"larger than 1 MB" in answer


def test_a_streamed_100_mb_body_is_cut_off_and_never_held_in_memory(stack):
    gateway = stack.processes["gateway"].pid
    before = peak_memory(gateway)
    chunk = b"7" * MB
    answer = raw_request(stack.settings.http_port,
                         b"POST /lists/general/subscriptions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n",
                         (b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(100)))
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert peak_memory(gateway) - before < 32 * MB  # it was +190 MB when the whole body was read


def file_size_once_quiet(path: Path) -> int:
    """The file's size once nothing has been added to it for half a second (the log pump caught up)."""
    size = -1
    while size != path.stat().st_size:
        size = path.stat().st_size
        time.sleep(0.5)
    return size


def test_a_thousand_404s_leave_the_service_log_almost_unchanged(stack):
    log = stack.log_dir / "events.log"
    before = file_size_once_quiet(log)
    with httpx.Client(base_url=stack.settings.gateway_url, timeout=30) as http:
        for _ in range(1000):
            assert http.get(f"/events/{uuid.uuid4()}").status_code == 404
    grown = file_size_once_quiet(log) - before
    assert grown < 4096, f"{grown} bytes more, ending with: {log.read_text()[-2000:]}"  # was 1.2 MB


def test_nothing_under_var_is_readable_by_others(stack, gateway, mailbox):
    address = f"private-{uuid.uuid4().hex[:8]}@example.org"
    assert gateway.http.post("/lists/general/subscriptions", json={"email": address}).status_code == 202
    deadline = time.monotonic() + PATIENCE
    while not any(address in m["X-Sink-Envelope-To"] for m in mailbox.messages()) and time.monotonic() < deadline:
        time.sleep(0.25)
    var = stack.settings.var_dir
    written = [path for path in var.rglob("*") if not path.is_symlink()]
    kinds = {path.suffix for path in written}
    assert {".eml", ".db", ".log"} <= kinds  # mail, databases and logs are all there to be checked
    assert (var / "rabbitmq" / "mnesia").is_dir()
    readable = [f"{oct(stat.S_IMODE(path.stat().st_mode))} {path.relative_to(var)}" for path in [var, *written]
                if stat.S_IMODE(path.stat().st_mode) & 0o077]
    assert readable == []


def test_the_api_docs_load_nothing_from_another_host(stack):
    with httpx.Client(base_url=stack.settings.gateway_url, timeout=30) as http:
        page = http.get("/docs")
        assert page.status_code == 200 and "default-src 'none'" in page.headers["content-security-policy"]
        assert re.findall(r"https?://", page.text) == []
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert len(assets) == 3
        for asset in assets:
            answer = http.get(asset)
            assert answer.status_code == 200 and answer.headers["x-content-type-options"] == "nosniff", asset
