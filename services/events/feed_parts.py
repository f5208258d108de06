"""Each public event's calendar component, written once per change of the event and reused by every
build of every public feed that holds it: a change to one event of a 10,000-event feed writes one
component, not 10,000 (the feed's bytes are the same as a full build's: services/events/ical.py's
`assembled`, and a test compares them).

A part is known by the event, its last change (`updated_at`, which every change moves — the feeds'
Last-Modified rests on it too), its revision, the language and the address the links point to. The
parts kept are bounded by their bytes; the least recently used go first.
"""
from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

from nameko.extensions import DependencyProvider

from services.events.ical import Part

MOST_BYTES = 64 * 1024 * 1024  # ≈ 90,000 events' components in one language
PartKey = tuple[str, datetime, int, str | None, str]  # event id, updated_at, revision, language, base URL


class FeedParts:
    def __init__(self, most_bytes: int = MOST_BYTES):
        self.most_bytes = most_bytes
        self.bytes = 0
        self._parts: OrderedDict[PartKey, Part] = OrderedDict()

    def get(self, key: PartKey) -> Part | None:
        part = self._parts.get(key)
        if part is not None:
            self._parts.move_to_end(key)
        return part

    def put(self, key: PartKey, part: Part) -> None:
        if key in self._parts:
            return
        self._parts[key] = part
        self.bytes += len(part.ical)
        while self.bytes > self.most_bytes and self._parts:
            _, dropped = self._parts.popitem(last=False)
            self.bytes -= len(dropped.ical)


class KeptFeedParts(DependencyProvider):
    """The service's FeedParts, shared by its workers; empty until the first feed is built."""

    def __init__(self):
        self.parts = FeedParts()  # an empty dict until used: nothing to open or connect

    def get_dependency(self, _worker_ctx):
        return self.parts
