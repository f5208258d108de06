"""How many members hold each common bigram of the directory's index (domain.search_grams), kept in
memory so that choosing how a word is looked up (operations.directory) does not ask the database on
every query. The counts only choose the plan: a stale count can make a query slower, never its answer
different (the substring test always decides)."""
from __future__ import annotations

from dataclasses import dataclass
from time import monotonic
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, case, func, select
from sqlalchemy.orm import Session

from services.members.models import MemberSearchGram

REFRESHED_AFTER_SECONDS = 600.0
# Bigrams fewer members hold are not kept: any of them narrows a search to a handful of names.
KEPT_FROM = 50


@dataclass(frozen=True)
class GramCounts:
    """Members holding each bigram, for public queries (bigrams their entries show) and for organizers
    (every bigram); a bigram absent holds fewer than KEPT_FROM."""

    public: dict[str, int]
    every: dict[str, int]
    taken_at: float

    def held(self, public: bool) -> dict[str, int]:
        return self.public if public else self.every


_taken: WeakKeyDictionary[Engine | Connection, GramCounts] = WeakKeyDictionary()


def current(session: Session) -> GramCounts:
    """The counts of the session's database, taken again when older than REFRESHED_AFTER_SECONDS (one
    pass over the bigram index: 90 ms at 100,000 members)."""
    engine = session.get_bind()
    counts = _taken.get(engine)
    if counts is None or monotonic() - counts.taken_at > REFRESHED_AFTER_SECONDS:
        counts = _taken[engine] = count(session)
    return counts


def count(session: Session) -> GramCounts:
    shown = func.sum(case((MemberSearchGram.public.is_(True), 1), else_=0))
    public: dict[str, int] = {}
    every: dict[str, int] = {}
    for gram, shown_by, held_by in session.execute(select(MemberSearchGram.gram, shown, func.count()).group_by(
            MemberSearchGram.gram).having(func.count() >= KEPT_FROM)).tuples():
        every[gram] = held_by
        if shown_by >= KEPT_FROM:
            public[gram] = int(shown_by)
    return GramCounts(public=public, every=every, taken_at=monotonic())
