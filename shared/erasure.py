"""Erasure: how each service recognises, and removes, what it holds of a person who was erased.

`member_erased` carries digests, never the address or a name (`shared.secrets.email_digest`,
`name_digest`: one normalisation everywhere). A service finds the person's addresses among its own rows
by digest, then removes everything that mentions those addresses or names — rows, and JSON documents
such as outbox payloads or message contexts — in the transaction that applies the erasure. After it
commits, `reclaim_erased_space` makes sure the old bytes are gone from the database files as well.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, Table, Text, cast, delete, func, or_, select
from sqlalchemy.orm import Session

from shared.contracts.members import ERASED_NAME, MemberErased
from shared.secrets import email_digest, name_digest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErasedPerson:
    """The digests of an erased person's address and names, and the questions every service asks."""

    email_sha256: str | None
    name_sha256: frozenset[str] = frozenset()

    @classmethod
    def of(cls, erased: MemberErased) -> ErasedPerson:
        return cls(erased.email_sha256, frozenset(erased.name_sha256))

    @classmethod
    def known_as(cls, email: str | None, names: Iterable[str | None]) -> ErasedPerson:
        return cls(email_digest(email)).also_named(names)

    def also_named(self, names: Iterable[str | None]) -> ErasedPerson:
        """The same person, also known by these names (e.g. the display name of their registration)."""
        more = {digest for digest in map(name_digest, names) if digest and digest != name_digest(ERASED_NAME)}
        return ErasedPerson(self.email_sha256, self.name_sha256 | more)

    def has_address(self, text: str | None) -> bool:
        return bool(self.email_sha256) and email_digest(text) == self.email_sha256

    def has_name(self, text: str | None) -> bool:
        return bool(text) and name_digest(text) in self.name_sha256

    def addresses_among(self, candidates: Iterable[str | None]) -> set[str]:
        """The stored spellings of the person's address (case or width may differ from row to row)."""
        return {address for address in candidates if address is not None and self.has_address(address)}

    def is_mentioned_in(self, document) -> bool:
        """Whether any string of a JSON document is the person's address or one of their names."""
        return any(self.has_address(text) or self.has_name(text) for text in _strings(document))

    def scrubbed(self, document):
        """The document with every string that is their address or one of their names replaced."""
        if isinstance(document, str):
            return ERASED_NAME if self.has_address(document) or self.has_name(document) else document
        if isinstance(document, dict):
            return {key: self.scrubbed(value) for key, value in document.items()}
        if isinstance(document, list):
            return [self.scrubbed(value) for value in document]
        return document


def _strings(document):
    if isinstance(document, str):
        yield document
    elif isinstance(document, dict):
        for value in document.values():
            yield from _strings(value)
    elif isinstance(document, list):
        for value in document:
            yield from _strings(value)


def stored_forms(text: str) -> set[str]:
    """How a string sits inside a JSON column: as itself, or with every non-ASCII character written as a
    \\uXXXX escape (Python's json, and so SQLAlchemy's JSON type, writes those)."""
    return {text, json.dumps(text)[1:-1]}


def may_mention(column, addresses: Iterable[str]):
    """A cheap SQL filter over a JSON column: documents whose text contains one of the addresses. It may
    match a longer address ("ana@" inside "joana@"); callers confirm with `is_mentioned_in`."""
    forms = {form.lower() for address in addresses for form in stored_forms(address)}
    text = func.lower(cast(column, Text))
    return or_(*(text.contains(form, autoescape=True) for form in sorted(forms)))


def forget_in_outbox(session: Session, outbox: Table, person: ErasedPerson, addresses: Iterable[str]) -> int:
    """Delete every outbox row that mentions the person, published or not: a row published already has
    done its work, and one still waiting would tell another service about them after their erasure (a
    registration mail, a renewal reminder). Returns how many went."""
    addresses = set(addresses)
    if not addresses:
        return 0
    rows = session.execute(select(outbox.c.id, outbox.c.payload).where(may_mention(outbox.c.payload, addresses)))
    doomed = [row.id for row in rows if person.is_mentioned_in(row.payload)]
    if doomed:
        session.execute(delete(outbox).where(outbox.c.id.in_(doomed)))
    return len(doomed)


def forget_in_command_results(session: Session, commands: Table, person: ErasedPerson) -> int:
    """Recorded command results that name the person (a registration's receipt, a member's record) keep
    their place — a late redelivery still finds its command done — with the person's address and names
    replaced. The table holds a day of commands: it is read whole, since names are matched after
    normalisation. Returns how many were scrubbed."""
    rows = session.execute(select(commands.c.key_hash, commands.c.operation, commands.c.result)
                           .where(commands.c.result.is_not(None))).all()
    scrubbed = 0
    for row in rows:
        if person.is_mentioned_in(row.result):
            session.execute(commands.update().where(commands.c.key_hash == row.key_hash,
                                                    commands.c.operation == row.operation)
                            .values(result=person.scrubbed(row.result)))
            scrubbed += 1
    return scrubbed


def reclaim_erased_space(engine: Engine) -> None:
    """Run after an erasure has committed. On SQLite the rows' old versions still sit in the WAL file:
    copy it into the database and truncate it (freed space in the database itself is zeroed, since every
    connection has `secure_delete` on). PostgreSQL keeps dead tuples until VACUUM and WAL segments until
    they are recycled; nothing here can reach those (see docs/ARCHITECTURE.md, "Erasure")."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        # On the driver's connection, outside any transaction: a checkpoint cannot run inside one.
        driver = connection.connection.dbapi_connection
        assert driver is not None, "a connection checked out of the pool has its driver connection"
        busy, _, _ = driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        log.warning("the WAL could not be truncated after an erasure (another connection kept reading); "
                    "the next erasure or the service's stop truncates it")
