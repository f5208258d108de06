"""What the events service accepts, answers and announces."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, ClassVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    EmailStr,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.contracts.base import (
    Contract,
    Event,
    LanguageTag,
    PlausibleMoment,
    PlausibleMomentOrDay,
    Slug,
    field_and_message,
    lines,
    localized,
    one_line,
    patch_of,
)
from shared.contracts.vocabulary import EventKind, EventStatus, Region
from shared.errors import Invalid

DEFAULT_TIMEZONE = "Asia/Tokyo"

# Limits of what organizers and registrants write (README, "Limits"): generous for real use, small
# enough that nobody can fill the database, the mail or a calendar with one request.
Title = localized(one_line(200), required=True)
OccasionTitle = localized(one_line(100), required=True)  # + " " + a city (80) is a local event's title
Description = localized(lines(10_000))
CANCEL_REASON_MAX = 500  # characters: shown to attendees and in calendars
CancelReason = lines(CANCEL_REASON_MAX)
Id = Annotated[str, StringConstraints(max_length=64)]
DEFAULT_KEEP_REGISTRATIONS_DAYS = 90  # after the event ends: time to settle accounts and write the report
MAX_KEEP_DAYS = 3650
MAX_PLACES = 100_000     # capacities and quotas; the largest gathering of the network is a few hundred
MAX_SESSIONS = 100
MAX_NETWORKS = 20
MAX_LANGUAGE_LIST = 20   # working languages, interpretation pairs
MAX_ATTENDEES = 500      # also the most places one registration holds
Zone = Annotated[str, StringConstraints(max_length=64)]
Networks = Annotated[list[Slug], Field(max_length=MAX_NETWORKS, description="Thematic networks, as slugs")]


def _zone(value: str) -> str:
    if value not in available_timezones():
        raise ValueError(f"{value[:70]!r} is not an IANA time zone (e.g. Asia/Tokyo)")
    return value


def local_moment(value: datetime | date, zone_name: str | None = None) -> datetime:
    """A moment in the event's zone (else the network's, Japan's): dates are local midnight, naive times are
    local times."""
    zone = ZoneInfo(zone_name or DEFAULT_TIMEZONE)
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


class Venue(Contract):
    """Where an event takes place, as stored and shown (an organizer sends a VenueDraft)."""

    name: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    online_url: str | None = None


class VenueDraft(Venue):
    name: one_line(200) | None = None
    address: one_line(300) | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    online_url: str | None = Field(None, max_length=500, pattern=r"^https?://\S+$", description="http or https only")

    @model_validator(mode="after")
    def _both_coordinates(self) -> VenueDraft:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self


class InterpretationPair(Contract):
    """Interpretation from one language into another, e.g. ja → vi."""

    source: LanguageTag
    target: LanguageTag


class SessionKind(StrEnum):
    PLENARY = "plenary"          # 全体会
    SUB_SESSION = "sub_session"  # 分科会
    OTHER = "other"


class SessionDraft(Contract):
    """A session inside an event. Times without an offset are read in the event's zone."""

    id: Id | None = Field(None, description="Only in PATCH, to change an existing session")
    kind: SessionKind = SessionKind.SUB_SESSION
    title: Title
    starts_at: PlausibleMoment
    ends_at: PlausibleMoment
    room: one_line(120) | None = None
    capacity: int | None = Field(None, ge=0, le=MAX_PLACES)
    languages: list[LanguageTag] = Field(default_factory=list, max_length=MAX_LANGUAGE_LIST,
                                         description="Working languages")
    interpretation: list[InterpretationPair] = Field(default_factory=list, max_length=MAX_LANGUAGE_LIST)

    @model_validator(mode="after")
    def _ordered(self) -> SessionDraft:
        if self.starts_at.tzinfo is not None and self.ends_at.tzinfo is not None and self.ends_at <= self.starts_at:
            raise ValueError("a session ends after it starts")
        return self

    def in_zone(self, zone_name: str) -> SessionDraft:
        return self.model_copy(update={"starts_at": local_moment(self.starts_at, zone_name),
                                       "ends_at": local_moment(self.ends_at, zone_name)})


class EventDraft(Contract):
    """An organizer's description of an event, as sent to `create_event`.

    Times without an offset are read in `timezone`. A whole-day event (`all_day`) takes dates: its
    `ends_at` is the last day, inclusive, as people write it; it is stored as the next midnight.
    """

    kind: EventKind
    series: Slug | None = Field(None, description="e.g. national-forum; with `edition`, the 8th National Forum")
    edition: int | None = Field(None, ge=1, le=1000)
    title: Title
    description: Description = Field(default_factory=dict)
    region: Region
    prefecture: one_line(20) | None = None
    city: one_line(80) | None = None
    venue: VenueDraft | None = None
    networks: Networks = Field(default_factory=list)
    timezone: Zone = DEFAULT_TIMEZONE  # before the times: they are read in it
    all_day: bool = False
    starts_at: PlausibleMomentOrDay
    ends_at: PlausibleMomentOrDay
    sessions: list[SessionDraft] = Field(default_factory=list, max_length=MAX_SESSIONS)
    capacity: int | None = Field(None, ge=0, le=MAX_PLACES, description="Places in all; none: unlimited")
    requires_approval: bool = False
    registration_opens_at: PlausibleMoment | None = None
    registration_closes_at: PlausibleMoment | None = None
    attendee_names_deadline: PlausibleMoment | None = Field(
        None, description="Until when delegations may name or rename their attendees")
    group_quota: int | None = Field(None, ge=1, le=MAX_PLACES, description="Most places one member group may hold")
    keep_registrations_days: int = Field(
        DEFAULT_KEEP_REGISTRATIONS_DAYS, ge=0, le=MAX_KEEP_DAYS,
        description="Days after the event ends that its registrations keep who made them; then names, "
                    "addresses and notes are blanked (counts stay) and private feeds go")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _zone(value)

    @field_validator("networks", mode="before")
    @classmethod
    def _no_blanks(cls, value):
        if not isinstance(value, list):
            return value
        return [slug for slug in value if not isinstance(slug, str) or slug.strip()]

    @field_validator("networks")
    @classmethod
    def _slugs(cls, value: list[str]) -> list[str]:
        return sorted(set(value))

    @field_validator("starts_at", "ends_at", "registration_opens_at", "registration_closes_at",
                     "attendee_names_deadline")
    @classmethod
    def _in_event_zone(cls, value, info: ValidationInfo):
        """Idempotent, so a draft validated in the gateway and again in the service stays the same:
        whole-day events keep dates (the last day inclusive), timed ones aware times in their zone."""
        if value is None:
            return None
        zone = info.data.get("timezone") or DEFAULT_TIMEZONE
        if info.field_name in ("starts_at", "ends_at") and info.data.get("all_day"):
            return value.astimezone(ZoneInfo(zone)).date() if isinstance(value, datetime) and value.tzinfo \
                else value.date() if isinstance(value, datetime) else value
        return local_moment(value, zone)

    @field_validator("sessions")
    @classmethod
    def _sessions_in_zone(cls, value: list[SessionDraft], info: ValidationInfo) -> list[SessionDraft]:
        zone = info.data.get("timezone") or DEFAULT_TIMEZONE
        return [session.in_zone(zone) for session in value]

    @model_validator(mode="after")
    def _coherent(self) -> EventDraft:
        check_event_rules(self)
        return self

    def span(self) -> tuple[datetime, datetime]:
        """When the event starts and ends, as stored: a whole-day event runs from the midnight starting
        its first day to the midnight after its last (the exclusive end calendars use)."""
        if self.all_day:
            return (local_moment(self.starts_at, self.timezone),
                    local_moment(self.ends_at + timedelta(days=1), self.timezone))
        return local_moment(self.starts_at, self.timezone), local_moment(self.ends_at, self.timezone)


def named_days(starts_at: datetime, ends_at: datetime, zone: str) -> tuple[date, date]:
    """A whole-day event's first and last day as a draft names them, from its stored span (the inverse
    of EventDraft.span: the stored end is the midnight after the last day)."""
    return (starts_at.astimezone(ZoneInfo(zone)).date(),
            (ends_at.astimezone(ZoneInfo(zone)) - timedelta(days=1)).date())


def check_event_rules(event: EventDraft) -> None:
    """Rules across fields, for a draft and for an event after a patch alike."""
    starts_at, ends_at = event.span()
    if ends_at <= starts_at:
        raise ValueError("ends_at: the event ends before it starts")
    for index, session in enumerate(event.sessions):  # each refusal names the session's own field
        if session.ends_at <= session.starts_at:
            raise ValueError(f"sessions.{index}.ends_at: session {index + 1} ends before it starts")
        if session.starts_at < starts_at or session.ends_at > ends_at:
            raise ValueError(f"sessions.{index}.starts_at: session {index + 1} lies outside the event's dates")
    opens, closes = event.registration_opens_at, event.registration_closes_at
    if opens and closes and closes <= opens:
        raise ValueError("registration_closes_at: registration closes before it opens")
    if event.edition is not None and event.series is None:
        raise ValueError("edition: an edition belongs to a series")


if TYPE_CHECKING:  # built when the module is imported: to a type checker, one more contract
    EventPatch = Contract
else:
    EventPatch = patch_of(
        "EventPatch", "Fields to change; those left out stay as they are. Sessions listed with an `id` are "
        "changed, those without are added, and existing sessions not listed are removed (if nobody chose them).",
        EventDraft)


class ClashKind(StrEnum):
    NATIONAL_OVERLAP = "national_overlap"
    VENUE_DOUBLE_BOOKED = "venue_double_booked"
    NETWORK_OVERLAP = "network_overlap"


class Clash(Contract):
    """Another event this one clashes with, and why."""

    kind: ClashKind
    event_id: str
    title: dict[str, str]
    detail: str


class SessionView(Contract):
    """A session as stored and shown."""

    id: str
    kind: SessionKind = SessionKind.SUB_SESSION
    title: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    room: str | None = None
    capacity: int | None = None
    languages: list[str] = Field(default_factory=list)
    interpretation: list[InterpretationPair] = Field(default_factory=list)
    confirmed_places: int = 0


class EventView(Contract):
    """An event as callers see it. `revision` rises with every change after publication."""

    id: str
    status: EventStatus
    revision: int
    sequence: int = Field(0, description="Rises with changes an attendee must know: time, place, status")
    kind: EventKind
    series: str | None = None
    edition: int | None = None
    occasion_id: str | None = None
    title: dict[str, str]
    description: dict[str, str]
    region: Region
    prefecture: str | None
    city: str | None
    venue: Venue | None = None
    networks: list[str]
    timezone: str
    all_day: bool = False
    starts_at: datetime
    ends_at: datetime
    sessions: list[SessionView] = Field(default_factory=list)
    capacity: int | None = None
    requires_approval: bool = False
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    attendee_names_deadline: datetime | None = None
    group_quota: int | None = None
    keep_registrations_days: int = DEFAULT_KEEP_REGISTRATIONS_DAYS
    confirmed_places: int = 0
    waitlisted_places: int = 0
    places_left: int | None = None
    cancel_reason: str | None = None
    conflicts: list[Clash] = Field(default_factory=list,
                                   description="Clashes found when the event was created or changed")
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class EventSummary(Contract):
    """What a registrant's mail or calendar entry needs of an event: what, when, where — no counters."""

    id: str
    kind: EventKind
    status: EventStatus
    revision: int
    sequence: int
    title: dict[str, str]
    region: Region
    prefecture: str | None = None
    city: str | None = None
    venue: Venue | None = None
    timezone: str
    all_day: bool = False
    starts_at: datetime
    ends_at: datetime
    updated_at: datetime


class NamedFeed(Contract):
    """A public calendar feed with a name of its own: the events it holds and what calendar apps call it."""

    kind: EventKind | None  # None: every kind
    title: dict[str, str]


NAMED_FEEDS: dict[str, NamedFeed] = {
    "national-forum": NamedFeed(kind=EventKind.NATIONAL_FORUM,
                                title={"ja": "つなぐ 全国フォーラム", "en": "Tsunagu National Forum"}),
    "migrants-day": NamedFeed(kind=EventKind.MIGRANTS_DAY,
                              title={"ja": "つなぐ 国際移住者デー", "en": "Tsunagu International Migrants Day"}),
    "workshops": NamedFeed(kind=EventKind.WORKSHOP, title={"ja": "つなぐ ワークショップ", "en": "Tsunagu Workshops"}),
    "events": NamedFeed(kind=None, title={"ja": "つなぐ イベント", "en": "Tsunagu events"}),
}
PRIVATE_FEED_TITLE = {"ja": "つなぐ 参加予定", "en": "Tsunagu: my registrations"}
GROUP_FEED_TITLE = {"ja": "つなぐ 団体の参加予定", "en": "Tsunagu: our group's delegations"}


class EventFilter(Contract):
    kind: EventKind | None = None
    region: Region | None = None
    network: Slug | None = None
    status: EventStatus | None = None
    starts_from: PlausibleMoment | None = None  # events that end after this
    starts_to: PlausibleMoment | None = None    # events that start before this
    q: str | None = Field(None, max_length=100)
    include_drafts: bool = False


class LocalEvent(Contract):
    """One city's event of a Migrants Day occasion. A whole-day one (`all_day`) takes dates, its
    `ends_at` being the last day, inclusive, as for any event."""

    region: Region
    prefecture: one_line(20) | None = None
    city: one_line(80)
    venue: VenueDraft | None = None
    all_day: bool = False
    starts_at: PlausibleMomentOrDay
    ends_at: PlausibleMomentOrDay
    title: localized(one_line(200)) = Field(default_factory=dict, description="Defaults to the occasion's title + city")
    capacity: int | None = Field(None, ge=0, le=MAX_PLACES)


class MigrantsDayDraft(Contract):
    """International Migrants Day (18 December): one occasion, local events in many cities, each
    starting on 18 December of `year` in the occasion's zone."""

    year: int = Field(ge=2000, le=2100)
    title: OccasionTitle
    description: Description = Field(default_factory=dict)
    networks: Networks = Field(default_factory=list)
    timezone: Zone = DEFAULT_TIMEZONE
    local_events: list[LocalEvent] = Field(min_length=1, max_length=100)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _zone(value)

    @model_validator(mode="after")
    def _each_local_event_is_an_event(self) -> MigrantsDayDraft:
        try:
            self.local_drafts()
        except Invalid as exc:
            raise ValueError(str(exc)) from None
        return self

    def local_drafts(self) -> list[EventDraft]:
        """Each local event as the event it becomes; Invalid naming `local_events.N.field` otherwise."""
        drafts = []
        occasion_title: dict[str, str] = self.title
        for index, local in enumerate(self.local_events):
            title = local.title or {lang: f"{text} {local.city}" for lang, text in occasion_title.items()}
            try:
                draft = EventDraft.model_validate({
                    "kind": EventKind.MIGRANTS_DAY, "series": "migrants-day", "title": title,
                    "description": self.description, "region": local.region, "prefecture": local.prefecture,
                    "city": local.city, "venue": local.venue, "networks": self.networks, "timezone": self.timezone,
                    "all_day": local.all_day, "starts_at": local.starts_at, "ends_at": local.ends_at,
                    "capacity": local.capacity})
            except ValidationError as exc:
                error = exc.errors()[0]
                field, message = field_and_message(error["loc"], error["msg"])
                raise Invalid(message, f"local_events.{index}.{field}") from None
            first_day = draft.span()[0].astimezone(ZoneInfo(self.timezone)).date()
            if first_day != date(self.year, 12, 18):
                raise Invalid(f"International Migrants Day is 18 December {self.year}; this event starts on "
                              f"{first_day}", f"local_events.{index}.starts_at")
            drafts.append(draft)
        return drafts


# ---------------------------------------------------------------------------------------------
# Registrations

class AttendeeNeeds(Contract):
    """What an attendee needs, as stored and shown (a registrant sends NeedsRequest)."""

    interpretation: list[InterpretationPair] = Field(default_factory=list)
    sign_language: str | None = None
    step_free_access: bool = False
    childcare: int = 0
    note: str | None = None


class NeedsRequest(AttendeeNeeds):
    interpretation: list[InterpretationPair] = Field(default_factory=list, max_length=MAX_LANGUAGE_LIST)
    sign_language: one_line(40) | None = Field(None, description="e.g. JSL (日本手話)")
    childcare: int = Field(0, ge=0, le=10, description="Children to be looked after")
    note: lines(500) | None = None


class Attendee(Contract):
    """An attendee as stored and shown (a registrant sends AttendeeRequest)."""

    name: str | None = None
    needs: AttendeeNeeds = Field(default_factory=AttendeeNeeds)


class AttendeeRequest(Attendee):
    name: one_line(120) | None = Field(None, description="A display name; a real name is not required")
    needs: NeedsRequest = Field(default_factory=NeedsRequest)


class RegistrationKind(StrEnum):
    INDIVIDUAL = "individual"
    DELEGATION = "delegation"


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PENDING = "pending"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # its address was not confirmed in time: its places went back


# A registration in one of these holds nothing any more (no place, no reminder, no feed of its own).
# A tuple, compared by value: a stored status (text) is found in it too.
ENDED_STATUSES = (RegistrationStatus.REJECTED, RegistrationStatus.CANCELLED, RegistrationStatus.EXPIRED)


class RegistrationRequest(Contract):
    """An individual registering themselves, or a member group's delegation of `places` places whose
    attendees may be named later (until the event's attendee_names_deadline)."""

    kind: RegistrationKind = RegistrationKind.INDIVIDUAL
    display_name: Annotated[one_line(120), StringConstraints(min_length=1)]
    email: EmailStr
    language: LanguageTag = "ja"
    member_group_id: Id | None = None
    places: int = Field(1, ge=1, le=MAX_ATTENDEES)
    session_ids: list[Id] = Field(default_factory=list, max_length=MAX_SESSIONS)
    needs: NeedsRequest = Field(default_factory=NeedsRequest, description="An individual's own needs")
    attendees: list[AttendeeRequest] = Field(default_factory=list, max_length=MAX_ATTENDEES,
                                             description="A delegation's named attendees")

    @model_validator(mode="after")
    def _shape(self) -> RegistrationRequest:
        if self.kind is RegistrationKind.INDIVIDUAL:
            if self.places != 1:
                raise ValueError("places: an individual registers one place; groups register a delegation")
            if self.member_group_id or self.attendees:
                raise ValueError("kind: a registration for a group is a delegation")
        else:
            if not self.member_group_id:
                raise ValueError("member_group_id: a delegation is registered by a member group")
            if len(self.attendees) > self.places:
                raise ValueError("attendees: more attendees than places")
        return self

    def attendee_list(self) -> list[AttendeeRequest]:
        if self.kind is RegistrationKind.INDIVIDUAL:
            return [AttendeeRequest(name=self.display_name, needs=self.needs)]
        return list(self.attendees)


class AttendeesUpdate(Contract):
    attendees: list[AttendeeRequest] = Field(max_length=MAX_ATTENDEES)


class RegistrationView(Contract):
    id: str
    event_id: str
    kind: RegistrationKind
    status: RegistrationStatus
    display_name: str
    email: str
    language: str
    member_group_id: str | None
    places: int
    session_ids: list[str]
    attendees: list[Attendee]
    waitlist_position: int | None = Field(None, description="1 for the next to be promoted")
    address_confirmed: bool = Field(True, description="the registrant proved the address is theirs (the link "
                                                      "in the mail, or signed in); until then the places are "
                                                      "held only until `hold_until`")
    hold_until: datetime | None = Field(None, description="when the places go back if the address is not confirmed")
    created_at: datetime
    updated_at: datetime


class RegistrationReceipt(RegistrationView):
    """What the registrant gets back once: the secret that lets them see, change and cancel it."""

    manage_token: str


class SessionNeeds(Contract):
    session_id: str | None  # None: the event as a whole
    attendees: int
    interpretation: dict[str, int]  # "ja>vi": 3
    sign_language: dict[str, int]
    step_free_access: int
    childcare: int
    notes: list[str]


# ---------------------------------------------------------------------------------------------
# Events on the bus

class EventChanged(Event):
    """Base of the events that say an event itself changed: `event` is its state after the change. Every
    cache of events (the gateway's feeds) drops what it holds when one of these arrives."""

    source: ClassVar[str] = "events"

    event: EventView


class EventPublished(EventChanged):
    """Published by the events service when an organizer publishes an event.

    Promises: the event is now public, `event` is its state at that moment (revision included).
    Consumers: notifications (the announcement to the general list and the event's region and network
    lists) and the gateway's feed cache.
    """

    event_type: ClassVar[str] = "event_published"


class EventUpdated(EventChanged):
    """Published by the events service when a published event changes, or is marked completed
    (`changed` is then `["status"]`; postponing and cancelling have events of their own).

    Promises: `event` is the new state with a higher `revision`; `changed` names the fields.
    """

    event_type: ClassVar[str] = "event_updated"
    changed: list[str]


class EventPostponed(EventChanged):
    """Published by the events service when an organizer postpones a published event.

    Promises: `event` carries the new dates (or the old ones, if none are set yet) and status
    `postponed`; `previous_starts_at`/`previous_ends_at` are the dates people had noted.
    """

    event_type: ClassVar[str] = "event_postponed"
    previous_starts_at: datetime
    previous_ends_at: datetime


class EventCancelled(EventChanged):
    """Published by the events service when an organizer cancels an event.

    Promises: `event` has status `cancelled` and stays readable (feeds keep it with STATUS:CANCELLED).
    """

    event_type: ClassVar[str] = "event_cancelled"
    reason: str | None


class Registrant(Contract):
    display_name: str
    email: str
    language: str


class RegistrationChanged(Event):
    """Base of the registration events: where a registration stands now, for which event (its state at
    that moment, so a mail or a calendar entry needs no further question), and how to reach its holder."""

    source: ClassVar[str] = "events"

    registration_id: str
    event: EventSummary
    session_ids: list[str] = Field(default_factory=list)
    status: RegistrationStatus
    previous_status: RegistrationStatus | None
    places: int
    registrant: Registrant
    address_confirmed: bool = True
    confirm_nonce: str | None = Field(None, description="the first event of a registration whose address is "
                                                        "not confirmed: what its confirmation link is made from")
    hold_until: datetime | None = None


class RegistrationConfirmed(RegistrationChanged):
    """Published by the events service when a registration holds its places at once."""

    event_type: ClassVar[str] = "registration_confirmed"


class RegistrationWaitlisted(RegistrationChanged):
    """Published by the events service when a registration joins the waiting list."""

    event_type: ClassVar[str] = "registration_waitlisted"


class RegistrationPromoted(RegistrationChanged):
    """Published by the events service when a waiting registration gets its places."""

    event_type: ClassVar[str] = "registration_promoted"


class RegistrationPending(RegistrationChanged):
    """Published by the events service when a registration awaits an organizer's approval."""

    event_type: ClassVar[str] = "registration_pending"


class RegistrationApproved(RegistrationChanged):
    """Published by the events service when an organizer approves a registration; `status` says whether
    it got places (confirmed) or waits (waitlisted)."""

    event_type: ClassVar[str] = "registration_approved"


class RegistrationRejected(RegistrationChanged):
    """Published by the events service when an organizer rejects a registration."""

    event_type: ClassVar[str] = "registration_rejected"


class RegistrationCancelled(RegistrationChanged):
    """Published by the events service when a registrant or an organizer cancels."""

    event_type: ClassVar[str] = "registration_cancelled"


class RegistrationAddressConfirmed(RegistrationChanged):
    """Published by the events service when a registrant confirms their address (their place is theirs
    from now on, no longer only held)."""

    event_type: ClassVar[str] = "registration_address_confirmed"


class RegistrationExpired(RegistrationChanged):
    """Published by the events service when a registration's address was not confirmed in time and its
    places went back (to the waiting list, if any)."""

    event_type: ClassVar[str] = "registration_expired"


REGISTRATION_EVENTS: tuple[type[RegistrationChanged], ...] = (
    RegistrationConfirmed, RegistrationWaitlisted, RegistrationPromoted, RegistrationPending,
    RegistrationApproved, RegistrationRejected, RegistrationCancelled, RegistrationAddressConfirmed,
    RegistrationExpired)

REGISTRATION_CONFIRM_PURPOSE = "registration-address"  # shared.secrets.link_secret's purpose
REGISTRATION_CONFIRM_PAGE = "/registration-confirmation"  # the gateway's page a confirmation link opens


def registration_confirm_url(gateway_url: str, token: str, language: str | None = None) -> str:
    """The link a registrant is mailed to confirm their address; its page opens in their language."""
    query = {"token": token, **({"lang": language} if language else {})}
    return f"{gateway_url}{REGISTRATION_CONFIRM_PAGE}?{urlencode(query)}"


class AddressConfirmed(Contract):
    """What confirming a registration's address answers."""

    registration_id: str
    event_id: str
    event_title: dict[str, str]
    status: RegistrationStatus
