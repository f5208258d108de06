"""Use cases run against real databases: SQLite always, PostgreSQL (a throwaway cluster) too."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from shared.db import make_engine
from tests.databases import make_tables


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/test.db"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def make_sessionmaker(database_url):
    """sessionmaker for a service's tables (`owner`: its models module) or a test's own MetaData, in a
    fresh schema (PostgreSQL) or file (SQLite)."""
    engines = []

    def build(owner):
        schema = f"t_{uuid.uuid4().hex[:10]}"
        engine = make_engine(database_url, schema=schema)
        make_tables(engine, owner)
        engines.append((engine, schema))
        return sessionmaker(engine, expire_on_commit=False)

    yield build
    for engine, schema in engines:
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
