"""SQLAlchemy 2 engines and the nameko dependency that hands workers a session factory.

Each service owns its tables: on SQLite its own file, on PostgreSQL its own schema (named after the
service) in the shared database. Nothing connects at import; engines are built in `setup()`.
"""
from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import cast

from nameko.extensions import DependencyProvider
from sqlalchemy import CursorResult, DateTime, Engine, Executable, TypeDecorator, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from shared.errors import Unavailable
from shared.settings import Settings

SETTINGS_KEY = "TSUNAGU_SETTINGS"  # where the services' nameko config carries the Settings object
SQLITE_BLOCKING_WAIT = 0.01  # SQLite's own busy wait, which blocks the process: kept tiny (see _begin_immediate)
LOCK_FAULT_PATIENCE = 0.05  # how long a writer waits while a lock fault is known to last
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
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, _dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str, schema: str | None = None, busy_seconds: float = 5.0, pool_size: int = 8) -> Engine:
    """`busy_seconds`: how long a writer waits for a lock held elsewhere before its transaction fails
    (a fault that passes: the caller is told to try again). `hide_parameters`: an error's text (logged,
    dead-lettered) names the statement, never the values bound to it — people's addresses and names."""
    if url.startswith("sqlite"):
        # One connection per process: eventlet workers then queue for it cooperatively instead of
        # stalling the whole service on "database is locked".
        engine = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=60, hide_parameters=True,
                               connect_args={"timeout": SQLITE_BLOCKING_WAIT, "check_same_thread": False})
        lock_fault = {"until": 0.0}  # while a lock fault lasts, writers do not each wait it out again

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            # Let SQLAlchemy, not the driver, begin transactions (see _begin_immediate).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BLOCKING_WAIT * 1000)}")
            # Deleted and overwritten content is zeroed, not left in freed pages: an erased person's
            # address must not stay readable in the file.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection):
            # Take the write lock when the transaction starts, not when it first writes: two processes
            # (two instances of a service) then queue for it instead of one failing with "database is
            # locked" halfway, and a decision made on what was read holds until commit.
            # SQLite's own busy wait blocks the whole process (a C call eventlet cannot switch out of),
            # so the waiting is done here, with sleeps every other worker can run during.
            started = time.monotonic()
            patience = LOCK_FAULT_PATIENCE if started < lock_fault["until"] else busy_seconds
            pause = 0.002
            while True:
                try:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                    lock_fault["until"] = 0.0
                    return
                except sa_exc.OperationalError as exc:
                    if not _sqlite_busy(exc):
                        raise
                    if time.monotonic() - started >= patience:
                        lock_fault["until"] = time.monotonic() + busy_seconds
                        raise
                time.sleep(pause)
                pause = min(pause * 2, 0.05)

        return engine
    # PostgreSQL: at most `pool_size` connections per process (TSUNAGU_DATABASE_POOL_SIZE), kept open; a worker
    # finding none free waits up to busy_seconds, then its caller is told to try again (a passing fault).
    # No overflow: the server's max_connections is shared by every copy of every service (README).
    engine = create_engine(url, pool_size=pool_size, max_overflow=0, pool_timeout=max(busy_seconds, 1.0),
                           pool_pre_ping=True, hide_parameters=True)

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


def rows_changed(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE; how many rows it changed."""
    return cast(CursorResult, session.execute(statement)).rowcount


def refresh_planner_statistics(session: Session) -> None:
    """SQLite's planner knows how many rows an index holds only from ANALYZE (PostgreSQL's autovacuum
    keeps its own statistics): without them it may read a large table along the wrong index."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("ANALYZE"))


def _sqlite_busy(exc: sa_exc.DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


# SQLite reports everything as OperationalError, "no such table" (a bug) as well as "database is
# locked" (a fault that passes); its primary result codes tell them apart.
_SQLITE_TRANSIENT = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY,
                     sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
                     sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL}


def is_transient(exc: BaseException) -> bool:
    """A database fault that may pass by itself (locked, unreachable, out of space, I/O error, a lost
    connection), as opposed to a bug or a broken rule, which trying again cannot mend."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        original = exc.orig
        if isinstance(original, sqlite3.Error):
            code = getattr(original, "sqlite_errorcode", None)
            return code is not None and (code & 0xFF) in _SQLITE_TRANSIENT
        return True  # PostgreSQL: connection lost, server shutting down, serialisation failure…
    return isinstance(exc, (ConnectionError, TimeoutError))


@contextmanager
def _transient_as_unavailable(context) -> Iterator[Session]:
    try:
        with context as session:
            yield session
    except Exception as exc:
        if is_transient(exc):
            log.warning("database unavailable: %s", type(exc.__cause__ or exc).__name__)
            raise Unavailable("the service's database is unavailable for a moment; nothing was changed, "
                              "please try again", None) from exc
        raise


class Sessions:
    """What a worker gets as `self.db`: `with self.db.begin() as session` (one transaction) or
    `with self.db() as session`. A fault that passes becomes `Unavailable` (a 503 with Retry-After at
    the gateway), never an unexpected error."""

    def __init__(self, maker: sessionmaker[Session], probe=None):
        self._maker = maker
        self.engine: Engine = maker.kw["bind"]
        self.probe = probe  # reads the database on a connection of its own (health)

    def begin(self):
        return _transient_as_unavailable(self._maker.begin())

    def __call__(self):
        return _transient_as_unavailable(self._maker())


class Database(DependencyProvider):
    """Gives each worker the service's `Sessions`; operations open `with db.begin() as session`."""

    def __init__(self):
        self.engine: Engine | None = None
        self.sessionmaker: sessionmaker[Session] | None = None

    def setup(self):
        settings: Settings = self.container.config[SETTINGS_KEY]
        service = self.container.service_name
        url = settings.database_url_for(service)
        self.engine = make_engine(url, schema=service, busy_seconds=settings.database_busy_seconds,
                                  pool_size=settings.database_pool_size)
        # The tables are `tsunagu migrate`'s to make and change; the service runner checked, before this
        # container started, that they are current (tsunagu/service_runner.py).
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.sessions = Sessions(self.sessionmaker, self.probe)
        # The health probe has a connection of its own: on SQLite the service has one connection,
        # and a ping must not queue behind workers that hold it while a fault lasts.
        self._probe = create_engine(url, poolclass=NullPool, connect_args={"timeout": 2}) \
            if url.startswith("sqlite") else create_engine(url, pool_size=1, max_overflow=0, pool_timeout=2,
                                                           pool_pre_ping=True)

    def stop(self):
        if self.engine is not None:
            self.engine.dispose()
        if getattr(self, "_probe", None) is not None:
            self._probe.dispose()

    def get_dependency(self, _worker_ctx):
        return self.sessions

    def probe(self) -> None:
        """Read from the database on a connection of the probe's own; raises Unavailable if it cannot."""
        try:
            with self._probe.connect() as connection:
                # Reads a page of the file (SELECT 1 alone would not touch it on SQLite).
                statement = "SELECT count(*) FROM sqlite_master" if self._probe.dialect.name == "sqlite" \
                    else "SELECT 1"
                connection.exec_driver_sql(statement)
        except Exception as exc:  # noqa: BLE001 — any failure to read is the answer
            raise Unavailable(f"the database cannot be read ({type(exc).__name__})", None) from exc


def find_dependency(container, provider_type: type) -> DependencyProvider:
    """The container's bound instance of `provider_type` (helpers that work beside a Database)."""
    matches = [dep for dep in container.dependencies if isinstance(dep, provider_type)]
    if len(matches) != 1:
        raise RuntimeError(f"{container.service_name} needs exactly one {provider_type.__name__}")
    return matches[0]
