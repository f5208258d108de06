"""Fixtures of the unit tests: the gateway with fake services behind it (tests/unit/gateway_fakes.py)."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from shared.settings import Settings
from tests.unit.gateway_fakes import FEED_CACHE_BYTES, FakeBus, FakeServices


@pytest.fixture
def services():
    return FakeServices()


@pytest.fixture
def bus(services):
    return FakeBus(services)


@pytest.fixture
def client(bus):
    app = create_app(Settings(environment="test", feed_cache_bytes=FEED_CACHE_BYTES), bus=bus)
    with TestClient(app) as client:
        yield client
