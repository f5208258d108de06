from datetime import UTC, timedelta, timezone

import pytest
from sqlalchemy import select

from services.events import models, operations
from shared.contracts import EVENT_TYPES
from shared.contracts.base import parse_contract, utcnow
from shared.contracts.events import EventDraft, EventFilter, EventPatch, MigrantsDayDraft
from shared.errors import Conflict, Invalid, NotFound
from tests.samples import SECRETARIAT, organizer

FORUM = {
    "kind": "national_forum", "series": "national-forum", "edition": 8,
    "title": {"ja": "第8回全国フォーラム", "en": "8th National Forum"},
    "region": "chubu-tokai", "city": "名古屋市",
    "venue": {"name": "中京大学", "address": "名古屋市昭和区八事本町101-2", "latitude": 35.13, "longitude": 136.96},
    "starts_at": "2027-06-18T13:00:00", "ends_at": "2027-06-19T16:00:00", "networks": ["migrant-women"],
    "sessions": [{"kind": "plenary", "title": {"ja": "全体会"}, "starts_at": "2027-06-18T13:00:00",
                  "ends_at": "2027-06-18T17:00:00", "interpretation": [{"source": "ja", "target": "vi"}]}]}


@pytest.fixture
def db(make_sessionmaker):
    return make_sessionmaker(models)


def create(db, **changes):
    with db.begin() as session:
        return operations.create_event(session, parse_contract(EventDraft, {**FORUM, **changes}))


def publish(db, event_id, force=False):
    with db.begin() as session:
        return operations.publish_event(session, event_id, force)


def outbox_rows(db):
    with db() as session:
        return session.execute(select(models.outbox.table).order_by(models.outbox.table.c.id)).all()


def test_a_new_event_is_a_draft_and_announces_nothing(db):
    view = create(db)
    assert view.status == "draft" and view.revision == 0 and view.conflicts == []
    assert view.starts_at.astimezone(UTC).hour == 4
    assert view.sessions[0].title == {"ja": "全体会"} and view.venue.latitude == 35.13
    assert outbox_rows(db) == []


def test_publishing_commits_the_change_and_its_event_together(db):
    created = create(db)
    published = publish(db, created.id)
    assert published.status == "published" and published.revision == 1
    rows = outbox_rows(db)
    assert [row.event_type for row in rows] == ["event_published"]
    assert EVENT_TYPES["event_published"].model_validate(rows[0].payload).event.id == created.id
    assert rows[0].published_at is None  # the relay's job, after commit


def test_a_failed_transaction_leaves_no_outbox_row(db):
    created = create(db)
    with pytest.raises(RuntimeError), db.begin() as session:
        operations.publish_event(session, created.id)
        raise RuntimeError("the request failed after the change")
    assert outbox_rows(db) == []
    with db() as session:
        assert operations.get_event(session, created.id, SECRETARIAT).status == "draft"


def test_publishing_twice_is_a_conflict_and_announces_once(db):
    created = create(db)
    publish(db, created.id)
    with pytest.raises(Conflict, match="only a draft"):
        publish(db, created.id)
    assert len(outbox_rows(db)) == 1


def test_clashes_are_reported_and_need_force_to_publish(db):
    first = create(db)
    publish(db, first.id)
    second = create(db, kind="workshop", series=None, edition=None, venue=None, networks=[],
                    starts_at="2027-06-19T10:00:00", ends_at="2027-06-19T12:00:00", sessions=[])
    assert [c.kind for c in second.conflicts] == ["national_overlap"]
    with db() as session:  # read again later, a draft shows its organizers its clashes; nobody sees the draft
        assert [c.kind for c in operations.get_event(session, second.id, SECRETARIAT).conflicts] == ["national_overlap"]
        with pytest.raises(NotFound):
            operations.get_event(session, second.id, None)
    with pytest.raises(Conflict, match="force=true"):
        publish(db, second.id)
    assert publish(db, second.id, force=True).status == "published"
    with db() as session:  # once published, what everyone reads carries no organizer's weighing
        assert operations.get_event(session, second.id, SECRETARIAT).conflicts == []


def test_changes_after_publication_raise_revision_and_sequence_and_go_on_the_bus(db):
    created = create(db, capacity=100)
    with db.begin() as session:  # a draft's changes are nobody's business yet
        draft = operations.update_event(session, created.id, EventPatch(capacity=120))
    assert draft.revision == 0 and outbox_rows(db) == []
    publish(db, created.id)
    with db.begin() as session:
        retitled = operations.update_event(session, created.id, EventPatch(title={"ja": "第8回 全国フォーラム東海"}))
    assert retitled.revision == 2 and retitled.sequence == 0  # a title is not a reason to re-notify calendars
    with db.begin() as session:
        moved = operations.update_event(session, created.id, EventPatch(venue={"name": "名古屋国際センター"}))
    assert moved.revision == 3 and moved.sequence == 1
    updates = [EVENT_TYPES[r.event_type].model_validate(r.payload) for r in outbox_rows(db)[1:]]
    assert [u.changed for u in updates] == [["title"], ["venue"]]
    with db.begin() as session:
        unchanged = operations.update_event(session, created.id, EventPatch(capacity=120))
    assert unchanged.revision == 3 and len(outbox_rows(db)) == 3


def test_a_patch_is_checked_by_the_same_rules(db):
    created = create(db)
    with pytest.raises(Invalid) as caught, db.begin() as session:
        operations.update_event(session, created.id, EventPatch(ends_at="2027-06-17T10:00:00"))
    assert caught.value.field == "ends_at"


def test_cancelled_and_postponed_events_stay_readable(db):
    event = publish(db, create(db).id)
    with db.begin() as session:
        postponed = operations.postpone_event(session, event.id, None, None)
    assert postponed.status == "postponed" and postponed.sequence == 1
    with db.begin() as session:
        cancelled = operations.cancel_event(session, event.id, "台風のため")
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "台風のため"
    assert [r.event_type for r in outbox_rows(db)] == ["event_published", "event_postponed", "event_cancelled"]
    with pytest.raises(Conflict), db.begin() as session:
        operations.update_event(session, event.id, EventPatch(capacity=3))


def test_whole_day_events_end_the_midnight_after_their_last_day(db):
    view = create(db, all_day=True, starts_at="2027-06-18", ends_at="2027-06-19", sessions=[])
    assert view.starts_at.astimezone(timezone(timedelta(hours=9))).isoformat() == "2027-06-18T00:00:00+09:00"
    assert view.ends_at.astimezone(timezone(timedelta(hours=9))).isoformat() == "2027-06-20T00:00:00+09:00"
    with db.begin() as session:  # a patch does not push the end one more day
        patched = operations.update_event(session, view.id, EventPatch(capacity=50))
    assert patched.ends_at == view.ends_at


def test_migrants_day_is_one_occasion_in_many_cities(db):
    draft = MigrantsDayDraft.model_validate({
        "year": 2026, "title": {"ja": "国際移住者デー", "en": "Migrants Day"},
        "local_events": [
            {"region": "kanto", "city": "東京", "starts_at": "2026-12-18T18:30", "ends_at": "2026-12-18T20:30"},
            {"region": "chubu-tokai", "city": "名古屋", "starts_at": "2026-12-18T18:30", "ends_at": "2026-12-18T20:00"},
            {"region": "kinki-kansai", "city": "大阪", "starts_at": "2026-12-18T13:00", "ends_at": "2026-12-18T15:00",
             "title": {"ja": "移住者デー関西集会"}}]})
    with db.begin() as session:
        views = operations.create_migrants_day(session, draft)
    assert len({v.occasion_id for v in views}) == 1 and all(v.kind == "migrants_day" for v in views)
    assert [v.title.get("ja") for v in views] == ["国際移住者デー 東京", "国際移住者デー 名古屋", "移住者デー関西集会"]
    assert all(v.conflicts == [] for v in views)
    wrong_day = draft.model_copy(update={"local_events": [draft.local_events[0].model_copy(
        update={"starts_at": draft.local_events[0].starts_at.replace(day=19),
                "ends_at": draft.local_events[0].ends_at.replace(day=19)})]})
    with pytest.raises(Invalid) as caught, db.begin() as session:
        operations.create_migrants_day(session, wrong_day)
    assert caught.value.field == "local_events.0.starts_at"


def test_filters_and_the_calendar(db):
    forum = publish(db, create(db).id)
    workshop = publish(db, create(db, kind="workshop", series=None, edition=None, title={"ja": "関西ワークショップ"},
                                  region="kinki-kansai", venue=None, networks=["labour"], sessions=[],
                                  starts_at="2027-09-01T10:00", ends_at="2027-09-01T17:00").id)
    create(db, title={"ja": "下書き"}, starts_at="2027-10-01T10:00", ends_at="2027-10-01T12:00", sessions=[])
    with db() as session:
        def ids(viewer=None, **filters):
            return [v.id for v in operations.list_events(session, EventFilter(**filters), viewer)]
        assert ids() == [forum.id, workshop.id]
        assert ids(kind="workshop") == [workshop.id]
        assert ids(region="chubu-tokai") == [forum.id]
        assert ids(network="labour") == [workshop.id]
        assert ids(q="フォーラム") == [forum.id]  # partial match in Japanese text
        assert ids(q="八事") == [forum.id]  # the venue's address
        assert ids(starts_from=utcnow().replace(year=2027, month=7, day=1)) == [workshop.id]
        assert len(ids(SECRETARIAT, include_drafts=True)) == 3
        assert len(ids(include_drafts=True)) == 2  # drafts are their organizers' alone
        assert len(ids(organizer("kanto"), include_drafts=True)) == 2  # the draft is Tokai's
        assert len(ids(organizer("chubu-tokai"), include_drafts=True)) == 3
        june = operations.events_between(session, forum.starts_at - timedelta(days=1),
                                         forum.starts_at + timedelta(days=30), None, False)
        assert [v.id for v in june] == [forum.id]


def test_an_unknown_event_is_not_found(db):
    with pytest.raises(NotFound), db() as session:
        operations.get_event(session, "0d7f0c39-2b63-4a3c-9f5e-000000000000")
