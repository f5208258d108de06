"""What the notifications service accepts and answers."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr, Field

from shared.contracts.base import (MAX_LANGUAGES, BoundedLanguageTag, Contract, bounded_localized_text,
                                   plain_text)
from shared.contracts.vocabulary import Region

GENERAL_LIST = "general"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
SUBSCRIPTION_ID_MAX = 2**31 - 1  # the subscriptions table's integer key (INTEGER on PostgreSQL)

# Every text has a documented maximum (characters; a per-language text counts each language's text).
LIST_NAME_MAX = 200
LIST_DESCRIPTION_MAX = 2000
SUBJECT_MAX = 200
BODY_MAX = 20_000
PERSON_NAME_MAX = 120
NETWORK_MAX = 64

ListName = bounded_localized_text(LIST_NAME_MAX, single_line=True, required=True)
ListDescription = bounded_localized_text(LIST_DESCRIPTION_MAX)
PersonName = plain_text(PERSON_NAME_MAX)
_PER_LANGUAGE = f"at most {MAX_LANGUAGES} languages"


class PostingPolicy(StrEnum):
    ANNOUNCE = "announce"        # only organizers post (announcement lists, the magazine)
    DISCUSSION = "discussion"    # members may post (handled by the network's list server for now)


class MailingListDraft(Contract):
    slug: str = Field(pattern=SLUG_PATTERN)
    name: ListName = Field(description=f"Per language, one line of at most {LIST_NAME_MAX} characters; {_PER_LANGUAGE}")
    description: ListDescription = Field(
        default_factory=dict, description=f"Per language, at most {LIST_DESCRIPTION_MAX} characters; {_PER_LANGUAGE}")
    policy: PostingPolicy = PostingPolicy.ANNOUNCE
    region: Region | None = Field(None, description="Announcements of events in this region also go here")
    network: plain_text(NETWORK_MAX) | None = Field(None, description="… and of events of this network")


class MailingListView(MailingListDraft):
    confirmed_subscribers: int


class ConfirmedSubscriber(Contract):
    """A subscriber whose consent the network already holds (imported from its old list).

    New subscribers go through double opt-in instead; this is for organizers' imports only.
    """

    email: EmailStr
    language: BoundedLanguageTag = "ja"
    name: PersonName | None = None


class SubscriptionRequest(Contract):
    email: EmailStr
    language: BoundedLanguageTag = "ja"
    name: PersonName | None = Field(None, description=f"One line of at most {PERSON_NAME_MAX} characters")


class SubscriberView(Contract):
    email: str
    name: str | None
    language: str
    status: str
    bounces: int
    created_at: datetime


class AnnouncementDraft(Contract):
    """An organizer's announcement to a list, in as many languages as they wrote it."""

    subject: bounded_localized_text(SUBJECT_MAX, single_line=True, required=True) = Field(
        description=f"Per language, one line of at most {SUBJECT_MAX} characters; {_PER_LANGUAGE}")
    body: bounded_localized_text(BODY_MAX, required=True) = Field(
        description=f"Per language, at most {BODY_MAX} characters; {_PER_LANGUAGE}")


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
