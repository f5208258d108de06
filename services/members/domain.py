"""The members service's rules, free of frameworks: who is listed publicly and with what, who is a
current member on a date, the activity report's counts, and when a renewal reminder is due."""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from shared.contracts.members import (
    GROUP_PUBLIC_FIELDS,
    INDIVIDUAL_PUBLIC_FIELDS,
    DirectoryEntry,
    StatsRow,
    Visibility,
)
from shared.errors import Conflict

RENEWAL_NOTICE = timedelta(weeks=4)


def directory_listed(member_kind: str, visibility: str | None, opted_in: bool) -> bool:
    """Whether everyone's directory lists it: a public group, or an individual who opted in."""
    if member_kind == "group":
        return visibility == Visibility.PUBLIC  # a StrEnum: equal to its stored text
    return opted_in


def members_listed(member_kind: str, visibility: str | None, opted_in: bool) -> bool:
    """Whether the network's members' directory lists it: all that everyone sees, and the groups that
    show themselves to members only."""
    return directory_listed(member_kind, visibility, opted_in) or (
        member_kind == "group" and visibility == Visibility.MEMBERS)


# What a public entry is made from (public_entry): never the whole row.
PUBLIC_ENTRY_FIELDS = tuple(dict.fromkeys((
    "id", "member_kind", "visibility", "directory_opt_in", "public_fields", *GROUP_PUBLIC_FIELDS,
    *INDIVIDUAL_PUBLIC_FIELDS)))
# An entry that shows nothing: every field DirectoryEntry sends, at its default.
_NOTHING_SHOWN = {name: field.get_default() for name, field in DirectoryEntry.model_fields.items()
                  if not field.is_required()}


def public_entry(member: Mapping[str, Any]) -> dict:
    """Only what the member chose to show, as the directory sends it: DirectoryEntry's fields, written
    straight from the stored values (each was checked by its draft when it was written, and the gateway
    answers with the contract). `member`: the PUBLIC_ENTRY_FIELDS of the members table, by name."""
    kind = member["member_kind"]
    entry = {**_NOTHING_SHOWN, "id": member["id"], "member_kind": kind,
             "members_only": not directory_listed(kind, member["visibility"], member["directory_opt_in"])}
    shown = GROUP_PUBLIC_FIELDS if kind == "group" else set(member["public_fields"] or ()).intersection(
        INDIVIDUAL_PUBLIC_FIELDS)
    for name in shown:
        entry[name] = member[name]
    return entry


# Katakana as hiragana (ァ..ヶ, ヽ, ヾ): someone typing カラバオ on a phone may get からばお.
_KANA_FOLD = {code: code - 0x60 for code in (*range(0x30A1, 0x30F7), 0x30FD, 0x30FE)}


def folded(text: str) -> str:
    """How search and import matching compare text: NFKC (half-width ｶﾗﾊﾞｵ is カラバオ, full-width Ｇ is
    G), case-folded, katakana as hiragana. Only keys are folded; what people typed is stored as typed."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_KANA_FOLD)


def search_text(name: dict[str, str] | None, display_name: str | None) -> str:
    """The names in every language, folded: Japanese has no word boundaries, so search is by substring."""
    return folded(" ".join([*(name or {}).values(), display_name or ""])).strip()


SORT_KEY_CHARS = 200


def sort_key(search_text: str) -> str:
    """Where a name sorts in the directory: its folded text, cut to a length an index holds on every
    database (PostgreSQL's b-tree entries stop near 2,700 bytes; a name may be written in 20 languages)."""
    return search_text[:SORT_KEY_CHARS]


def search_words(q: str) -> list[str]:
    return folded(q).split()


def search_grams(text: str) -> set[str]:
    """The directory's index of a folded text: every two neighbouring characters within a word (a
    bigram, not the trigram of pg_trgm or FTS5: 支援, 連帯, 難民 are two characters long). A query
    word of two characters or more has all its bigrams among a name's when it is part of that name,
    so the index narrows a search to the members holding them all; the substring test then decides
    (the bigrams may all be there out of order). A single character has no bigram: it is looked for
    by the substring test alone."""
    return {word[i:i + 2] for word in text.split() for i in range(len(word) - 1)}


def indexed_grams(search_text: str, public_search_text: str) -> dict[str, bool]:
    """What the directory's index holds of a member: each bigram of their names, and whether the public
    entry shows it (public queries look only at those)."""
    shown = search_grams(public_search_text)
    return {gram: gram in shown for gram in search_grams(search_text) | shown}


def name_key(text: str) -> str:
    """A group's name as the import matches it: folded, spaces (half- or full-width) ignored."""
    return "".join(folded(text).split())


@dataclass(frozen=True)
class PublicFilters:
    """What a public directory query may filter an entry on: its public entry, nothing more."""

    search_text: str
    region: str | None
    networks: frozenset[str]
    languages: frozenset[str]


def public_filters(entry: dict | None) -> PublicFilters:
    """`entry` is the member's public entry (public_entry), or None when the member is not listed."""
    if entry is None:
        return PublicFilters("", None, frozenset(), frozenset())
    return PublicFilters(search_text(entry["name"], entry["display_name"]), entry["region"],
                         frozenset(entry["networks"] or ()), frozenset(entry["help_languages"] or ()))


@dataclass(frozen=True)
class Holding:
    """One membership, as the statistics need it."""

    member_id: str
    member_kind: str
    type: str
    units: int
    starts_on: date
    ends_on: date

    def current_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def held_on(holdings: Iterable[Holding], day: date) -> list[Holding]:
    """The period each member holds of each type on `day`: the one that started last. A renewal starts
    before the old period's grace ends (fiscal year from 1 April, grace to 30 June), and from its
    first day it is what the member holds — with its own units, more or fewer than before."""
    latest: dict[tuple[str, str], Holding] = {}
    for holding in holdings:
        if holding.current_on(day):
            key = (holding.member_id, holding.type)
            held = latest.get(key)
            if held is None or (holding.starts_on, holding.units) > (held.starts_on, held.units):
                latest[key] = holding
    return list(latest.values())


def stats_on(holdings: Iterable[Holding], day: date, member_kind: str) -> StatsRow:
    """Members and their units, subscribers and their subscriptions, of one kind on one day — the
    2011 report's "Individual: 325 (331)" is members 325, units 331. Each member's units count once
    per day, however many of their periods overlap it."""
    current = [h for h in held_on(holdings, day) if h.member_kind == member_kind]
    members = [h for h in current if h.type == "member"]
    subscribers = [h for h in current if h.type == "subscriber"]
    return StatsRow(members=len({h.member_id for h in members}), units=sum(h.units for h in members),
                    subscribers=len({h.member_id for h in subscribers}),
                    subscriptions=sum(h.units for h in subscribers))


def check_same_period(existing_id: str, existing: dict, wanted: dict) -> None:
    """Two periods of one type from the same day are one period: the same again is fine (a repeated
    request), different figures are a Conflict naming the one that is there (fix it, don't double it).
    Both as plain values (type, units, starts_on, ends_on, fiscal_year, dues_status, renewal_due_on)."""
    differing = [name for name in wanted if wanted[name] != existing.get(name)]
    if differing:
        raise Conflict(f"there is already a {existing['type']} period from {existing['starts_on']} to "
                       f"{existing['ends_on']} ({existing_id}: {existing['units']} units, dues "
                       f"{existing['dues_status']}); this one differs in {', '.join(differing)}", differing[0])


def difference(now: StatsRow, before: StatsRow) -> StatsRow:
    return StatsRow(members=now.members - before.members, units=now.units - before.units,
                    subscribers=now.subscribers - before.subscribers,
                    subscriptions=now.subscriptions - before.subscriptions)


def year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def is_current_member(holdings: Iterable[Holding], day: date) -> bool:
    return any(h.type == "member" and h.current_on(day) for h in holdings)


def renewal_reminder_due(renewal_due_on: date | None, already_sent: bool, today: date) -> bool:
    return renewal_due_on is not None and not already_sent and today >= renewal_due_on - RENEWAL_NOTICE
