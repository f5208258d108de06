"""The parts of Tsunagu that connect to RabbitMQ, each as a broker user of its own.

Each part may touch only its own exchanges and queues (`shared.bus.permissions` says which), so a
broker password that leaks lets its holder do what that one part does, no more: the gateway's cannot
publish a member's event, a service's cannot read another's calls. The operator (the command line,
`tsunagu declare`, the management UI) owns the topology and may do everything.

Unless TSUNAGU_AMQP_USER and TSUNAGU_AMQP_PASSWORD name one user for all, a part's password is derived
from TSUNAGU_SECRET_KEY, which every part already holds: there is no second secret to hand out, and
`tsunagu broker definitions` writes the users for the broker to load.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from enum import StrEnum


class BrokerPart(StrEnum):
    OPERATOR = "operator"
    GATEWAY = "gateway"
    EVENTS = "events"
    MEMBERS = "members"
    NOTIFICATIONS = "notifications"


def user_of(part: BrokerPart) -> str:
    return f"tsunagu-{part.value}"


def password_of(secret_key: str, part: BrokerPart) -> str:
    digest = hmac.new(secret_key.encode(), f"tsunagu broker password: {part.value}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
