"""Calendar feeds built by the events service on SQLite and PostgreSQL: what they hold, and when they
last changed (their Last-Modified), from what the service stores."""
from __future__ import annotations

from datetime import datetime

import icalendar
import pytest
import vobject

from services.events import feeds, models, operations, registrations
from shared.contracts.base import parse_contract
from shared.contracts.events import EventDraft, EventPatch
from shared.contracts.identity import Caller, Grant, Role
from shared.errors import Forbidden
from tests.service.scenarios import join, register

WORKSHOP = {"kind": "workshop", "title": {"ja": "四国ワークショップ"}, "region": "shikoku", "networks": ["labour"],
            "starts_at": "2031-05-10T10:00", "ends_at": "2031-05-10T16:00"}


@pytest.fixture
def db(make_sessionmaker):
    return make_sessionmaker(models)


def published(db, **changes):
    with db.begin() as session:
        event = operations.create_event(session, parse_contract(EventDraft, {**WORKSHOP, **changes}))
        return operations.publish_event(session, event.id, force=True)


def patch(db, event_id, **changes):
    with db.begin() as session:
        return operations.update_event(session, event_id, EventPatch(**changes))


def public_feed(db, **filters) -> tuple[set[str], datetime]:
    with db.begin() as session:
        built = feeds.public_feed(session, "events", None, "https://t", "https://t/feeds/events.ics", **filters)
    uids = {v.uid.value for v in vobject.readOne(built["body"]).contents.get("vevent", [])}
    return uids, datetime.fromisoformat(built["last_modified"])


@pytest.mark.parametrize("filters", [{"region": "shikoku"}, {"network": "labour"}, {"kind": "workshop"}])
def test_a_feed_an_event_leaves_is_dated_from_its_leaving(db, filters):
    public_feed(db)  # the first build records since when calendars are written as they are
    staying = published(db, title={"ja": "残る"})
    leaving = published(db, title={"ja": "移る"})
    uids, before = public_feed(db, **filters)
    assert {f"{staying.id}@tsunagu", f"{leaving.id}@tsunagu"} <= uids and before == leaving.updated_at
    moved = patch(db, leaving.id, region="chugoku", networks=["medical"], kind="symposium")
    uids, after = public_feed(db, **filters)
    assert f"{leaving.id}@tsunagu" not in uids and after == moved.updated_at > before
    moved_back_elsewhere = public_feed(db, region="chugoku")
    assert f"{leaving.id}@tsunagu" in moved_back_elsewhere[0]
    patch(db, staying.id, region="kyushu-okinawa", networks=["medical"], kind="symposium")
    uids, emptied = public_feed(db, **filters)
    assert uids == set() and emptied > after


def test_an_empty_feed_is_dated_from_when_calendars_are_written_as_they_are(db, monkeypatch):
    uids, since = public_feed(db, network="nobody-uses-this")
    assert uids == set() and since.year >= 2024
    assert public_feed(db, network="nobody-uses-this")[1] == since  # recorded once, not "now" every time
    monkeypatch.setattr(feeds, "_fingerprint", lambda: "a release that writes calendars differently")
    assert public_feed(db, network="nobody-uses-this")[1] > since


def test_a_drafts_changes_and_other_feeds_changes_leave_a_feed_alone(db):
    published(db)
    _, before = public_feed(db, region="shikoku")
    with db.begin() as session:
        draft = operations.create_event(session, parse_contract(EventDraft, {**WORKSHOP, "title": {"ja": "下書き"}}))
    patch(db, draft.id, region="chugoku")  # a draft never was in any feed
    kanto = published(db, region="kanto")
    patch(db, kanto.id, region="tohoku")
    assert public_feed(db, region="shikoku")[1] == before


def test_a_registrant_who_registers_again_sees_the_event_once(db):
    event = published(db)
    first = register(db, event.id, display_name="Lin", email="lin@example.org")
    with db.begin() as session:
        registrations.cancel_registration(session, first.id, first.manage_token, None)
        token = feeds.issue_private_feed(session, first.id, first.manage_token, None)
    again = register(db, event.id, display_name="Lin", email="lin@example.org")

    with db.begin() as session:
        built = feeds.private_feed(session, token, None, "https://t", "https://t/feeds/private/x.ics")
    entries = vobject.readOne(built["body"]).vevent_list
    assert [(v.uid.value, v.status.value) for v in entries] == [(f"{event.id}@tsunagu", "CONFIRMED")]
    assert datetime.fromisoformat(built["last_modified"]) >= again.created_at  # a new registration is a change


def test_a_group_s_feed_holds_its_delegations_for_its_contacts_only(db):
    contact = Caller(account_id="acc-c", email="contact@example.org",
                     grants=(Grant(role=Role.GROUP_CONTACT, groups=("g-7",)),))
    stranger = Caller(account_id="acc-s", email="stranger@example.org",
                      grants=(Grant(role=Role.GROUP_CONTACT, groups=("g-8",)),))
    join(db, "g-7")
    ours, theirs = published(db, title={"ja": "私たちの代表団"}), published(db, title={"ja": "ほかの行事"})
    register(db, ours.id, kind="delegation", member_group_id="g-7", places=3, display_name="移住者の会")
    register(db, theirs.id, display_name="Ana", email="ana@example.org")
    with db.begin() as session:
        with pytest.raises(Forbidden):
            feeds.issue_group_feed(session, "g-7", stranger)
        first = feeds.issue_group_feed(session, "g-7", contact)
    with db.begin() as session:
        second = feeds.issue_group_feed(session, "g-7", contact)  # the earlier address stops working
    with db.begin() as session:
        built = feeds.group_feed(session, second, "ja", "https://t", "https://t/feeds/group/x.ics")
        with pytest.raises(feeds.NotFound):
            feeds.group_feed(session, first, "ja", "https://t", "https://t/feeds/group/y.ics")
    calendar = vobject.readOne(built["body"])
    assert [v.uid.value for v in calendar.vevent_list] == [f"{ours.id}@tsunagu"]
    assert [str(v["UID"]) for v in icalendar.Calendar.from_ical(built["body"]).walk("VEVENT")] == [f"{ours.id}@tsunagu"]
    assert calendar.contents["x-wr-calname"][0].value == "つなぐ 団体の参加予定" and built["owner"] == "group:g-7"


def test_a_feed_built_from_kept_parts_is_byte_for_byte_a_full_build(db):
    """Events in two zones, one whole-day, one starting with another; built, then one changed, one added,
    one cancelled, in Japanese and in English: each time the same bytes (and ETag) as the whole feed
    written again, while only the changed events' components are written."""
    from services.events.feed_parts import FeedParts

    parts = FeedParts()
    ids = [published(db, title={"ja": f"集会 {n}", "en": f"Rally {n}"}, starts_at=f"2031-06-{n + 1:02d}T10:00",
                     ends_at=f"2031-06-{n + 1:02d}T12:00").id for n in range(6)]
    published(db, title={"ja": "同時刻"}, starts_at="2031-06-01T10:00", ends_at="2031-06-01T12:00")
    published(db, title={"ja": "那覇"}, timezone="Asia/Manila", starts_at="2031-07-01T10:00",
              ends_at="2031-07-01T12:00")
    published(db, title={"ja": "終日"}, all_day=True, starts_at="2031-08-01T00:00", ends_at="2031-08-02T00:00")

    def both(lang):
        with db.begin() as session:
            whole = feeds.public_feed(session, "events", lang, "https://t", "https://t/feeds/events.ics")
            kept = feeds.public_feed(session, "events", lang, "https://t", "https://t/feeds/events.ics", parts=parts)
        assert kept == whole
        return kept

    for lang in ("ja", "en"):
        both(lang)
    written = len(parts._parts)
    assert written == 2 * 9
    patch(db, ids[2], title={"ja": "集会 2（会場変更）"})
    published(db, title={"ja": "追加"}, starts_at="2031-06-03T10:00", ends_at="2031-06-03T12:00")
    with db.begin() as session:
        operations.cancel_event(session, ids[4], "台風")
    for lang in ("ja", "en"):
        assert "集会 2（会場変更）" in both(lang)["body"] or lang == "en"
    assert len(parts._parts) == written + 2 * 3  # the changed, the new and the cancelled: nothing else
    icalendar.Calendar.from_ical(both("ja")["body"])
