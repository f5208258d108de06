"""The members service's tables (its own database file or schema)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.bus.tables import InboxTable, Outbox
from shared.db import UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData()


class MemberGroupRow(Base):
    __tablename__ = "member_groups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[dict] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(32), index=True)
    prefecture: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(80))
    website: Mapped[str | None] = mapped_column(String(300))
    help_languages: Mapped[list] = mapped_column(JSON)
    networks: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


metadata = Base.metadata
outbox = Outbox(metadata)
inbox = InboxTable(metadata)
