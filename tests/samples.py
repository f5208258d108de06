"""Contracts filled with plausible values, for tests that need one whole (an event as the bus carries
it)."""
from __future__ import annotations

import uuid

from shared.contracts.base import utcnow
from shared.contracts.events import EventView
from shared.contracts.identity import Caller, Grant, Role

SECRETARIAT = Caller(account_id="acc-secretariat", email="secretariat@example.org",
                     grants=(Grant(role=Role.SECRETARIAT),))


def contact(*groups: str) -> Caller:
    return Caller(account_id=f"acc-contact-{'-'.join(groups)}", email="contact@example.org",
                  grants=(Grant(role=Role.GROUP_CONTACT, groups=groups),))


def organizer(*regions: str, networks: tuple[str, ...] = ()) -> Caller:
    return Caller(account_id=f"acc-organizer-{'-'.join(regions + networks)}", email="organizer@example.org",
                  grants=(Grant(role=Role.ORGANIZER, regions=regions, networks=networks),))


def event_view(**overrides) -> EventView:
    now = utcnow()
    return EventView(**{
        "id": str(uuid.uuid4()), "status": "published", "revision": 1, "kind": "workshop",
        "title": {"ja": "ワークショップ"}, "description": {}, "region": "kanto", "prefecture": None, "city": "東京",
        "venue": None, "starts_at": now, "ends_at": now, "timezone": "Asia/Tokyo", "networks": [],
        "created_at": now, "updated_at": now, "published_at": now, **overrides})
