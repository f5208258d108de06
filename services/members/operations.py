"""Use cases of the members service."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.members.models import MemberGroupRow, outbox
from shared.contracts.base import utcnow
from shared.contracts.members import MemberGroupDraft, MemberGroupView, MemberJoined


def _view(row: MemberGroupRow) -> MemberGroupView:
    return MemberGroupView.model_validate(row, from_attributes=True)


def create_group(session: Session, draft: MemberGroupDraft) -> MemberGroupView:
    row = MemberGroupRow(id=str(uuid.uuid4()), created_at=utcnow(), **draft.model_dump(mode="json"))
    session.add(row)
    session.flush()
    outbox.record(session, MemberJoined(member_id=row.id, member_kind="group", region=draft.region,
                                        networks=draft.networks))
    return _view(row)


def list_groups(session: Session) -> list[MemberGroupView]:
    rows = session.execute(select(MemberGroupRow).order_by(MemberGroupRow.created_at)).scalars()
    return [_view(row) for row in rows]
