"""The benchmarks' baselines answer what they stand for — a benchmark whose baseline fails measures
nothing (the directory's stopped at a changed signature, the 304's fixed body at the access rules)."""
from __future__ import annotations

from fastapi.testclient import TestClient

from bench import directory
from bench.feed_server import FIXED_PATH, app_with_fixed_body
from services.gateway.access import RULES, Rule, Who


def test_the_fixed_body_beside_the_feed_is_served_to_anyone(monkeypatch, tmp_path):
    monkeypatch.setenv("TSUNAGU_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TSUNAGU_ENVIRONMENT", "test")
    monkeypatch.setitem(RULES, ("GET", FIXED_PATH), Rule(Who.PUBLIC))  # gone again after: the product's rules
    answer = TestClient(app_with_fixed_body(b"BEGIN:VCALENDAR\r\n")).get(FIXED_PATH)
    assert answer.status_code == 200 and answer.content == b"BEGIN:VCALENDAR\r\n"


def test_the_directory_benchmark_runs_its_queries_and_finds_what_the_bare_sql_finds(monkeypatch):
    monkeypatch.setattr(directory, "MEMBERS", 2_000)
    monkeypatch.setattr(directory, "ROUNDS", 1)
    monkeypatch.setattr(directory, "REPEAT", 1)
    measured = directory.run()  # asserts, query by query, that both found as many entries
    assert len(measured["worst"]) == 1 and len(measured["japanese_ms"]) == 1
