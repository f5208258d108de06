"""deploy/prometheus and deploy/grafana speak of metrics that exist, of jobs that are scraped, at the ports
the services listen on."""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

import shared.metrics  # noqa: F401 — declares the metrics on the default registry
from shared.observability import metrics_port
from shared.settings import SERVICE_NAMES, Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY.parent / "docker-compose.yml"


def _exposed() -> set[str]:
    """Every series name Tsunagu's processes expose (counters' _total, histograms' _bucket…)."""
    names = set()
    for family in REGISTRY.collect():
        if family.name.startswith("tsunagu_"):
            names.add(family.name)
            names.update(sample.name for sample in family.samples)
            names.update(f"{family.name}{suffix}" for suffix in ("_total", "_bucket", "_count", "_sum"))
    return names


def _tsunagu_names(expression: str) -> set[str]:
    return set(re.findall(r"\btsunagu_[a-z_]+\b", expression))


def _alert_rules() -> list[dict]:
    return yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"][0]["rules"]


def test_the_dashboard_and_the_alerts_use_only_metrics_that_exist():
    exposed = _exposed()
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "tsunagu.json").read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    expressions += [rule["expr"] for rule in _alert_rules()]
    used = set().union(*map(_tsunagu_names, expressions))
    assert used and used <= exposed, used - exposed
    # every kind of thing the issue asks to watch has a panel
    for metric in ("tsunagu_http_requests_total", "tsunagu_rpc_seconds_bucket", "tsunagu_events_consumed_total",
                   "tsunagu_dead_letters_total", "tsunagu_outbox_lag_seconds", "tsunagu_mail_total",
                   "tsunagu_timer_last_success_timestamp_seconds"):
        assert any(metric in expression for expression in expressions), metric


def test_the_alerts_cover_lag_dead_letters_mail_and_a_missing_service():
    names = {rule["alert"] for rule in _alert_rules()}
    assert {"TsunaguOutboxLagging", "TsunaguDeadLetters", "TsunaguMailBouncing", "TsunaguServiceMissing"} <= names
    assert all(rule["annotations"]["summary"] and rule["labels"]["severity"] for rule in _alert_rules())


def test_prometheus_scrapes_each_service_at_the_port_it_listens_on():
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    environment = yaml.safe_load(COMPOSE.read_text())["x-tsunagu"]["environment"]
    settings = Settings(environment="test", metrics_port=int(environment["TSUNAGU_METRICS_PORT"]))
    for service in SERVICE_NAMES:
        discovered = jobs[f"tsunagu-{service}"]["dns_sd_configs"][0]
        assert discovered["names"] == [service] and discovered["port"] == metrics_port(settings, service)
    assert jobs["tsunagu-gateway"]["static_configs"][0]["targets"] == ["gateway:8000"]
    alerted_jobs = set(re.findall(r'job="(tsunagu-[a-z]+)"', (DEPLOY / "prometheus" / "alerts.yml").read_text()))
    assert alerted_jobs <= set(jobs)
