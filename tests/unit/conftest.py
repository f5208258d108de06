"""Fixtures of the unit tests: the gateway with fake services behind it (tests/unit/gateway_fakes.py)."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from shared.settings import Settings
from tests.unit.gateway_fakes import FEED_CACHE_BYTES, TOKEN, FakePool, FakeServices


@pytest.fixture
def services():
    return FakeServices()


@pytest.fixture
def pool(services):
    return FakePool(services)


@pytest.fixture
def client(pool):
    app = create_app(Settings(environment="test", organizer_token=TOKEN, feed_cache_bytes=FEED_CACHE_BYTES),
                     rpc_pool=pool, health_pool=pool, listen_for_changes=False)
    with TestClient(app) as client:
        yield client
