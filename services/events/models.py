"""The events service's tables (its own database file or schema).

Places are counted twice on purpose: `confirmed_places` on the event and on each session are counters
kept under the event's row lock, so deciding whether a registration fits reads one row, not every
registration; the registrations themselves remain the record (a test checks the two agree).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.audit import AuditTrail
from shared.bus.commands import CommandLog
from shared.bus.tables import InboxTable, Outbox
from shared.db import UTCDateTime
from shared.housekeeping import HousekeepingLog


class Base(DeclarativeBase):
    metadata = MetaData()


class EventRow(Base):
    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    series: Mapped[str | None] = mapped_column(String(64), index=True)
    edition: Mapped[int | None] = mapped_column(Integer)
    occasion_id: Mapped[str | None] = mapped_column(String(36), index=True)
    title: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON)
    region: Mapped[str] = mapped_column(String(32), index=True)
    prefecture: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(80))
    venue: Mapped[dict | None] = mapped_column(JSON)
    venue_key: Mapped[str | None] = mapped_column(String(500), index=True)
    networks: Mapped[list] = mapped_column(JSON)
    search_text: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64))
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    capacity: Mapped[int | None] = mapped_column(Integer)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attendee_names_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    keep_registrations_days: Mapped[int] = mapped_column(Integer, default=90)
    group_quota: Mapped[int | None] = mapped_column(Integer)
    confirmed_places: Mapped[int] = mapped_column(Integer, default=0)
    waitlisted_places: Mapped[int] = mapped_column(Integer, default=0)
    next_arrival: Mapped[int] = mapped_column(Integer, default=1)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sessions: Mapped[list[SessionRow]] = relationship(
        back_populates="event", order_by="SessionRow.starts_at", cascade="all, delete-orphan", lazy="selectin")


class SessionRow(Base):
    __tablename__ = "event_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[dict] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    room: Mapped[str | None] = mapped_column(String(120))
    capacity: Mapped[int | None] = mapped_column(Integer)
    languages: Mapped[list] = mapped_column(JSON)
    interpretation: Mapped[list] = mapped_column(JSON)
    confirmed_places: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[EventRow] = relationship(back_populates="sessions")


class RegistrationRow(Base):
    __tablename__ = "registrations"
    __table_args__ = (Index("ix_registrations_event_status", "event_id", "status", "arrival"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    arrival: Mapped[int] = mapped_column(Integer)  # order of arrival within the event: the waiting line
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(320), index=True)  # their own list (own_registrations)
    language: Mapped[str] = mapped_column(String(35))
    member_group_id: Mapped[str | None] = mapped_column(String(36), index=True)
    places: Mapped[int] = mapped_column(Integer)
    session_ids: Mapped[list] = mapped_column(JSON)
    attendees: Mapped[list] = mapped_column(JSON)
    manage_token_hash: Mapped[str] = mapped_column(String(64))
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # kept no longer: who is blanked
    # The registrant proved the address (its confirmation link, or signed in); until then the places are
    # only held until `hold_until`. Only the confirmation link's hash is kept.
    address_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MemberGroupSeen(Base):
    """Read model of the members service's groups, fed by its events: who may register a delegation."""

    __tablename__ = "member_groups_seen"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    current: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupFeedRow(Base):
    """A member group's calendar feed: the events of its delegations, for its contacts to share among the
    group's people. Only the SHA-256 of the feed's secret is kept; as with a registrant's own feed,
    reissuing makes a new row and the earlier address stops working."""

    __tablename__ = "group_calendar_feeds"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_group_id: Mapped[str] = mapped_column(String(36), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CalendarFeedRow(Base):
    """A registrant's private calendar feed: events of every registration made with one email address.
    Only the SHA-256 of the feed's secret is kept; revoking sets `revoked_at`, reissuing makes a new row."""

    __tablename__ = "calendar_feeds"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FeedDeparture(Base):
    """A published event moved out of some public feeds (its kind, region or networks changed): where it
    was until `left_at`. A feed that held it changed at that moment, though the event is no longer in it,
    so its Last-Modified is at least `left_at`."""

    __tablename__ = "feed_departures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(32))
    networks: Mapped[list] = mapped_column(JSON)
    left_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class FeedFormat(Base):
    """What this release writes into calendars (a fingerprint) and since when: no feed is older than
    that, so a feed whose events did not change but whose text did (a new release) is not answered 304."""

    __tablename__ = "feed_format"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # one row
    fingerprint: Mapped[str] = mapped_column(String(64))
    since: Mapped[datetime] = mapped_column(UTCDateTime())


metadata = Base.metadata
outbox = Outbox(metadata)
inbox = InboxTable(metadata)
commands = CommandLog(metadata)
audit = AuditTrail(metadata, "events")
housekeeping = HousekeepingLog(metadata)  # who read personal data here, or changed accounts
