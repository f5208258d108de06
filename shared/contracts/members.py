"""What the members service accepts, answers and announces.

Nowhere a field for nationality or residence status. Individuals are private unless they opt in, and
then only the fields they chose appear in the public directory.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import EmailStr, Field, model_validator

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


class Visibility(StrEnum):
    """A group's choice for the public directory."""

    PUBLIC = "public"      # everyone sees its public fields
    MEMBERS = "members"    # only organizers (later: members) see it
    HIDDEN = "hidden"      # nowhere but the organizers' own lists


# The fields an individual may choose to show in the public directory.
INDIVIDUAL_PUBLIC_FIELDS = ("display_name", "region", "networks", "preferred_language")


class MemberGroupDraft(Contract):
    """A member group as an organizer enters it."""

    name: RequiredLocalizedText
    kind: GroupKind
    region: Region
    prefecture: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=80)
    website: str | None = Field(None, max_length=300, pattern=r"^https?://\S+$")
    help_languages: list[LanguageTag] = Field(default_factory=list, description="Languages the group helps in")
    networks: list[str] = Field(default_factory=list)
    public_contact: str | None = Field(None, max_length=200, description="Shown publicly if the group is public")
    contact_email: EmailStr | None = Field(None, description="For the network's organizers only")
    visibility: Visibility = Visibility.PUBLIC
    external_id: str | None = Field(None, max_length=64, description="The network's own number (imports)")


class IndividualDraft(Contract):
    display_name: str = Field(min_length=1, max_length=120)
    email: EmailStr
    preferred_language: LanguageTag = "ja"
    region: Region | None = None
    networks: list[str] = Field(default_factory=list)
    directory_opt_in: bool = False
    public_fields: list[Literal["display_name", "region", "networks", "preferred_language"]] = Field(
        default_factory=list, description="What the public directory may show, if opted in")
    external_id: str | None = Field(None, max_length=64)


class MemberPatch(Contract):
    """Fields to change; those left out stay. Applies to groups or individuals as fits."""

    name: RequiredLocalizedText | None = None
    kind: GroupKind | None = None
    region: Region | None = None
    prefecture: str | None = None
    city: str | None = None
    website: str | None = None
    help_languages: list[LanguageTag] | None = None
    networks: list[str] | None = None
    public_contact: str | None = None
    contact_email: EmailStr | None = None
    visibility: Visibility | None = None
    display_name: str | None = Field(None, min_length=1, max_length=120)
    email: EmailStr | None = None
    preferred_language: LanguageTag | None = None
    directory_opt_in: bool | None = None
    public_fields: list[Literal["display_name", "region", "networks", "preferred_language"]] | None = None


class MembershipType(StrEnum):
    MEMBER = "member"
    SUBSCRIBER = "subscriber"  # the magazine


class DuesStatus(StrEnum):
    PAID = "paid"
    UNPAID = "unpaid"
    WAIVED = "waived"


class MembershipDraft(Contract):
    type: MembershipType = MembershipType.MEMBER
    units: int = Field(1, ge=1, le=100)
    starts_on: date
    ends_on: date
    fiscal_year: int | None = Field(None, ge=1990, le=2100)
    dues_status: DuesStatus = DuesStatus.UNPAID
    renewal_due_on: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "MembershipDraft":
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on: the membership ends before it starts")
        return self


class MembershipView(MembershipDraft):
    id: str
    member_id: str


class MemberView(Contract):
    """A member as organizers see it: everything."""

    id: str
    member_kind: Literal["group", "individual"]
    name: dict[str, str] = Field(default_factory=dict)
    kind: GroupKind | None = None
    display_name: str | None = None
    email: str | None = None
    preferred_language: str | None = None
    region: Region | None = None
    prefecture: str | None = None
    city: str | None = None
    website: str | None = None
    help_languages: list[str] = Field(default_factory=list)
    networks: list[str] = Field(default_factory=list)
    public_contact: str | None = None
    contact_email: str | None = None
    visibility: Visibility | None = None
    directory_opt_in: bool = False
    public_fields: list[str] = Field(default_factory=list)
    external_id: str | None = None
    memberships: list[MembershipView] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class DirectoryEntry(Contract):
    """One entry of the public directory: only public fields of visible entries."""

    id: str
    member_kind: Literal["group", "individual"]
    name: dict[str, str] | None = None
    kind: GroupKind | None = None
    display_name: str | None = None
    region: Region | None = None
    prefecture: str | None = None
    city: str | None = None
    website: str | None = None
    help_languages: list[str] | None = None
    networks: list[str] | None = None
    public_contact: str | None = None
    preferred_language: str | None = None


class DirectoryQuery(Contract):
    q: str | None = Field(None, max_length=100)
    region: Region | None = None
    network: str | None = Field(None, max_length=64)
    language: str | None = Field(None, max_length=35)
    kind: GroupKind | None = None
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)


class StatsRow(Contract):
    members: int
    units: int
    subscribers: int
    subscriptions: int


class MemberStats(Contract):
    """The activity report's table: as of a date, and the same date a year earlier."""

    as_of: date
    previous: date
    individual: StatsRow
    group: StatsRow
    individual_previous: StatsRow
    group_previous: StatsRow
    individual_change: StatsRow
    group_change: StatsRow


class RenewalView(Contract):
    membership_id: str
    member_id: str
    member_kind: str
    name: str
    renewal_due_on: date
    dues_status: DuesStatus


class ImportProblem(Contract):
    row: int  # 1 is the header line; data starts at 2
    field: str | None
    reason: str


class ImportReport(Contract):
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: list[ImportProblem]


# --- events on the bus ------------------------------------------------------------------------

class MemberJoined(Event):
    """Published by the members service when a group or individual becomes a member.

    Promises: `member_id` is a current member from `occurred_at`. Carries no personal data beyond what
    the directory shows publicly for groups.
    """

    event_type: ClassVar[str] = "member_joined"
    source: ClassVar[str] = "members"

    member_id: str
    member_kind: str  # "group" or "individual"
    region: Region | None
    networks: list[str]


class MemberUpdated(Event):
    """Published by the members service when a member's directory data changes.

    Promises: `changed` names the fields; no personal data is carried.
    """

    event_type: ClassVar[str] = "member_updated"
    source: ClassVar[str] = "members"

    member_id: str
    member_kind: str
    changed: list[str]


class MemberLeft(Event):
    """Published by the members service when a member has no current membership any more.

    Promises: from `occurred_at` the member is not current (a group may no longer register delegations).
    """

    event_type: ClassVar[str] = "member_left"
    source: ClassVar[str] = "members"

    member_id: str
    member_kind: str


class MembershipRenewed(Event):
    """Published by the members service when a membership is added for a new period."""

    event_type: ClassVar[str] = "membership_renewed"
    source: ClassVar[str] = "members"

    member_id: str
    membership_id: str
    type: MembershipType
    units: int
    ends_on: date


class MembershipRenewalDue(Event):
    """Published by the members service once per membership, some weeks before its renewal date.

    Promises: who to remind and in which language (`email`, `language`), for the notifications service.
    """

    event_type: ClassVar[str] = "membership_renewal_due"
    source: ClassVar[str] = "members"

    member_id: str
    membership_id: str
    renewal_due_on: date
    email: str | None
    language: str
    name: str


ERASED_NAME = "(erased)"  # what stands where an erased person's name was, in every service


class MemberErased(Event):
    """Published by the members service when a person's personal data has been erased there.

    Promises: every service must purge what it holds of this person, matched by `email_sha256` (the
    SHA-256 of the address, `shared.secrets.email_digest`) and, where a name stands without an address
    (an attendee named in someone else's delegation), by `name_sha256` (`name_digest` of each of their
    names): the address and names themselves never travel again.
    """

    event_type: ClassVar[str] = "member_erased"
    source: ClassVar[str] = "members"

    member_id: str
    email_sha256: str | None
    name_sha256: list[str] = Field(default_factory=list)
