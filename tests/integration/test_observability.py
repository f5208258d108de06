"""What an operator sees from outside: one registration's path through every process, found by
grepping its request id in the JSON logs; the gateway's /metrics and each service's metrics port; an
ordinary 404 leaves no traceback anywhere."""
from __future__ import annotations

import json
import re
import time
import uuid

import httpx
import pytest

from tests.integration.conftest import Gateway, MailBox, stack_settings
from tests.integration.patience import PATIENCE
from tsunagu.ports import free_port
from tsunagu.stack import Stack


@pytest.fixture(scope="module")
def observed_stack(tmp_path_factory):
    settings = stack_settings(tmp_path_factory.mktemp("observed"), metrics_port=free_port(1, 2, 3, 4, 5))
    with Stack(settings) as running:
        yield running


def _log_lines(stack: Stack) -> list[dict]:
    """Every line of every part's log, each of which must be one JSON object."""
    lines = []
    for path in sorted(stack.log_dir.glob("*.log")):
        for number, text in enumerate(path.read_text().splitlines(), 1):
            if not text.startswith("{"):
                continue  # a library's print before logging was set up (eventlet's deprecation notice)
            line = json.loads(text)
            assert {"at", "service", "level", "logger", "message"} <= set(line), f"{path.name}:{number}"
            lines.append(line)
    return lines


def _metric(text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include `labels`."""
    total, found = 0.0, False
    for line in text.splitlines():
        match = re.match(rf"{name}(?:{{(.*)}})? (\S+)$", line)
        if match and all(f'{key}="{value}"' in (match.group(1) or "") for key, value in labels.items()):
            total, found = total + float(match.group(2)), True
    assert found, f"no {name} with {labels}"
    return total


def test_one_request_id_shows_a_registrations_whole_path(observed_stack):
    settings = observed_stack.settings
    http = httpx.Client(base_url=settings.gateway_url, timeout=30)
    gateway = Gateway(settings)
    event = gateway.new_event(capacity=10)
    assert gateway.publish(event["id"], force=True).status_code == 200
    request_id = f"reg-{uuid.uuid4()}"
    answer = http.post(f"/events/{event['id']}/registrations", headers={"X-Request-ID": request_id},
                       json={"display_name": "Trace", "email": "trace@example.org", "language": "vi"})
    assert answer.status_code == 201, answer.text
    assert answer.headers["x-request-id"] == request_id
    MailBox(settings.mail_dir).to("trace@example.org")

    deadline = time.monotonic() + PATIENCE
    while True:
        found = [line for line in _log_lines(observed_stack) if line.get("correlation_id") == request_id]
        services = {line["service"] for line in found}
        mailed = [line for line in found if line["service"] == "notifications" and "sent" in line["message"]]
        if {"gateway", "events", "notifications"} <= services and mailed or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    messages = [(line["service"], line["message"]) for line in found]
    assert ("gateway", "POST /events/{event_id}/registrations 201") in messages, messages
    assert any(service == "events" and message.startswith("published registration_confirmed")
               for service, message in messages), messages
    assert any(service == "notifications" and "applied registration_confirmed" in message
               for service, message in messages), messages
    assert mailed, messages
    assert not any("trace@example.org" in json.dumps(line) for line in _log_lines(observed_stack))


def test_an_unusable_request_id_is_replaced(observed_stack):
    http = httpx.Client(base_url=observed_stack.settings.gateway_url, timeout=30)
    answer = http.get("/health", headers={"X-Request-ID": "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])
    assert http.get("/health", headers={"X-Request-ID": "ok-1"}).headers["x-request-id"] == "ok-1"


def test_an_ordinary_404_leaves_no_traceback(observed_stack):
    http = httpx.Client(base_url=observed_stack.settings.gateway_url, timeout=30)
    request_id = f"missing-{uuid.uuid4().hex}"
    assert http.get(f"/events/{uuid.uuid4()}", headers={"X-Request-ID": request_id}).status_code == 404
    assert http.get("/no/such/page", headers={"X-Request-ID": request_id}).status_code == 404
    time.sleep(1)
    lines = _log_lines(observed_stack)
    assert not [line for line in lines if line.get("correlation_id") == request_id and line["level"] != "DEBUG"]
    assert not [line for line in lines if "exception" in line], [line["message"] for line in lines
                                                                  if "exception" in line]
    for path in observed_stack.log_dir.glob("*.log"):
        assert "Traceback" not in path.read_text(), path.name


def test_metrics_of_the_gateway_and_of_each_service(observed_stack):
    settings = observed_stack.settings
    gateway = httpx.get(f"{settings.gateway_url}/metrics", timeout=30)
    assert gateway.status_code == 200 and gateway.headers["content-type"].startswith("text/plain")
    assert _metric(gateway.text, "tsunagu_http_requests_total", method="POST",
                   route="/events/{event_id}/registrations", status="201") >= 1
    assert _metric(gateway.text, "tsunagu_http_request_seconds_count", route="/health") >= 1
    assert "/no/such/page" not in gateway.text  # unmatched paths are one series, not one per path
    ports = {"events": settings.metrics_port, "members": settings.metrics_port + 1,
             "notifications": settings.metrics_port + 2}
    read = {name: httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text for name, port in ports.items()}
    for name, text in read.items():
        assert _metric(text, "tsunagu_rpc_calls_total", service=name, method="ping", outcome="ok") >= 1
        assert _metric(text, "tsunagu_rpc_seconds_count", service=name) >= 1
    assert _metric(read["events"], "tsunagu_rpc_calls_total", service="events", outcome="refused") >= 1  # a 404
    assert _metric(read["events"], "tsunagu_outbox_lag_seconds", service="events") < 60
    assert _metric(read["notifications"], "tsunagu_events_consumed_total", service="notifications",
                   outcome="applied") >= 1
    assert _metric(read["notifications"], "tsunagu_mail_total", outcome="sent") >= 1


def test_a_second_copy_of_a_service_has_its_own_metrics_port(observed_stack):
    settings = observed_stack.settings
    observed_stack.start_service("events", instance="events-2")
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                text = httpx.get(f"http://127.0.0.1:{settings.metrics_port + 3}/metrics", timeout=5).text
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the second copy's metrics port never answered"
                time.sleep(0.3)
        assert "tsunagu_rpc_calls_total" in text or "tsunagu_rpc_seconds" in text
    finally:
        observed_stack.stop_process("events-2")


def test_with_two_gateway_processes_metrics_count_the_requests_of_both(observed_stack):
    stack = observed_stack
    stack.stop_process("gateway")
    stack.settings.http_workers = 2
    try:
        stack.start_gateway()
        stack.wait_healthy()
        http = httpx.Client(base_url=stack.settings.gateway_url, timeout=30)
        for _ in range(40):  # new connections: the kernel spreads them over both processes
            httpx.get(f"{stack.settings.gateway_url}/feeds", timeout=30)
        counts = {_metric(http.get("/metrics").text, "tsunagu_http_requests_total", route="/feeds")
                  for _ in range(10)}
        assert min(counts) >= 40, counts
    finally:
        stack.stop_process("gateway")
        stack.settings.http_workers = 1
        stack.start_gateway()
        stack.wait_healthy()
