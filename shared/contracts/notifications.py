"""What the notifications service accepts and answers."""
from __future__ import annotations

from pydantic import EmailStr, Field

from shared.contracts.base import Contract, LanguageTag, LocalizedText, RequiredLocalizedText

GENERAL_LIST = "general"


class MailingListDraft(Contract):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: RequiredLocalizedText
    description: LocalizedText = Field(default_factory=dict)


class MailingListView(MailingListDraft):
    confirmed_subscribers: int


class ConfirmedSubscriber(Contract):
    """A subscriber whose consent the network already holds (imported from its old list).

    New subscribers go through double opt-in instead; this is for organizers' imports only.
    """

    email: EmailStr
    language: LanguageTag = "ja"
    name: str | None = Field(None, max_length=120)


class DeliveryCounts(Contract):
    pending: int
    sent: int
    failed: int
