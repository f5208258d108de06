"""Fixtures shared by every kind of test: a throwaway PostgreSQL cluster."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tsunagu.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL cluster for this test session only, removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="tsunagu-pg-"))
    port = free_port()
    script = ROOT / "deploy" / "local" / "postgres.sh"
    subprocess.run([str(script), "start", str(directory), str(port)], check=True)
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/tsunagu"
    finally:
        subprocess.run([str(script), "stop", str(directory)], check=False)
        shutil.rmtree(directory, ignore_errors=True)


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
