"""A command delivered twice with the same idempotency key runs once, on SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib
import uuid

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from shared.bus.commands import CommandLog, CommandRun
from shared.errors import Conflict, Invalid

metadata = MetaData()
registrations = Table("registrations", metadata, Column("id", Integer, primary_key=True),
                      Column("token_hash", String(64)))
log = CommandLog(metadata)


@pytest.fixture
def db(make_sessionmaker):
    return make_sessionmaker(metadata)


def register(session, run: CommandRun, arguments: dict) -> dict:
    """A command with a visible effect (a row) and a secret it hands out once."""
    token, token_hash = run.secret("register", "manage_token")

    def effect() -> dict:
        row_id = session.execute(insert(registrations).values(token_hash=token_hash)).inserted_primary_key[0]
        return {"id": row_id, "manage_token": token}
    return run.once(session, "register", arguments, effect, secret_fields=("manage_token",))


def count(db) -> int:
    with db() as session:
        return session.scalar(select(func.count()).select_from(registrations))


def test_the_same_key_runs_the_command_once_and_answers_the_same(db):
    key = uuid.uuid4().hex
    with db.begin() as session:
        first = register(session, CommandRun(log, key, "k" * 32), {"email": "a@example.org"})
    with db.begin() as session:  # the bus delivers the request again
        second = register(session, CommandRun(log, key, "k" * 32), {"email": "a@example.org"})
    assert second == first
    assert count(db) == 1
    # the secret was not recorded, yet the replay hands out the one whose hash was kept
    with db() as session:
        recorded = session.execute(select(log.table.c.result)).scalar_one()
        kept_hash = session.execute(select(registrations.c.token_hash)).scalar_one()
    assert "manage_token" not in recorded
    assert hashlib.sha256(second["manage_token"].encode()).hexdigest() == kept_hash


def test_without_a_key_every_call_runs(db):
    for _ in range(2):
        with db.begin() as session:
            register(session, CommandRun(log, None, "k" * 32), {"email": "a@example.org"})
    assert count(db) == 2


def test_a_key_reused_for_another_request_is_refused(db):
    key = uuid.uuid4().hex
    with db.begin() as session:
        register(session, CommandRun(log, key, "k" * 32), {"email": "a@example.org"})
    with pytest.raises(Invalid, match="different request"), db.begin() as session:
        register(session, CommandRun(log, key, "k" * 32), {"email": "b@example.org"})
    assert count(db) == 1


def test_a_command_that_fails_records_nothing_and_may_run_again(db):
    key = uuid.uuid4().hex
    with pytest.raises(Conflict), db.begin() as session:
        CommandRun(log, key, "k" * 32).once(session, "register", {}, _refuse)
    with db.begin() as session:
        register(session, CommandRun(log, key, "k" * 32), {})
    assert count(db) == 1


def _refuse():
    raise Conflict("the event is full", "places")


def test_erasure_scrubs_recorded_results_and_a_redelivery_still_runs_nothing(db):
    from shared.erasure import ErasedPerson, forget_in_command_results
    key = uuid.uuid4().hex
    with db.begin() as session:
        CommandRun(log, key, "k" * 32).once(session, "register", {}, lambda: {
            "id": 7, "display_name": "山田 花子", "email": "Hanako@Example.org"})
    with db.begin() as session:
        person = ErasedPerson.known_as("hanako@example.org", ["山田　花子"])
        assert forget_in_command_results(session, log.table, person) == 1
    with db.begin() as session:
        replayed = CommandRun(log, key, "k" * 32).once(session, "register", {}, _refuse)
    assert replayed["id"] == 7 and "Hanako@Example.org" not in replayed.values()
    assert "山田 花子" not in replayed.values()
