"""Words every service agrees on: regions of Japan, kinds of event, event states."""
from __future__ import annotations

from enum import StrEnum


class Region(StrEnum):
    HOKKAIDO = "hokkaido"
    TOHOKU = "tohoku"
    KANTO = "kanto"
    CHUBU_TOKAI = "chubu-tokai"
    KINKI_KANSAI = "kinki-kansai"
    CHUGOKU = "chugoku"
    SHIKOKU = "shikoku"
    KYUSHU_OKINAWA = "kyushu-okinawa"
    ONLINE = "online"


class EventKind(StrEnum):
    NATIONAL_FORUM = "national_forum"
    WORKSHOP = "workshop"
    MIGRANTS_DAY = "migrants_day"
    SYMPOSIUM = "symposium"
    WORKING_MEETING = "working_meeting"
    NEGOTIATION = "negotiation"
    OTHER = "other"


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
