from datetime import timezone

import pytest
from sqlalchemy import select

from services.events import models, operations
from shared.contracts import EVENT_TYPES
from shared.contracts.events import EventDraft
from shared.errors import Conflict, NotFound

DRAFT = EventDraft.model_validate({
    "kind": "national_forum", "title": {"ja": "第8回全国フォーラム", "en": "8th National Forum"},
    "region": "chubu-tokai", "city": "名古屋市", "venue": "中京大学",
    "starts_at": "2011-06-18T13:00:00", "ends_at": "2011-06-19T16:00:00", "networks": ["migrant-women"]})


@pytest.fixture
def db(make_sessionmaker):
    return make_sessionmaker(models.metadata)


def outbox_rows(db):
    with db() as session:
        return session.execute(select(models.outbox.table).order_by(models.outbox.table.c.id)).all()


def test_a_new_event_is_a_draft_and_announces_nothing(db):
    with db.begin() as session:
        view = operations.create_event(session, DRAFT)
    assert view.status == "draft" and view.revision == 0
    assert view.starts_at.tzinfo is not None and view.starts_at.astimezone(timezone.utc).hour == 4
    assert outbox_rows(db) == []


def test_publishing_commits_the_change_and_its_event_together(db):
    with db.begin() as session:
        created = operations.create_event(session, DRAFT)
    with db.begin() as session:
        published = operations.publish_event(session, created.id)
    assert published.status == "published" and published.revision == 1
    rows = outbox_rows(db)
    assert [row.event_type for row in rows] == ["event_published"]
    event = EVENT_TYPES["event_published"].model_validate(rows[0].payload)
    assert event.event.id == created.id and event.event.revision == 1
    assert rows[0].published_at is None  # the relay's job, after commit


def test_a_failed_transaction_leaves_no_outbox_row(db):
    with db.begin() as session:
        created = operations.create_event(session, DRAFT)
    with pytest.raises(RuntimeError):
        with db.begin() as session:
            operations.publish_event(session, created.id)
            raise RuntimeError("the request failed after the change")
    assert outbox_rows(db) == []
    with db() as session:
        assert operations.get_event(session, created.id).status == "draft"


def test_publishing_twice_is_a_conflict_and_announces_once(db):
    with db.begin() as session:
        created = operations.create_event(session, DRAFT)
    with db.begin() as session:
        operations.publish_event(session, created.id)
    with pytest.raises(Conflict, match="only a draft"):
        with db.begin() as session:
            operations.publish_event(session, created.id)
    assert len(outbox_rows(db)) == 1


def test_an_unknown_event_is_not_found(db):
    with pytest.raises(NotFound):
        with db() as session:
            operations.get_event(session, "0d7f0c39-2b63-4a3c-9f5e-000000000000")
