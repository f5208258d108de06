"""What the events service accepts, answers and announces."""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo, available_timezones

from pydantic import Field, ValidationInfo, field_validator

from shared.contracts.base import Contract, Event, LocalizedText, RequiredLocalizedText
from shared.contracts.vocabulary import EventKind, EventStatus, Region

DEFAULT_TIMEZONE = "Asia/Tokyo"


class EventDraft(Contract):
    """An organizer's description of an event, as sent to `create_event`.

    Times without an offset are read in `timezone`; all times are stored in UTC with that zone.
    """

    kind: EventKind
    title: RequiredLocalizedText
    description: LocalizedText = Field(default_factory=dict)
    region: Region
    prefecture: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=80)
    venue: str | None = Field(None, max_length=200, description="Venue name and address")
    timezone: str = DEFAULT_TIMEZONE  # before the times: they are read in it
    starts_at: datetime
    ends_at: datetime
    networks: list[str] = Field(default_factory=list, description="Thematic networks, as slugs")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Tokyo)")
        return value

    @field_validator("networks")
    @classmethod
    def _slugs(cls, value: list[str]) -> list[str]:
        return sorted({slug.strip().lower() for slug in value if slug.strip()})

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _in_event_zone(cls, value: datetime, info: ValidationInfo) -> datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(info.data.get("timezone") or DEFAULT_TIMEZONE))
        starts_at = info.data.get("starts_at")
        if info.field_name == "ends_at" and starts_at is not None and value < starts_at:
            raise ValueError("the event ends before it starts")
        return value


class EventView(Contract):
    """An event as callers see it. `revision` rises with every change after publication."""

    id: str
    status: EventStatus
    revision: int
    kind: EventKind
    title: dict[str, str]
    description: dict[str, str]
    region: Region
    prefecture: str | None
    city: str | None
    venue: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    networks: list[str]
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class EventPublished(Event):
    """Published by the events service when an organizer publishes an event.

    Promises: the event is now public, `event` is its state at that moment (revision included).
    Consumers: notifications (announcement to the general list and, later, region and network lists).
    """

    event_type: ClassVar[str] = "event_published"
    source: ClassVar[str] = "events"

    event: EventView
