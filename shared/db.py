"""SQLAlchemy 2 engines and the nameko dependency that hands workers a session factory.

Each service owns its tables: on SQLite its own file, on PostgreSQL its own schema (named after the
service) in the shared database. Nothing connects at import; engines are built in `setup()`.
"""
from __future__ import annotations

import logging

from datetime import datetime, timezone

from nameko.extensions import DependencyProvider
from sqlalchemy import DateTime, Engine, MetaData, TypeDecorator, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from shared.settings import Settings

SETTINGS_KEY = "TSUNAGU_SETTINGS"  # where the services' nameko config carries the Settings object
log = logging.getLogger(__name__)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store times with their zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def make_engine(url: str, schema: str | None = None) -> Engine:
    # hide_parameters: an error's text (logged, dead-lettered) names the statement, never the values
    # bound to it — those are people's addresses and names.
    if url.startswith("sqlite"):
        # One connection per process: eventlet workers then queue for it cooperatively instead of
        # stalling the whole service on "database is locked".
        engine = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=60, hide_parameters=True,
                               connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            # Let SQLAlchemy, not the driver, begin transactions (see _begin_immediate).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            # Deleted and overwritten content is zeroed, not left in freed pages: an erased person's
            # address must not stay readable in the file.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection):
            # Take the write lock when the transaction starts, not when it first writes: two processes
            # (two instances of a service) then queue for it instead of one failing with "database is
            # locked" halfway, and a decision made on what was read holds until commit.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True)

    @event.listens_for(engine, "handle_error")
    def _without_row_values(context):
        # PostgreSQL's DETAIL line quotes the key or the whole failing row ("Failing row contains (…)"):
        # people's names and addresses. The error keeps its first line; its code (pgcode) is untouched.
        original = context.original_exception
        primary = getattr(getattr(original, "diag", None), "message_primary", None)
        if primary:
            original.args = (primary,)
            if context.sqlalchemy_exception is not None:  # its text was made from the original already
                kind = type(original)
                context.sqlalchemy_exception.args = (f"({kind.__module__}.{kind.__name__}) {primary}",)

    if schema:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        engine = engine.execution_options(schema_translate_map={None: schema})
    return engine


def create_tables(engine: Engine, metadata: MetaData) -> None:
    metadata.create_all(engine)


class Database(DependencyProvider):
    """Gives each worker the service's `sessionmaker`; operations open `with db.begin() as session`."""

    def __init__(self, metadata: MetaData):
        self.metadata = metadata
        self.engine: Engine | None = None
        self.sessionmaker: sessionmaker[Session] | None = None

    def setup(self):
        settings: Settings = self.container.config[SETTINGS_KEY]
        service = self.container.service_name
        self.engine = make_engine(settings.database_url_for(service), schema=service)
        create_tables(self.engine, self.metadata)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    def stop(self):
        if self.engine is not None:
            self.engine.dispose()

    def get_dependency(self, worker_ctx):
        return self.sessionmaker


def find_dependency(container, provider_type: type) -> DependencyProvider:
    """The container's bound instance of `provider_type` (helpers that work beside a Database)."""
    matches = [dep for dep in container.dependencies if isinstance(dep, provider_type)]
    if len(matches) != 1:
        raise RuntimeError(f"{container.service_name} needs exactly one {provider_type.__name__}")
    return matches[0]
