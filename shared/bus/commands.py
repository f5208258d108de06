"""Commands that run once, however often their RPC message is delivered.

nameko acknowledges an RPC request after it has replied. A service killed after committing a command
but before replying gets the request again when it restarts (or another instance does), and would run
it twice: a second registration nobody holds a manage link for, a second announcement to every
subscriber. So every HTTP request that changes something carries an idempotency key (the client's
`Idempotency-Key` header, or one the gateway makes for the request), sent as nameko context data;
a command records the key and its result in the same transaction as its effect, and a delivery that
finds the key returns the recorded result instead of running again.

Secrets a result hands out once (a manage link's token) are not recorded: with a key, they are
derived from it with TSUNAGU_SECRET_KEY, so the replay hands out the same secret, and the table holds
nothing that opens anything. Results are kept for `KEEP` (a retry comes within minutes), and erasure
removes those that name an erased person.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta

from nameko.extensions import DependencyProvider
from sqlalchemy import JSON, Column, MetaData, String, Table, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.contracts.base import utcnow
from shared.db import SETTINGS_KEY, Database, UTCDateTime, find_dependency, rows_changed
from shared.errors import Conflict, Invalid
from shared.secrets import new_secret

IDEMPOTENCY_KEY = "idempotency_key"  # the nameko context data (header `nameko.idempotency_key`)
MAX_KEY_LENGTH = 255
KEEP = timedelta(hours=24)
PRUNE_SECONDS = 3600.0
log = logging.getLogger(__name__)


class CommandLog:
    """The commands a service has run, by (hash of the idempotency key, operation), with their result."""

    def __init__(self, metadata: MetaData):
        self.table = Table(
            "commands", metadata,
            Column("key_hash", String(64), primary_key=True),
            Column("operation", String(64), primary_key=True),
            Column("request_digest", String(64), nullable=False),
            Column("result", JSON, nullable=True),
            Column("created_at", UTCDateTime(), nullable=False, index=True),
        )
        # Built once: every command a client sends runs all three (each call only binds its values).
        columns = self.table.c
        # (named apart from the columns: an UPDATE keeps the columns' own names for its SET values)
        this_command = (columns.key_hash == bindparam("command_key"),
                        columns.operation == bindparam("command_operation"))
        self.recorded = select(columns.request_digest, columns.result).where(*this_command)
        self.record = insert(self.table)
        self.complete = self.table.update().where(*this_command).values(
            result=bindparam("result", type_=columns.result.type))


def _digest(value: object) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Commands(DependencyProvider):
    """Gives each RPC worker a `CommandRun` bound to the key its request carried (if any)."""

    def __init__(self, log_table: CommandLog):
        self.log = log_table

    def setup(self):
        self.settings = self.container.config[SETTINGS_KEY]
        self._stopped = threading.Event()

    def start(self):
        self.sessionmaker = find_dependency(self.container, Database).sessionmaker
        self.container.spawn_managed_thread(self._prune, identifier="Commands.prune")

    def stop(self):
        self._stopped.set()

    kill = stop

    def get_dependency(self, worker_ctx):
        return CommandRun(self.log, worker_ctx.data.get(IDEMPOTENCY_KEY), self.settings.secret_key)

    def _prune(self) -> None:
        while not self._stopped.wait(PRUNE_SECONDS):
            try:
                with self.sessionmaker.begin() as session:
                    forget_commands_before(session, self.log.table, utcnow() - KEEP)
            except Exception as exc:  # noqa: BLE001 — the next round tries again
                log.warning("pruning old command results failed: %s", type(exc).__name__)


def forget_commands_before(session: Session, table: Table, moment) -> int:
    return rows_changed(session, delete(table).where(table.c.created_at < moment))


class CommandRun:
    def __init__(self, log_table: CommandLog, key: str | None, secret_key: str):
        self.log = log_table
        self.key = key
        self._secret_key = secret_key

    def secret(self, operation: str, name: str) -> tuple[str, str]:
        """A secret for a link (and the hash to keep of it): derived from the idempotency key, so a
        replay of the command hands out the same one; random when the request carried no key."""
        if not self.key:
            return new_secret()
        material = hmac.new(self._secret_key.encode(), f"{operation}\0{name}\0{self.key}".encode(),
                            hashlib.sha256).digest()
        token = base64.urlsafe_b64encode(material[:24]).decode().rstrip("=")
        return token, hashlib.sha256(token.encode()).hexdigest()

    def once(self, session: Session, operation: str, arguments: object, run: Callable[[], object],
             secret_fields: Sequence[str] = ()) -> object:
        """`run()`'s result, recorded with the key in `session`'s transaction — or, when this key was
        already recorded for `operation`, that recorded result, without running anything.

        `secret_fields` of the result are not recorded; a replay fills them in again with `secret()`.
        """
        if not self.key:
            return run()
        if len(self.key) > MAX_KEY_LENGTH:
            raise Invalid(f"an idempotency key has at most {MAX_KEY_LENGTH} characters", "Idempotency-Key")
        key_hash = hashlib.sha256(self.key.encode()).hexdigest()
        this_command = {"command_key": key_hash, "command_operation": operation}
        digest = _digest(arguments)
        connection = session.connection()
        recorded = connection.execute(self.log.recorded, this_command).first()
        if recorded is None:
            try:
                # The key first: a second delivery running at the same moment (PostgreSQL) waits on
                # this row and then fails, rather than both running the command.
                connection.execute(self.log.record, {"key_hash": key_hash, "operation": operation,
                                                     "request_digest": digest, "result": None,
                                                     "created_at": utcnow()})
            except IntegrityError:
                raise Conflict("a request with this Idempotency-Key is being handled; ask again in a moment",
                               "Idempotency-Key") from None
            result = run()
            kept = ({k: v for k, v in result.items() if k not in secret_fields}
                    if isinstance(result, dict) else result)
            connection.execute(self.log.complete, {**this_command, "result": kept})
            return result
        if recorded.request_digest != digest:
            raise Invalid("this Idempotency-Key was used for a different request; use a new key for a new "
                          "request", "Idempotency-Key")
        log.info("%s replayed from its idempotency key", operation)
        result = recorded.result
        if isinstance(result, dict) and secret_fields:
            result = {**result, **{name: self.secret(operation, name)[0] for name in secret_fields}}
        return result
