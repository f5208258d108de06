"""What each part may do on the broker, and the definitions RabbitMQ loads to enforce it.

RabbitMQ checks three rights per resource name (configure: declare or delete; write: publish to an
exchange, bind a queue; read: consume a queue, bind from an exchange) and, on a topic exchange, the
routing keys a user may publish with (write) and bind with (read). Everything here is derived from
the topology and the subscription list, so a new subscription needs no change here:

- a service configures, binds and consumes only its own RPC queue and subscription queues; publishes
  only its own events, replies on `nameko-rpc` (never calls: a service calls no other), events put
  aside on its own retry exchange, and dead letters;
- the gateway publishes calls on `nameko-rpc` (never replies) and listens on queues of its own;
- nobody but the operator may publish to the default exchange, which reaches every queue by name.
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass

from shared.bus.parts import BrokerPart, password_of, user_of
from shared.bus.subscriptions import SUBSCRIPTIONS
from shared.bus.topology import (
    DEAD_LETTERS,
    GATEWAY_REPLY_QUEUE,
    RPC_EXCHANGE,
    RPC_QUEUE,
    event_exchange,
    retry_exchange,
)
from shared.settings import SERVICE_NAMES

NOTHING = "^$"  # matches no resource name (RabbitMQ's own idiom)
HEX32 = "[0-9a-f]{32}"
# The routing key a reply goes to: the gateway's reply key (32 hex digits) or a nameko proxy's (a UUID).
REPLY_KEY = "^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$"


@dataclass(frozen=True)
class Permissions:
    configure: str
    write: str
    read: str
    rpc_publish: str | None = None  # routing keys it may publish to nameko-rpc with (None: any)
    rpc_bind: str | None = None     # … and bind a queue to nameko-rpc with


def exactly(*names: str) -> str:
    return "^(" + "|".join(re.escape(name) for name in sorted(names)) + ")$" if names else NOTHING


def _either(*patterns: str) -> str:
    return "|".join(pattern for pattern in patterns if pattern != NOTHING) or NOTHING


def _service(service: str) -> Permissions:
    rpc_queue = RPC_QUEUE.format(service=service)
    own = [rpc_queue, *(sub.queue_name for sub in SUBSCRIPTIONS if sub.consumer == service)]
    consumes_from = {event_exchange(sub.contract.source).name for sub in SUBSCRIPTIONS if sub.consumer == service}
    puts_aside = [retry_exchange(service).name] if len(own) > 1 else []
    return Permissions(
        configure=exactly(*own),
        write=exactly(*own, event_exchange(service).name, RPC_EXCHANGE, DEAD_LETTERS, *puts_aside),
        read=exactly(*own, RPC_EXCHANGE, *consumes_from),
        rpc_publish=REPLY_KEY,
        rpc_bind=exactly(f"{service}.*"),
    )


def _gateway() -> Permissions:
    # Its reply queue, and the queues the broker names for its listeners (exclusive to its connection).
    own = _either("^" + re.escape(GATEWAY_REPLY_QUEUE.format(key="KEY")).replace("KEY", HEX32) + "$",
                  r"^amq\.gen-[A-Za-z0-9_-]+$")
    return Permissions(
        configure=own,
        write=_either(own, exactly(RPC_EXCHANGE)),
        read=_either(own, exactly(RPC_EXCHANGE, *(event_exchange(source).name for source in SERVICE_NAMES))),
        rpc_publish="^(" + "|".join(SERVICE_NAMES) + r")\.[a-z_]+$",
        rpc_bind=f"^{HEX32}$",
    )


def permissions_of(part: BrokerPart) -> Permissions:
    if part is BrokerPart.OPERATOR:
        return Permissions(configure=".*", write=".*", read=".*")
    if part is BrokerPart.GATEWAY:
        return _gateway()
    return _service(part.value)


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))."""
    salt = os.urandom(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def definitions(secret_key: str, vhost: str = "/") -> dict:
    """Users, passwords and rights of every part, as RabbitMQ's definitions file (`load_definitions`).

    RabbitMQ's own `guest` is listed without a password: on a node that has it, it can no longer sign in."""
    users = [{"name": "guest", "password_hash": "", "hashing_algorithm": "rabbit_password_hashing_sha256",
              "tags": []}]
    permissions, topic_permissions = [], []
    for part in BrokerPart:
        user = user_of(part)
        users.append({"name": user, "password_hash": password_hash(password_of(secret_key, part)),
                      "hashing_algorithm": "rabbit_password_hashing_sha256",
                      "tags": ["administrator"] if part is BrokerPart.OPERATOR else []})
        rights = permissions_of(part)
        permissions.append({"user": user, "vhost": vhost, "configure": rights.configure, "write": rights.write,
                            "read": rights.read})
        if rights.rpc_publish is not None:
            topic_permissions.append({"user": user, "vhost": vhost, "exchange": RPC_EXCHANGE,
                                      "write": rights.rpc_publish, "read": rights.rpc_bind or ".*"})
    return {"users": users, "vhosts": [{"name": vhost}], "permissions": permissions,
            "topic_permissions": topic_permissions}
