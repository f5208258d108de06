"""Each service's schema migrations (Alembic): one history per service, in `services/<name>/migrations`,
its version table in its own schema on PostgreSQL or its own SQLite file.

`tsunagu migrate` upgrades every service; a service only checks, at start, that its database is at its
history's head, and refuses to start otherwise (a table it expects may be missing a column: better a
clear message than errors on the first registration). A database made by release 0.1, which had no
migrations (`create_all`), is adopted: its tables are those of the first revision, which is recorded
as done before the later ones run.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"
VERSION_TABLE = "alembic_version"
RELEASE_0_1 = "0001"  # the first revision: the tables release 0.1 made with create_all


class SchemaBehind(RuntimeError):
    """The database is not at the service's head revision."""


@dataclass(frozen=True)
class SchemaState:
    service: str
    current: str | None  # None: no version recorded (empty, or made by release 0.1)
    head: str

    @property
    def behind(self) -> bool:
        return self.current != self.head


def schema_of(engine: Engine) -> str | None:
    """The schema the engine's tables live in (make_engine's translate map), None on SQLite."""
    if engine.dialect.name == "sqlite":
        return None
    return engine.get_execution_options().get("schema_translate_map", {}).get(None)


def _location(service: str) -> str:
    return str(SERVICES_DIR / service / "migrations")


def _config(service: str, engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", _location(service))
    config.attributes["engine"] = engine  # run_migrations' (each service's env.py)
    return config


def _current(connection: Connection, schema: str | None) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE,
                                                           "version_table_schema": schema})
    return context.get_current_revision()


def state(engine: Engine, service: str) -> SchemaState:
    with engine.connect() as connection:
        current = _current(connection, schema_of(engine))
    head = ScriptDirectory(_location(service)).get_current_head()
    assert head is not None, f"{service} has no migrations"
    return SchemaState(service, current, head)


def require_current(engine: Engine, service: str) -> None:
    """Raise SchemaBehind, naming the command that mends it, unless the database is at head."""
    found = state(engine, service)
    if found.behind:
        at = f"revision {found.current}" if found.current else "no revision (an empty or release 0.1 database)"
        raise SchemaBehind(f"the {service} database is at {at}, this version of Tsunagu needs revision "
                           f"{found.head}: run `tsunagu migrate` first (it upgrades every service's database)")


def _made_by_release_0_1(engine: Engine) -> bool:
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names(schema=schema_of(engine))
    return bool(tables) and VERSION_TABLE not in tables


def upgrade(engine: Engine, service: str) -> tuple[str | None, str]:
    """Bring the service's database to head; the revisions before and after."""
    before = state(engine, service)
    config = _config(service, engine)
    if before.current is None and _made_by_release_0_1(engine):
        command.stamp(config, RELEASE_0_1)
    command.upgrade(config, "head")
    return before.current, before.head


def run_migrations(context, metadata: MetaData) -> None:
    """What each service's env.py does: run the revisions on the engine `upgrade` was given, in the
    service's schema (PostgreSQL: first on the search path, where unqualified names land)."""
    engine: Engine = context.config.attributes["engine"]
    schema = schema_of(engine)
    with engine.connect() as connection:
        if schema:
            connection.exec_driver_sql(f'SET search_path TO "{schema}"')
            connection.commit()
        try:
            context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE,
                              version_table_schema=schema, render_as_batch=engine.dialect.name == "sqlite",
                              transaction_per_migration=True)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if schema:  # the connection goes back to the pool as it came
                connection.rollback()
                connection.exec_driver_sql("RESET search_path")
                connection.commit()
