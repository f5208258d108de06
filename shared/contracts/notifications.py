"""What the notifications service accepts and answers."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr, Field

from shared.contracts.base import Contract, LanguageTag, LocalizedText, RequiredLocalizedText
from shared.contracts.vocabulary import Region

GENERAL_LIST = "general"


class PostingPolicy(StrEnum):
    ANNOUNCE = "announce"        # only organizers post (announcement lists, the magazine)
    DISCUSSION = "discussion"    # members may post (handled by the network's list server for now)


class MailingListDraft(Contract):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: RequiredLocalizedText
    description: LocalizedText = Field(default_factory=dict)
    policy: PostingPolicy = PostingPolicy.ANNOUNCE
    region: Region | None = Field(None, description="Announcements of events in this region also go here")
    network: str | None = Field(None, max_length=64, description="… and of events of this network")


class MailingListView(MailingListDraft):
    confirmed_subscribers: int


class ConfirmedSubscriber(Contract):
    """A subscriber whose consent the network already holds (imported from its old list).

    New subscribers go through double opt-in instead; this is for organizers' imports only.
    """

    email: EmailStr
    language: LanguageTag = "ja"
    name: str | None = Field(None, max_length=120)


class SubscriptionRequest(Contract):
    email: EmailStr
    language: LanguageTag = "ja"
    name: str | None = Field(None, max_length=120)


class SubscriberView(Contract):
    email: str
    name: str | None
    language: str
    status: str
    bounces: int
    created_at: datetime


class AnnouncementDraft(Contract):
    """An organizer's announcement to a list, in as many languages as they wrote it."""

    subject: RequiredLocalizedText
    body: RequiredLocalizedText


class DeliveryCounts(Contract):
    pending: int
    sent: int
    failed: int


class AnnouncementView(Contract):
    id: str
    list_slug: str | None
    template: str
    created_at: datetime
    recipients: int
    pending: int
    sent: int
    failed: int
