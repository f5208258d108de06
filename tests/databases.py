"""Tables for tests that work on a database directly, without the services' processes."""
from __future__ import annotations

from types import ModuleType

from sqlalchemy import Engine, MetaData

from shared.migrations import upgrade


def make_tables(engine: Engine, owner: ModuleType | MetaData) -> None:
    """A service's tables as `tsunagu migrate` makes them (`owner`: its models module), or a test's own
    tables (`owner`: their MetaData)."""
    if isinstance(owner, MetaData):
        owner.create_all(engine)
    else:
        upgrade(engine, owner.__name__.split(".")[1])  # services.<name>.models
