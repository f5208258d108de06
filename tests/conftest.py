"""Fixtures shared by every kind of test: a throwaway PostgreSQL cluster."""
from __future__ import annotations

from pathlib import Path

import pytest

from tsunagu.scratch_postgres import throwaway_postgres

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL cluster for this test session only, removed afterwards."""
    with throwaway_postgres() as url:
        yield url


def fresh_database(postgres_url: str, name: str) -> str:
    """A database of its own in the session's cluster, for a stack whose data must not meet another's."""
    import psycopg2
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    connection = psycopg2.connect(host=url.host, port=url.port, user=url.username, dbname=url.database)
    try:
        connection.autocommit = True  # CREATE DATABASE runs outside a transaction
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    return url.set(database=name).render_as_string(hide_password=False)
