"""Calendar feeds kept ready in the gateway, so that a calendar app polling every few minutes costs a
dictionary look-up (and usually a 304), not a rebuild.

An entry is built once, by the events service, on the first request after a change. Changes to events
are learned from the bus: the gateway's bus connection consumes the events service's event_* events on
a queue of its own (exclusive, removed when the gateway stops) and drops what they make stale. While the
connection is lost a change may go unnoticed, so the cache drops everything and keeps nothing until
the bus is back and listening again.

Everything here runs on the gateway's event loop (one per process): no locks.

A registrant's private feed (and a member group's) also changes with their own registrations. Listening
to every registration for that would cost the registration path about a sixth of its throughput at the
opening of a National Forum, so private feeds are instead kept for `private_ttl` seconds
(TSUNAGU_PRIVATE_FEED_SECONDS): far shorter than any calendar app's polling interval.

The cache holds at most `max_bytes` (TSUNAGU_FEED_CACHE_BYTES) of feeds, counted as their bodies plus a
fixed allowance per entry; the least recently used go first, and a feed larger than the whole bound is
served but not kept.
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from services.gateway.bus import Bus
from shared.contracts import EVENT_TYPES
from shared.contracts.events import EventChanged

log = logging.getLogger(__name__)
# Every event that says an event itself changed (the contracts' EventChanged): each may change any feed.
EVENT_CHANGES = tuple(name for name, contract in EVENT_TYPES.items() if issubclass(contract, EventChanged))


@dataclass(frozen=True)
class Feed:
    body: bytes
    etag: str
    last_modified: datetime
    owner: str | None = None  # private feeds: whose (an address, or `group:<id>`)
    built_at: float = 0.0


ENTRY_ALLOWANCE = 512  # bytes an entry costs besides its body: key, ETag, objects


def _cost(key: tuple, feed: Feed) -> int:
    return len(feed.body) + sum(len(str(part)) for part in key) + ENTRY_ALLOWANCE


class FeedCache:
    def __init__(self, private_ttl: float = 60.0, max_bytes: int = 32 * 1024 * 1024):
        self.private_ttl = private_ttl
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, Feed] = OrderedDict()  # least recently used first
        self.size_bytes = 0
        self._generation = 0  # rises with every invalidation: a build that raced one is not kept
        # Entries are kept only while the invalidator listens: without it a change could go unnoticed.
        self.listening = False

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple) -> Feed | None:
        if not self.listening:
            return None
        feed = self._entries.get(key)
        if feed is None:
            return None
        if feed.owner is not None and time.monotonic() - feed.built_at > self.private_ttl:
            self._remove(key)
            return None
        self._entries.move_to_end(key)
        return feed

    async def get_or_build(self, key: tuple, build: Callable[[], Awaitable[dict]]) -> Feed:
        feed = self.get(key)
        if feed is not None:
            return feed
        generation = self._generation
        built = await build()
        feed = Feed(body=built["body"].encode("utf-8"), etag=built["etag"],
                    last_modified=datetime.fromisoformat(built["last_modified"]), owner=built.get("owner"),
                    built_at=time.monotonic())
        if self.listening and generation == self._generation:  # no change came while it was built
            self._keep(key, feed)
        return feed

    def _keep(self, key: tuple, feed: Feed) -> None:
        cost = _cost(key, feed)
        if cost > self.max_bytes:
            return
        self._remove(key)
        while self._entries and self.size_bytes + cost > self.max_bytes:
            self._remove(next(iter(self._entries)))
        self._entries[key] = feed
        self.size_bytes += cost

    def _remove(self, key: tuple) -> None:
        feed = self._entries.pop(key, None)
        if feed is not None:
            self.size_bytes -= _cost(key, feed)

    def drop_all(self) -> None:
        self._generation += 1
        self._entries.clear()
        self.size_bytes = 0


class FeedInvalidator:
    """Drops the stale feeds when the bus says an event changed, and every feed when the bus is lost."""

    def __init__(self, cache: FeedCache):
        self.cache = cache

    def attach(self, bus: Bus) -> None:
        bus.listen("events", EVENT_CHANGES, self.on_event)
        bus.on_state(self.on_bus_state)

    def on_event(self, _event_type: str, _payload: object) -> None:
        self.cache.drop_all()  # an event changed: every feed may hold it

    def on_bus_state(self, listening: bool) -> None:
        self.cache.drop_all()  # whatever changed while nobody listened
        self.cache.listening = listening
        if not listening:
            log.warning("feed cache off until the bus is back: a change could go unnoticed meanwhile")
