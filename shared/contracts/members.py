"""What the members service accepts, answers and announces."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from shared.contracts.base import Contract, Event, LanguageTag, RequiredLocalizedText
from shared.contracts.vocabulary import Region


class GroupKind(StrEnum):
    UNION = "union"
    NPO = "npo"
    FAITH_BASED = "faith_based"
    SHELTER = "shelter"
    LEGAL_NETWORK = "legal_network"
    COMMUNITY_ASSOCIATION = "community_association"
    OTHER = "other"


class MemberGroupDraft(Contract):
    """A member group as an organizer enters it."""

    name: RequiredLocalizedText
    kind: GroupKind
    region: Region
    prefecture: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=80)
    website: str | None = Field(None, max_length=300)
    help_languages: list[LanguageTag] = Field(default_factory=list)
    networks: list[str] = Field(default_factory=list)


class MemberGroupView(MemberGroupDraft):
    id: str
    created_at: datetime


class MemberJoined(Event):
    """Published by the members service when a group or individual becomes a member.

    Promises: `member_id` is a current member from `occurred_at`. Carries no personal data beyond what
    the directory shows publicly for groups.
    """

    event_type: ClassVar[str] = "member_joined"
    source: ClassVar[str] = "members"

    member_id: str
    member_kind: str  # "group" or "individual"
    region: Region
    networks: list[str]
