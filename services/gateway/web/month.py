"""The home page's month calendar: the weeks of one month (Sunday first, as calendars in Japan are),
each day with the events that start on it in their own zone; the month before and after."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.contracts.events import DEFAULT_TIMEZONE, EventView

SUNDAY_FIRST = calendar.Calendar(firstweekday=calendar.SUNDAY)


@dataclass(frozen=True)
class Day:
    day: date
    in_month: bool
    events: tuple[EventView, ...]


@dataclass(frozen=True)
class Month:
    first: date
    weeks: list[list[Day]]
    before: str  # YYYY-MM
    after: str

    @property
    def with_events(self) -> list[Day]:
        return [day for week in self.weeks for day in week if day.in_month and day.events]


def month_of(text: str | None, today: date, years_around: int = 5) -> date:
    """The first day of the month `text` names (YYYY-MM), or of today's; a month more than `years_around`
    years off is today's."""
    try:
        first = datetime.strptime(text or "", "%Y-%m").date()
    except ValueError:
        return today.replace(day=1)
    return first if abs(first.year - today.year) <= years_around else today.replace(day=1)


def span(first: date) -> tuple[datetime, datetime]:
    """The moments a month's calendar asks the schedule for: its weeks, whole, in Japan's time."""
    weeks = SUNDAY_FIRST.monthdatescalendar(first.year, first.month)
    zone = ZoneInfo(DEFAULT_TIMEZONE)
    start = datetime.combine(weeks[0][0], time(), zone).astimezone(UTC)
    end = datetime.combine(weeks[-1][-1] + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


def month(first: date, events: list[EventView]) -> Month:
    by_day: dict[date, list[EventView]] = {}
    for event in events:
        by_day.setdefault(event.starts_at.astimezone(ZoneInfo(event.timezone)).date(), []).append(event)
    weeks = [[Day(day, day.month == first.month, tuple(by_day.get(day, ()))) for day in week]
             for week in SUNDAY_FIRST.monthdatescalendar(first.year, first.month)]
    before = (first - timedelta(days=1)).replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    return Month(first, weeks, before.strftime("%Y-%m"), after.strftime("%Y-%m"))
