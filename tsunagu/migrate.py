"""`tsunagu migrate`: every service's database brought to its head revision (shared/migrations.py).

Run before the services start — by `make run`, by the compose file's one-shot step, by the tests'
stacks. Safe to run again: a database already at head is left as it is.
"""
from __future__ import annotations

from shared.db import make_engine
from shared.migrations import upgrade
from shared.settings import SERVICE_NAMES, Settings


def migrate(settings: Settings) -> list[str]:
    """Upgrade each service's database; one line per service saying what was done."""
    done = []
    for service in SERVICE_NAMES:
        engine = make_engine(settings.database_url_for(service), schema=service)
        try:
            before, head = upgrade(engine, service)
        finally:
            engine.dispose()
        if before == head:
            done.append(f"{service}: at revision {head} already")
        else:
            done.append(f"{service}: {f'revision {before}' if before else 'no revision'} → revision {head}")
    return done


def migrate_command() -> int:
    from shared.settings import load_settings
    for line in migrate(load_settings()):
        print(line)
    return 0
