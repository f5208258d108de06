"""The members service's rules, free of frameworks: who is listed publicly and with what, who is a
current member on a date, the activity report's counts, and when a renewal reminder is due."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from shared.contracts.members import ERASED_NAME, INDIVIDUAL_PUBLIC_FIELDS, DirectoryEntry, StatsRow, Visibility

GROUP_PUBLIC_FIELDS = ("name", "kind", "region", "prefecture", "city", "website", "help_languages", "networks",
                       "public_contact")
RENEWAL_NOTICE = timedelta(weeks=4)


def directory_listed(member_kind: str, visibility: str | None, opted_in: bool) -> bool:
    if member_kind == "group":
        return visibility == Visibility.PUBLIC.value
    return opted_in


def public_entry(member) -> DirectoryEntry:
    """Only what the member chose to show. `member` is anything with the members table's attributes."""
    if member.member_kind == "group":
        shown = {name: getattr(member, name) for name in GROUP_PUBLIC_FIELDS}
    else:
        chosen = set(member.public_fields or ()) & set(INDIVIDUAL_PUBLIC_FIELDS)
        shown = {name: getattr(member, name) for name in chosen}
    return DirectoryEntry(id=member.id, member_kind=member.member_kind, **shown)


def search_text(name: dict[str, str] | None, display_name: str | None) -> str:
    """Japanese has no case; English does: lower-case everything, keep every language's name."""
    return " ".join([*(name or {}).values(), display_name or ""]).lower().strip()


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


def stats_on(holdings: Iterable[Holding], day: date, member_kind: str) -> StatsRow:
    """Members and their units, subscribers and their subscriptions, of one kind on one day — the
    2011 report's "Individual: 325 (331)" is members 325, units 331."""
    current = [h for h in holdings if h.member_kind == member_kind and h.current_on(day)]
    members = [h for h in current if h.type == "member"]
    subscribers = [h for h in current if h.type == "subscriber"]
    return StatsRow(members=len({h.member_id for h in members}), units=sum(h.units for h in members),
                    subscribers=len({h.member_id for h in subscribers}),
                    subscriptions=sum(h.units for h in subscribers))


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
    return bool(renewal_due_on) and not already_sent and today >= renewal_due_on - RENEWAL_NOTICE
