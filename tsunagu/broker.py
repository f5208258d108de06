"""`tsunagu broker …`: the broker users of Tsunagu's parts (shared.bus.parts, shared.bus.permissions)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from shared.bus.parts import BrokerPart, password_of, user_of
from shared.bus.permissions import definitions
from shared.settings import Settings, load_settings


def write_definitions(settings: Settings, path: Path, mode: int = 0o600) -> None:
    """The definitions file RabbitMQ loads at boot (`load_definitions`). It holds salted hashes of the
    passwords, not the passwords; still, by default only its owner (the broker's user) reads it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.fchmod(descriptor, mode)  # also when the file was there before
    with os.fdopen(descriptor, "w") as file:
        json.dump(definitions(settings.secret_key, settings.amqp_vhost), file, indent=1)


def definitions_command(output: str | None, mode: str) -> int:
    settings = load_settings()
    if settings.amqp_user:
        print(f"TSUNAGU_AMQP_USER is set: every part connects as {settings.amqp_user}, whose rights are yours "
              "to set; leave it empty for a user per part")
        return 1
    if output:
        write_definitions(settings, Path(output), int(mode, 8))
        print(f"wrote the users of {', '.join(user_of(part) for part in BrokerPart)} to {output}")
    else:
        print(json.dumps(definitions(settings.secret_key, settings.amqp_vhost), indent=1))
    return 0


def password_command(part: str) -> int:
    """A part's password, e.g. the operator's for the management UI."""
    print(password_of(load_settings().secret_key, BrokerPart(part)))
    return 0
