"""The gateway's feed cache: bounded in bytes, least recently used first; and the dates it tells."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from services.gateway.feed_cache import FeedCache, FeedInvalidator
from services.gateway.routers.feeds import _last_modified_header

CHANGE = datetime(2031, 5, 1, 12, 0, 0, 300_000, tzinfo=UTC)


def built(size: int):
    async def build() -> dict:
        return {"body": "x" * size, "etag": '"e"', "last_modified": CHANGE.isoformat()}
    return build


def keep(cache: FeedCache, key: tuple, build):
    return asyncio.run(cache.get_or_build(key, build))


def listening_cache(max_bytes: int) -> FeedCache:
    cache = FeedCache(max_bytes=max_bytes)
    cache.listening = True
    return cache


def test_the_cache_never_holds_more_than_its_bound_and_drops_the_least_recently_used():
    cache = listening_cache(20_000)
    for n in range(100):
        keep(cache, ("feed", n), built(1_000))
        if n == 50:
            assert cache.get(("feed", 40)) is not None  # used again: kept longer than 41…50
        assert cache.size_bytes <= 20_000
    kept = [n for n in range(100) if cache.get(("feed", n)) is not None]
    assert kept[-1] == 99 and 40 not in kept and 12 <= len(kept) < 20
    cache.drop_all()
    assert cache.size_bytes == 0 and len(cache) == 0


def test_a_feed_larger_than_the_bound_is_served_but_not_kept():
    cache = listening_cache(5_000)
    keep(cache, ("small",), built(1_000))
    feed = keep(cache, ("huge",), built(10_000))
    assert len(feed.body) == 10_000
    assert cache.get(("huge",)) is None and cache.get(("small",)) is not None


def test_a_change_on_the_bus_drops_every_feed_and_a_lost_bus_keeps_nothing_until_it_is_back():
    cache = FeedCache()
    invalidator = FeedInvalidator(cache)
    invalidator.on_bus_state(True)
    keep(cache, ("feed", 1), built(10))
    assert cache.get(("feed", 1)) is not None
    invalidator.on_event("event_updated", {"event": {}})
    assert cache.get(("feed", 1)) is None
    keep(cache, ("feed", 1), built(10))
    invalidator.on_bus_state(False)  # a change may come unheard meanwhile
    assert len(cache) == 0
    keep(cache, ("feed", 1), built(10))
    assert cache.get(("feed", 1)) is None and len(cache) == 0
    invalidator.on_bus_state(True)
    keep(cache, ("feed", 1), built(10))
    assert cache.get(("feed", 1)) is not None


def test_a_feed_built_while_a_change_came_is_served_but_not_kept():
    cache = listening_cache(100_000)
    invalidator = FeedInvalidator(cache)

    async def build_while_it_changes() -> dict:
        invalidator.on_event("event_cancelled", {})  # the change arrives while the events service builds
        return await built(10)()
    feed = keep(cache, ("feed", 1), build_while_it_changes)
    assert feed.body == b"x" * 10
    assert cache.get(("feed", 1)) is None


def test_last_modified_is_never_before_the_change_nor_after_the_answer():
    told = parsedate_to_datetime(_last_modified_header(CHANGE, CHANGE + timedelta(seconds=5)))
    assert told == CHANGE.replace(microsecond=0) + timedelta(seconds=1)  # rounded up: after the change
    within = parsedate_to_datetime(_last_modified_header(CHANGE, CHANGE + timedelta(milliseconds=200)))
    assert within == CHANGE.replace(microsecond=0) <= CHANGE + timedelta(milliseconds=200)
    exact = CHANGE.replace(microsecond=0)
    assert parsedate_to_datetime(_last_modified_header(exact, exact + timedelta(seconds=5))) == exact
