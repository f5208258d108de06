"""The members service's tables (its own database file or schema).

Groups and individuals share `members`; networks, help languages and the bigrams of names sit in tables
of their own so the directory filters and searches on them with an index, at 100,000 members as at 700.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.members import domain
from shared.audit import AuditTrail
from shared.bus.commands import CommandLog
from shared.bus.tables import Outbox
from shared.db import UTCDateTime
from shared.housekeeping import HousekeepingLog


class Base(DeclarativeBase):
    metadata = MetaData()


class MemberRow(Base):
    __tablename__ = "members"
    # A directory page is read along one of these in name order, and stops when it is full.
    __table_args__ = (
        Index("ix_members_public_directory", "directory_listed", "public_region", "public_sort_key", "id"),
        Index("ix_members_members_directory", "members_listed", "public_region", "public_sort_key", "id"),
        Index("ix_members_public_names", "directory_listed", "public_sort_key", "id"),
        Index("ix_members_members_names", "members_listed", "public_sort_key", "id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_kind: Mapped[str] = mapped_column(String(12), index=True)  # group, individual
    name: Mapped[dict] = mapped_column(JSON, default=dict)
    kind: Mapped[str | None] = mapped_column(String(32), index=True)
    display_name: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    preferred_language: Mapped[str | None] = mapped_column(String(35))
    region: Mapped[str | None] = mapped_column(String(32), index=True)
    prefecture: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(80))
    website: Mapped[str | None] = mapped_column(String(300))
    help_languages: Mapped[list] = mapped_column(JSON, default=list)
    networks: Mapped[list] = mapped_column(JSON, default=list)
    public_contact: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    visibility: Mapped[str | None] = mapped_column(String(12))
    directory_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    public_fields: Mapped[list] = mapped_column(JSON, default=list)
    # Whether the public directory lists it at all: a public group, or an individual who opted in.
    directory_listed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether the members' directory lists it: that, or a group shown to the network's members only.
    members_listed: Mapped[bool] = mapped_column(Boolean, default=False)
    current_member: Mapped[bool] = mapped_column(Boolean, default=False)  # as of the last check
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    search_text: Mapped[str] = mapped_column(Text, default="")  # names, folded (domain.folded): partial matches
    # What public (and members') queries filter on, taken from the entry they show alone
    # (domain.public_filters), so a hidden name or region can never be found by searching for it.
    public_search_text: Mapped[str] = mapped_column(Text, default="")
    public_region: Mapped[str | None] = mapped_column(String(32))
    public_sort_key: Mapped[str] = mapped_column(String(domain.SORT_KEY_CHARS), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    memberships: Mapped[list[MembershipRow]] = relationship(
        order_by="MembershipRow.starts_on", cascade="all, delete-orphan", lazy="selectin")


class MemberNetwork(Base):
    __tablename__ = "member_networks"

    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    network: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # shown in the public directory


class MemberLanguage(Base):
    __tablename__ = "member_languages"

    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(35), primary_key=True, index=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # shown in the public directory


class MemberSearchGram(Base):
    """The directory's partial-match index (domain.search_grams) of each member's search text; `public`
    when the gram is also one of the public search text's, as the filter tables mark what is shown."""

    __tablename__ = "member_search_grams"
    __table_args__ = (Index("ix_member_search_grams_gram", "gram", "public", "member_id"),)

    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    gram: Mapped[str] = mapped_column(String(2), primary_key=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)


class MembershipRow(Base):
    __tablename__ = "memberships"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(12))
    units: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    fiscal_year: Mapped[int | None] = mapped_column(Integer)
    dues_status: Mapped[str] = mapped_column(String(8))
    renewal_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    renewal_notice_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ImportJobRow(Base):
    """An import running in the background. `content` is the file's text until the job ends (it holds
    personal data: it is dropped then); `rows_done` is where a restarted service carries on."""

    __tablename__ = "import_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(12), index=True)  # ImportJobStatus
    dry_run: Mapped[bool] = mapped_column(Boolean)
    today: Mapped[date | None] = mapped_column(Date)  # the day memberships are judged current on
    content: Mapped[str | None] = mapped_column(Text, deferred=True)  # read once, when a worker takes the job
    rows: Mapped[int] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(300))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a running job's worker renews it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class ImportProblemRow(Base):
    __tablename__ = "import_problems"

    job_id: Mapped[str] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True)
    row: Mapped[int] = mapped_column(Integer, primary_key=True)
    field: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(300))


class AccountRow(Base):
    """A person who signs in: an email address and the roles it holds (shared.contracts.identity.Grant,
    as JSON: a handful per account, read whole)."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # as shared.secrets.normalised_email makes it
    grants: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignInLinkRow(Base):
    """A mailed sign-in link: only its secret's hash is kept; it works once, for a quarter of an hour."""

    __tablename__ = "sign_in_links"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AccountSessionRow(Base):
    """A signed-in browser: revocable, its expiry sliding with use."""

    __tablename__ = "account_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiTokenRow(Base):
    """A personal API token for scripts: it speaks with its person's roles; only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


metadata = Base.metadata
outbox = Outbox(metadata)
commands = CommandLog(metadata)
audit = AuditTrail(metadata, "members")
housekeeping = HousekeepingLog(metadata)  # who read personal data here, or changed accounts
