"""What the members service accepts, answers and announces.

Nowhere a field for nationality or residence status. Individuals are private unless they opt in, and
then only the fields they chose appear in the public directory.

Every field a person types is defined once, below, with its maximum; creating a member and changing
one (`MemberPatch`, derived from the drafts) apply the same rules.
"""
from __future__ import annotations

import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, EmailStr, Field, model_validator

from shared.contracts.base import Contract, Event, LanguageTag, RequiredLocalizedText, patch_of
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
    MEMBERS = "members"    # its public fields, to the network's signed-in members, group contacts and organizers
    HIDDEN = "hidden"      # nowhere but the organizers' own lists


# What the public directory shows of a member, and nothing else (DirectoryEntry has exactly these
# fields): a public group's GROUP_PUBLIC_FIELDS; of an individual who opted in, the fields they chose
# among INDIVIDUAL_PUBLIC_FIELDS (what PublicField allows).
GROUP_PUBLIC_FIELDS = ("name", "kind", "region", "prefecture", "city", "website", "help_languages", "networks",
                       "public_contact")
PublicField = Literal["display_name", "region", "networks", "preferred_language"]
INDIVIDUAL_PUBLIC_FIELDS: tuple[str, ...] = get_args(PublicField)

# --- the rules of each field, once --------------------------------------------------------------------
NAME_MAX = 200           # characters of a group's name, per language
NAME_LANGUAGES_MAX = 20  # languages a group's name may be written in
LIST_MAX = 20            # networks, help languages
NETWORK_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
EARLIEST_DATE, LATEST_DATE = date(1990, 1, 1), date(2100, 12, 31)  # the dates the member records keep


def _optional_text(value):
    """Surrounding spaces never matter; an empty field is no value."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _one_line(value: str | None) -> str | None:
    """Names and contacts are one line of text: no line breaks, tabs, NULs or other control characters
    (they break mail headers, spreadsheets and some databases)."""
    if value and any(unicodedata.category(character) == "Cc" for character in value):
        raise ValueError("one line of text, without line breaks, tabs or other control characters")
    return value


def _identifier(value):
    """Identifiers are compared as machines do: full-width `Ｇ－００１` is `G-001`."""
    value = _optional_text(value)
    return unicodedata.normalize("NFKC", value) if isinstance(value, str) else value


def _lower(value: str | None) -> str | None:
    return value.lower() if value else value


def _web_address(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("a web address starting with http:// or https://")
    return value


def _bounded_names(value: dict[str, str]) -> dict[str, str]:
    if len(value) > NAME_LANGUAGES_MAX:
        raise ValueError(f"at most {NAME_LANGUAGES_MAX} languages")
    for tag, text in value.items():
        if len(tag) > 35 or len(text) > NAME_MAX:
            raise ValueError(f"{tag[:35]}: at most {NAME_MAX} characters per language")
        _one_line(text)
    return value


def _unique(items: list) -> list:
    return list(dict.fromkeys(items))


def _slugs(value):
    return [item.strip().lower() if isinstance(item, str) else item for item in value] \
        if isinstance(value, list) else value


def _plausible(day: date) -> date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(f"{day.isoformat()} is not between {EARLIEST_DATE} and {LATEST_DATE}")
    return day


def _iso_date(value):
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value[:40]!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-04-01") from None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise ValueError("write the date as YYYY-MM-DD, e.g. 2026-04-01")


GroupName = Annotated[RequiredLocalizedText, AfterValidator(_bounded_names)]
DisplayName = Annotated[str, Field(min_length=1, max_length=120), BeforeValidator(_optional_text),
                        AfterValidator(_one_line)]
# An address: at most 254 characters (email-validator applies RFC 5321's limits); kept lower-case.
Email = Annotated[EmailStr, BeforeValidator(_identifier), AfterValidator(_lower)]
ExternalId = Annotated[str | None, Field(max_length=64, description="The network's own number (imports)"),
                       BeforeValidator(_identifier), AfterValidator(_one_line)]
Prefecture = Annotated[str | None, Field(max_length=20), BeforeValidator(_optional_text), AfterValidator(_one_line)]
City = Annotated[str | None, Field(max_length=80), BeforeValidator(_optional_text), AfterValidator(_one_line)]
WebAddress = Annotated[str | None, Field(max_length=300, description="http:// or https:// only"),
                       BeforeValidator(_optional_text), AfterValidator(_web_address)]
PublicContact = Annotated[str | None, Field(max_length=200), BeforeValidator(_optional_text),
                          AfterValidator(_one_line)]
BoundedTag = Annotated[LanguageTag, Field(max_length=35)]
Networks = Annotated[list[Annotated[str, Field(max_length=64, pattern=NETWORK_SLUG)]],
                     Field(max_length=LIST_MAX, description="Thematic networks, as slugs (livelihood, migrant-women…)"),
                     BeforeValidator(_slugs), AfterValidator(_unique)]
HelpLanguages = Annotated[list[BoundedTag], Field(max_length=LIST_MAX, description="Languages the group helps in"),
                          AfterValidator(_unique)]
PublicFields = Annotated[list[PublicField], Field(max_length=len(INDIVIDUAL_PUBLIC_FIELDS),
                                                  description="What the public directory may show, if opted in"),
                         AfterValidator(_unique)]
MemberDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_plausible),
                       Field(description=f"YYYY-MM-DD, from {EARLIEST_DATE} to {LATEST_DATE}")]
"""A date in the member records: ISO 8601, within the range the records keep (a year-1 date is a typo,
and arithmetic on it overflows)."""


class MemberGroupDraft(Contract):
    """A member group as an organizer enters it."""

    name: GroupName
    kind: GroupKind
    region: Region
    prefecture: Prefecture = None
    city: City = None
    website: WebAddress = None
    help_languages: HelpLanguages = Field(default_factory=list)
    networks: Networks = Field(default_factory=list)
    public_contact: PublicContact = Field(None, description="Shown publicly if the group is public")
    contact_email: Email | None = Field(None, description="For the network's organizers only")
    visibility: Visibility = Visibility.PUBLIC
    external_id: ExternalId = None


class IndividualDraft(Contract):
    display_name: DisplayName
    email: Email
    preferred_language: BoundedTag = "ja"
    region: Region | None = None
    networks: Networks = Field(default_factory=list)
    directory_opt_in: bool = False
    public_fields: PublicFields = Field(default_factory=list)
    external_id: ExternalId = None


if TYPE_CHECKING:  # built when the module is imported: to a type checker, one more contract
    MemberPatch = Contract
else:  # the individual's optional region wins over the group's required one
    MemberPatch = patch_of("MemberPatch", "Fields to change; those left out stay. Applies to groups or individuals "
                           "as fits.", MemberGroupDraft, IndividualDraft, leave_out=frozenset({"external_id"}))

class MembershipType(StrEnum):
    MEMBER = "member"
    SUBSCRIBER = "subscriber"  # the magazine


class DuesStatus(StrEnum):
    PAID = "paid"
    UNPAID = "unpaid"
    WAIVED = "waived"


class MembershipDraft(Contract):
    """A membership (or magazine subscription) period. `ends_on` includes any grace period: a member
    of fiscal 2030 (April to March) with grace until 30 June ends on 2031-06-30, and the renewal from
    2031-04-01 overlaps it; the statistics count each member's units once per day."""

    type: MembershipType = MembershipType.MEMBER
    units: int = Field(1, ge=1, le=100)
    starts_on: MemberDate
    ends_on: MemberDate
    fiscal_year: int | None = Field(None, ge=EARLIEST_DATE.year, le=LATEST_DATE.year)
    dues_status: DuesStatus = DuesStatus.UNPAID
    renewal_due_on: MemberDate | None = None

    @model_validator(mode="after")
    def _ordered(self) -> MembershipDraft:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on: the membership ends before it starts")
        return self


class MembershipView(Contract):
    """A period as stored. Its dates are shown as they are, even one kept from before dates were
    checked, so that a single old mistake never makes a member's record or the export unreadable."""

    id: str
    member_id: str
    type: MembershipType
    units: int
    starts_on: date
    ends_on: date
    fiscal_year: int | None = None
    dues_status: DuesStatus
    renewal_due_on: date | None = None


class MembershipAdded(Contract):
    """What adding a period did: `created` is false when the very same period was there already (the
    request was repeated), and `membership` is then the existing one."""

    membership: MembershipView
    created: bool


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
    """One entry of the directory: only public fields of visible entries."""

    id: str
    member_kind: Literal["group", "individual"]
    members_only: bool = Field(False, description="Shown to the network's members only (a group's choice): "
                                                  "not to be passed on outside the network")
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


DIRECTORY_OFFSET_MAX = 1_000_000


class DirectoryQuery(Contract):
    """Public callers filter on what the entries show publicly, nothing else."""

    q: str | None = Field(None, max_length=100)
    region: Region | None = None
    network: str | None = Field(None, max_length=64)
    language: str | None = Field(None, max_length=35)
    kind: GroupKind | None = None
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=DIRECTORY_OFFSET_MAX)


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


class ImportJobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"  # `report` says what happened to every row
    FAILED = "failed"      # `error` says why; rows before `rows_done` went in (not in a dry run)


class ImportJobView(Contract):
    """An import running in the background, chunk by chunk: poll it until it is finished."""

    id: str
    status: ImportJobStatus
    dry_run: bool
    rows: int = Field(description="Data rows in the file")
    rows_done: int = Field(description="Rows handled so far")
    report: ImportReport | None = Field(None, description="Once finished")
    error: str | None = None
    created_at: datetime
    finished_at: datetime | None = None


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
