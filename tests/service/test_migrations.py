"""Each service's migrations: a database made by release 0.1 (create_all, no version) is adopted and
upgraded with every row intact, on SQLite and PostgreSQL; a fresh database upgraded to head has exactly
the tables the models describe; a service refuses a database that is behind, naming `tsunagu migrate`."""
from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, select, text

from services.events import models as events_models
from services.members import domain as members_domain
from services.members import models as members_models
from services.notifications import models as notifications_models
from shared.db import make_engine
from shared.migrations import VERSION_TABLE, SchemaBehind, require_current, schema_of, state, upgrade
from shared.settings import SERVICE_NAMES, Settings
from tests.conftest import fresh_database
from tsunagu.migrate import migrate

RELEASE = Path(__file__).resolve().parents[1] / "fixtures" / "release-0.1"
MODELS = {"events": events_models, "members": members_models, "notifications": notifications_models}
# Tables that must hold rows in the fixture, or "intact" would prove little
FILLED = {"events": {"events", "event_sessions", "registrations", "group_calendar_feeds", "outbox", "inbox"},
          "members": {"members", "memberships", "import_jobs", "import_problems", "accounts", "api_tokens",
                      "audit_trail"},
          "notifications": {"mailing_lists", "subscriptions", "messages", "deliveries", "inbox"}}


def _contents(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in key order, each value as its text (JSON and times compare alike)."""
    reflected = MetaData(schema=schema_of(engine))
    reflected.reflect(engine)
    found = {}
    with engine.connect() as connection:
        for table in reflected.sorted_tables:
            if table.name == VERSION_TABLE:
                continue
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            found[table.name] = [tuple(map(repr, row)) for row in rows]
    return found


def _kept(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> None:
    for table, rows in before.items():
        assert table in after, f"table {table} is gone"
        width = len(rows[0]) if rows else 0  # a later revision may add columns; the release's come first
        assert [row[:width] for row in after[table]] == rows, f"rows of {table} changed"


def _upgrades_intact(engine: Engine, service: str) -> None:
    before = _contents(engine)
    assert FILLED[service] <= {table for table, rows in before.items() if rows}, "the fixture lost its data"
    assert state(engine, service).current is None
    assert upgrade(engine, service) == (None, state(engine, service).head)
    _kept(before, _contents(engine))
    _agrees_with_models(engine, service)
    require_current(engine, service)
    if service == "members":
        _directory_index_filled(engine)


def _directory_index_filled(engine: Engine) -> None:
    """Revision 0003 filled the directory's index of the members already there as the service keeps it."""
    members, grams = members_models.MemberRow.__table__, members_models.MemberSearchGram.__table__
    with engine.connect() as connection:
        rows = connection.execute(select(members.c.id, members.c.search_text, members.c.public_search_text,
                                         members.c.public_sort_key).where(members.c.erased_at.is_(None))).all()
        held = connection.execute(select(grams.c.member_id, grams.c.gram, grams.c.public)).all()
    assert rows and held
    expected = set()
    for member_id, search_text, public_search_text, public_sort_key in rows:
        assert public_sort_key == members_domain.sort_key(public_search_text)
        expected |= {(member_id, gram, public) for gram, public
                     in members_domain.indexed_grams(search_text, public_search_text).items()}
    assert set(held) == expected


def _agrees_with_models(engine: Engine, service: str) -> None:
    """Head has the models' tables, columns, indexes and constraints, no more and no fewer."""
    schema = schema_of(engine)
    with engine.connect() as connection:
        if schema:
            connection.exec_driver_sql(f'SET search_path TO "{schema}"')
        context = MigrationContext.configure(connection, opts={
            "include_name": lambda name, kind, _parent: not (kind == "table" and name == VERSION_TABLE)})
        differences = compare_metadata(context, MODELS[service].metadata)
        if schema:
            connection.rollback()
    assert differences == [], differences


def test_release_0_1_on_sqlite_is_upgraded_with_every_row_intact(tmp_path):
    for service in SERVICE_NAMES:
        path = tmp_path / f"{service}.db"
        shutil.copy(RELEASE / "sqlite" / f"{service}.db", path)
        engine = make_engine(f"sqlite:///{path}")
        try:
            _upgrades_intact(engine, service)
        finally:
            engine.dispose()


@pytest.mark.postgres
def test_release_0_1_on_postgresql_is_upgraded_with_every_row_intact(postgres_url):
    url = fresh_database(postgres_url, f"release_{uuid.uuid4().hex[:8]}")
    _restore(url)
    for service in SERVICE_NAMES:
        engine = make_engine(url, schema=service)
        try:
            _upgrades_intact(engine, service)
        finally:
            engine.dispose()


def _restore(url: str) -> None:
    """The release's pg_dump of each schema, loaded as an operator restores a backup (psql)."""
    from sqlalchemy.engine import make_url
    address = make_url(url)
    psql = sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))[-1]
    for service in SERVICE_NAMES:
        subprocess.run([str(psql), "-q", "-v", "ON_ERROR_STOP=1", "-h", address.host, "-p", str(address.port),
                        "-U", address.username, "-d", address.database,
                        "-f", str(RELEASE / "postgresql" / f"{service}.sql")],
                       check=True, capture_output=True)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_a_fresh_database_at_head_has_exactly_the_models_tables(database_url, service):
    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = make_engine(database_url, schema=schema)
    try:
        with pytest.raises(SchemaBehind, match="tsunagu migrate"):
            require_current(engine, service)
        upgrade(engine, service)
        _agrees_with_models(engine, service)
        require_current(engine, service)
        assert upgrade(engine, service) == (state(engine, service).head,) * 2  # again: nothing to do
    finally:
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def test_a_release_0_1_installation_is_refused_until_migrated(tmp_path):
    """As after installing a new version without migrating: each service names the command; it then
    upgrades every service once, and a second run has nothing to do."""
    settings = Settings(environment="test", var_dir=tmp_path)
    for service in SERVICE_NAMES:
        shutil.copy(RELEASE / "sqlite" / f"{service}.db", tmp_path / f"{service}.db")
    engines = {service: make_engine(settings.database_url_for(service)) for service in SERVICE_NAMES}
    try:
        for service, engine in engines.items():
            with pytest.raises(SchemaBehind, match=r"no revision .* run `tsunagu migrate` first"):
                require_current(engine, service)
        assert migrate(settings) == [f"{service}: no revision → revision {state(engine, service).head}"
                                     for service, engine in engines.items()]
        assert all(line.endswith("already") for line in migrate(settings))
        for service, engine in engines.items():
            require_current(engine, service)
    finally:
        for engine in engines.values():
            engine.dispose()
