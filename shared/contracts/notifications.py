"""What the notifications service accepts and answers."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import EmailStr, Field, model_validator

from shared.contracts.base import MAX_LANGUAGES, Contract, LanguageTag, Slug, lines, localized, one_line
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

ListName = localized(one_line(LIST_NAME_MAX), required=True)
ListDescription = localized(lines(LIST_DESCRIPTION_MAX))
PersonName = one_line(PERSON_NAME_MAX)
_PER_LANGUAGE = f"at most {MAX_LANGUAGES} languages"


class SubscriptionStatus(StrEnum):
    PENDING = "pending"            # asked to subscribe; the confirmation mail is out (double opt-in)
    CONFIRMED = "confirmed"        # receives the list's mail
    UNSUBSCRIBED = "unsubscribed"  # left the list; no import subscribes them again
    SUSPENDED = "suspended"        # the address kept bouncing; not mailed again


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # to be sent, or sent again after a passing failure
    SENT = "sent"        # the SMTP server accepted it
    FAILED = "failed"    # refused for good, or given up on after repeated failures


class PostingPolicy(StrEnum):
    ANNOUNCE = "announce"        # only organizers post (announcement lists, the magazine)
    DISCUSSION = "discussion"    # members may post, on the network's own list server (Tsunagu takes no posts from them)


class MailingListDraft(Contract):
    slug: str = Field(pattern=SLUG_PATTERN)
    name: ListName = Field(description=f"Per language, one line of at most {LIST_NAME_MAX} characters; {_PER_LANGUAGE}")
    description: ListDescription = Field(
        default_factory=dict, description=f"Per language, at most {LIST_DESCRIPTION_MAX} characters; {_PER_LANGUAGE}")
    policy: PostingPolicy = PostingPolicy.ANNOUNCE
    region: Region | None = Field(None, description="Announcements of events in this region also go here")
    network: Slug | None = Field(None, description="… and of events of this network")


class MailingListView(MailingListDraft):
    confirmed_subscribers: int


class PublicList(Contract):
    """A list as anyone may see it, to choose what to subscribe to: no counts, no addresses."""

    slug: str
    name: dict[str, str]
    description: dict[str, str]
    region: Region | None = None
    network: str | None = None


class ConsentBasis(StrEnum):
    """Why a subscriber may be mailed, kept with each subscription together with the date it was given."""

    DOUBLE_OPT_IN = "double_opt_in"                  # confirmed here, by the button behind our confirmation mail
    CONFIRMED_ELSEWHERE = "confirmed_elsewhere"      # confirmed by mail on another list (the network's old list)
    WRITTEN_FORM = "written_form"                    # a signed paper or web form (at a Forum, a membership form)
    MAGAZINE_SUBSCRIPTION = "magazine_subscription"  # a paid subscription that includes the mailing


EARLIEST_CONSENT = date(1990, 1, 1)  # older than the network's lists: a typo, not a date


class SubscriptionRequest(Contract):
    """Someone asking to receive a list's mail (double opt-in follows)."""

    email: EmailStr
    language: LanguageTag = "ja"
    name: PersonName | None = Field(None, description=f"One line of at most {PERSON_NAME_MAX} characters")


class ConfirmedSubscriber(SubscriptionRequest):
    """A subscriber whose consent the network already holds (imported from its old list, the magazine's
    subscribers): added as confirmed, with no confirmation mail, and the consent recorded.

    New subscribers go through double opt-in instead; this is for organizers' imports only.
    """

    consent_basis: ConsentBasis = ConsentBasis.CONFIRMED_ELSEWHERE
    consent_date: date | None = Field(None, description="When the consent was given (or confirmed)")

    @model_validator(mode="after")
    def _consent_held_elsewhere(self) -> ConfirmedSubscriber:
        if self.consent_basis is ConsentBasis.DOUBLE_OPT_IN:
            raise ValueError("consent_basis: double_opt_in is recorded by Tsunagu itself when someone confirms "
                             "here; an imported address was confirmed elsewhere (confirmed_elsewhere, "
                             "written_form or magazine_subscription)")
        latest = date.today() + timedelta(days=1)  # (today in Japan may be tomorrow on the server's clock)
        if self.consent_date is not None and not EARLIEST_CONSENT <= self.consent_date <= latest:
            raise ValueError(f"consent_date: {self.consent_date} is not a date consent can have been given "
                             f"(between {EARLIEST_CONSENT} and today)")
        return self


class ImportedSubscriber(ConfirmedSubscriber):
    """One line of a subscriber import: the consent basis and its date are required."""

    consent_basis: ConsentBasis
    consent_date: date


class SubscriberImportProblem(Contract):
    row: int  # the file's line: 1 is the header line; data starts at 2
    field: str | None
    reason: str


class SubscriberImportReport(Contract):
    """What an import did (or, in a dry run, would do): the same shape as the member import's report."""

    dry_run: bool
    rows: int
    created: int
    updated: int    # addresses that were waiting for confirmation here, now confirmed by the import
    unchanged: int  # addresses already confirmed on the list
    rejected: list[SubscriberImportProblem]


class SubscriberView(Contract):
    email: str
    name: str | None
    language: str
    status: SubscriptionStatus
    bounces: int
    created_at: datetime
    consent_basis: ConsentBasis | None = None
    consent_date: date | None = None


class AnnouncementDraft(Contract):
    """An organizer's announcement to a list, in as many languages as they wrote it."""

    subject: localized(one_line(SUBJECT_MAX), required=True) = Field(
        description=f"Per language, one line of at most {SUBJECT_MAX} characters; {_PER_LANGUAGE}")
    body: localized(lines(BODY_MAX), required=True) = Field(
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


class OwnSubscription(Contract):
    """A list someone is on, as they see it signed in with its address."""

    subscription_id: int
    list: str = Field(description="the list's slug")
    name: dict[str, str]
    language: str
    status: SubscriptionStatus
