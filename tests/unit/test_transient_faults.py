"""Which database failures pass by themselves (retried, 503) and which are bugs or broken rules."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker

from shared.db import Sessions, is_transient, make_engine
from shared.errors import Unavailable


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/test.db", busy_seconds=0.2)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    yield engine
    engine.dispose()


def test_a_lock_held_elsewhere_is_transient_and_a_missing_table_is_not(engine, tmp_path):
    holder = sqlite3.connect(tmp_path / "test.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError) as locked, engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert is_transient(locked.value)
    with pytest.raises(OperationalError) as missing, engine.begin() as connection:
        connection.execute(text("SELECT * FROM no_such_table"))
    assert not is_transient(missing.value)


def test_a_broken_rule_is_not_transient(engine):
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
    with pytest.raises(IntegrityError) as duplicate, engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
    assert not is_transient(duplicate.value)


def test_workers_see_a_passing_fault_as_unavailable(engine, tmp_path):
    sessions = Sessions(sessionmaker(engine))
    holder = sqlite3.connect(tmp_path / "test.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Unavailable), sessions.begin() as session:
            session.execute(text("INSERT INTO t VALUES (2)"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with sessions.begin() as session:  # and once it has passed, writing works again
        session.execute(text("INSERT INTO t VALUES (2)"))
    with pytest.raises(IntegrityError), sessions.begin() as session:  # a bug or a broken rule stays what it is
            session.execute(text("INSERT INTO t VALUES (2)"))
