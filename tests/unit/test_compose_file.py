"""docker-compose.yml stays valid and speaks only of settings that exist."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


def test_it_parses_and_has_every_part():
    document = yaml.safe_load(COMPOSE.read_text())
    assert {"rabbitmq-1", "rabbitmq-2", "rabbitmq-3", "postgres", "mail", "events", "members", "notifications",
            "gateway", "prometheus", "grafana"} <= set(document["services"])
    assert all("management" in document["services"][f"rabbitmq-{n}"]["image"] for n in (1, 2, 3))
    # a cluster of the three, each with its own data
    volumes = {n: document["services"][f"rabbitmq-{n}"]["volumes"] for n in (1, 2, 3)}
    assert all(any("rabbitmq-cluster.conf" in volume for volume in volumes[n]) for n in (1, 2, 3))
    assert len({volumes[n][0] for n in (1, 2, 3)}) == 3
    # more than one copy of each service
    assert all(document["services"][name]["deploy"]["replicas"] >= 2 for name in ("events", "members", "notifications"))
    # the services start once their databases are migrated, by a one-shot step
    assert document["services"]["migrate"]["command"] == ["migrate"]
    for service in ("events", "members", "notifications", "gateway"):
        assert document["services"][service]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_its_environment_names_are_settings():
    names = set(re.findall(r"\bTSUNAGU_[A-Z_]+\b", COMPOSE.read_text()))
    known = {f"TSUNAGU_{field.upper()}" for field in Settings.model_fields}
    assert names and names <= known, names - known


def test_its_settings_are_accepted_by_the_settings_class():
    document = yaml.safe_load(COMPOSE.read_text())
    environment = dict(document["services"]["gateway"]["environment"])
    environment["TSUNAGU_SECRET_KEY"] = "k" * 32
    settings = Settings(**{k.removeprefix("TSUNAGU_").lower(): v for k, v in environment.items()})
    assert settings.amqp_host == "rabbitmq-1" and settings.database_url.startswith("postgresql")
    assert settings.http_host == "0.0.0.0"
    assert [host for host, _port in settings.amqp_addresses] == ["rabbitmq-1", "rabbitmq-2", "rabbitmq-3"]
    assert settings.queue_type.value == "quorum"


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is installed by make test")
def test_docker_compose_validates_it():
    env = {**os.environ, "TSUNAGU_SECRET_KEY": "k" * 32, "RABBITMQ_ERLANG_COOKIE": "c" * 32}
    result = subprocess.run(["docker-compose", "-f", str(COMPOSE), "config", "-q"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # and it refuses to run without a secret key
    env.pop("TSUNAGU_SECRET_KEY")
    refused = subprocess.run(["docker-compose", "-f", str(COMPOSE), "config", "-q"], env=env,
                             capture_output=True, text=True)
    assert refused.returncode != 0 and "TSUNAGU_SECRET_KEY" in refused.stderr
