"""The notifications service's tables (its own database file or schema).

`deliveries` is the delivery ledger: one row per (message, recipient). A recipient can never be sent
the same message twice because the row exists once and is marked sent right after the SMTP server
accepts the mail.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import AuditTrail
from shared.bus.commands import CommandLog
from shared.bus.tables import InboxTable
from shared.db import UTCDateTime
from shared.housekeeping import HousekeepingLog


class Base(DeclarativeBase):
    metadata = MetaData()


class MailingListRow(Base):
    __tablename__ = "mailing_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON)
    policy: Mapped[str] = mapped_column(String(16), default="announce")  # announce: organizers only post
    region: Mapped[str | None] = mapped_column(String(32), index=True)    # announcements of that region
    network: Mapped[str | None] = mapped_column(String(64), index=True)   # announcements of that network
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("list_id", "email"), Index("ix_subscriptions_email", "email"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(35))
    status: Mapped[str] = mapped_column(String(16), index=True)  # a SubscriptionStatus
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    confirm_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bounces: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Why this address may be mailed and since when (ConsentBasis): confirmed here, or held elsewhere
    # and imported by an organizer.
    consent_basis: Mapped[str | None] = mapped_column(String(32))
    consent_date: Mapped[date | None] = mapped_column(Date)


class MessageRow(Base):
    """One mail to many recipients; `key` says what it is for, so a second copy cannot be made."""

    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    template: Mapped[str] = mapped_column(String(64))
    list_slug: Mapped[str | None] = mapped_column(String(64))
    context: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    correlation_id: Mapped[str | None] = mapped_column(String(128))  # the request that caused it (logs)


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    # The queue is read in id order from where the last batch stopped: (status, id) makes that an index
    # range scan, however many rows wait.
    __table_args__ = (UniqueConstraint("message_id", "email"), Index("ix_deliveries_queue", "status", "id"),
                      Index("ix_deliveries_email", "email"))  # how many links an address got lately

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(35))
    subscription_id: Mapped[int | None] = mapped_column(Integer)  # list mail: whose unsubscribe link
    list_slug: Mapped[str | None] = mapped_column(String(64))      # … and which list it came through
    status: Mapped[str] = mapped_column(String(16))  # a DeliveryStatus
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReminderRow(Base):
    """A reminder owed to a registrant with a place, some days before their event."""

    __tablename__ = "reminders"

    registration_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(35))
    event: Mapped[dict] = mapped_column(JSON)
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sent: Mapped[bool] = mapped_column(Boolean, default=False)


class ErasedAddressRow(Base):
    """An erased person's address, by digest only, and when it was erased. Facts about them from before
    the erasure may still arrive afterwards (events cross the bus in no fixed order, and a dead letter
    can be replayed): those are not mailed. Anything they do after the erasure is a new beginning."""

    __tablename__ = "erased_addresses"

    email_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime())


metadata = Base.metadata
inbox = InboxTable(metadata)
commands = CommandLog(metadata)
audit = AuditTrail(metadata, "notifications")
housekeeping = HousekeepingLog(metadata)  # who read personal data here, or changed accounts
