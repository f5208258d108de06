import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.events import models, operations, registrations
from shared.contracts.base import parse_contract, utcnow
from shared.contracts.events import AttendeesUpdate, EventDraft, EventPatch
from shared.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from tests.samples import SECRETARIAT, contact
from tests.service.scenarios import EVENT, join, open_event, person, register


@pytest.fixture
def db(make_sessionmaker):
    return make_sessionmaker(models)


def event_types(db):
    table = models.outbox.table
    with db() as session:
        return [r.event_type for r in session.execute(select(table.c.event_type).order_by(table.c.id))]


def assert_counters_match_registrations(db, event_id):
    with db() as session:
        event = session.get(models.EventRow, event_id)
        rows = session.execute(select(models.RegistrationRow).where(
            models.RegistrationRow.event_id == event_id)).scalars().all()
        assert event.confirmed_places == sum(r.places for r in rows if r.status == "confirmed")
        assert event.waitlisted_places == sum(r.places for r in rows if r.status == "waitlisted")
        for s in event.sessions:
            assert s.confirmed_places == sum(r.places for r in rows if r.status == "confirmed" and s.id in r.session_ids)
        if event.capacity is not None:
            assert event.confirmed_places <= event.capacity


def test_someone_signed_in_sees_the_registrations_they_made_for_themself_and_no_one_else_s(db):
    event_id = open_event(db).id
    first = register(db, event_id, confirmed=False, email="Ana@example.org")
    second = register(db, event_id, confirmed=True, email="ana@example.org")
    register(db, event_id, email="bo@example.org")
    join(db, "g-1")
    register(db, event_id, kind="delegation", member_group_id="g-1", email="ana@example.org", places=2)
    with db() as session:
        own = registrations.own_registrations(session, person("ana@example.org"))
    assert [view.id for view in own] == [second.id, first.id]  # newest first; not the group's delegation


def test_places_then_the_waiting_list_then_promotion_on_cancellation(db):
    event = open_event(db, capacity=2)
    first, second, third = (register(db, event.id, email=f"p{i}@example.org") for i in range(3))
    assert [first.status, second.status, third.status] == ["confirmed", "confirmed", "waitlisted"]
    assert third.waitlist_position == 1 and first.manage_token != second.manage_token
    with db.begin() as session:
        cancelled = registrations.cancel_registration(session, first.id, first.manage_token, None)
    assert cancelled.status == "cancelled"
    with db() as session:
        assert registrations.get_registration(session, third.id, third.manage_token, False).status == "confirmed"
    assert event_types(db)[1:] == ["registration_confirmed", "registration_confirmed", "registration_waitlisted",
                                   "registration_cancelled", "registration_promoted"]
    assert_counters_match_registrations(db, event.id)


def test_the_manage_link_is_needed_unless_an_organizer_asks(db):
    event = open_event(db)
    receipt = register(db, event.id)
    for token in (None, "wrong", receipt.manage_token[:-1]):
        with pytest.raises(NotFound), db() as session:
            registrations.get_registration(session, receipt.id, token, None)
    with db() as session:
        assert registrations.get_registration(session, receipt.id, None, SECRETARIAT).id == receipt.id
    with db.begin() as session:
        registrations.cancel_registration(session, receipt.id, None, SECRETARIAT)
    with pytest.raises(Conflict, match="cancelled already"), db.begin() as session:
        registrations.cancel_registration(session, receipt.id, receipt.manage_token, None)


def test_sessions_have_their_own_places(db):
    event = open_event(db, capacity=10, sessions=[
        {"title": {"ja": "分科会A"}, "capacity": 1, "starts_at": "2027-09-01T13:00", "ends_at": "2027-09-01T15:00"},
        {"title": {"ja": "分科会B"}, "starts_at": "2027-09-01T13:00", "ends_at": "2027-09-01T15:00"}])
    a, b = (s.id for s in event.sessions)
    assert register(db, event.id, session_ids=[a]).status == "confirmed"
    assert register(db, event.id, session_ids=[a], email="x@example.org").status == "waitlisted"
    # the line for a full session does not hold up places elsewhere, but nobody jumps it
    assert register(db, event.id, session_ids=[b], email="y@example.org").status == "confirmed"
    assert register(db, event.id, session_ids=[a, b], email="z@example.org").status == "waitlisted"
    with pytest.raises(Invalid) as caught:
        register(db, event.id, session_ids=["nope"])
    assert caught.value.field == "session_ids"
    assert_counters_match_registrations(db, event.id)


def test_more_capacity_promotes_the_waiting(db):
    event = open_event(db, capacity=1)
    register(db, event.id)
    waiting = register(db, event.id, email="w@example.org")
    with db.begin() as session:
        operations.update_event(session, event.id, EventPatch(capacity=2))
    with db() as session:
        assert registrations.get_registration(session, waiting.id, waiting.manage_token, False).status == "confirmed"
    assert_counters_match_registrations(db, event.id)


def test_approval(db):
    event = open_event(db, capacity=1, requires_approval=True)
    first, second = register(db, event.id), register(db, event.id, email="b@example.org")
    assert first.status == second.status == "pending"
    with db.begin() as session:
        assert registrations.decide_pending(session, first.id, approve=True, who=SECRETARIAT).status == "confirmed"
    with db.begin() as session:
        assert registrations.decide_pending(session, second.id, approve=True, who=SECRETARIAT).status == "waitlisted"
    third = register(db, event.id, email="c@example.org")
    with db.begin() as session:
        assert registrations.decide_pending(session, third.id, approve=False, who=SECRETARIAT).status == "rejected"
    with pytest.raises(Conflict), db.begin() as session:
        registrations.decide_pending(session, third.id, approve=True, who=SECRETARIAT)
    assert "registration_approved" in event_types(db) and "registration_rejected" in event_types(db)
    assert_counters_match_registrations(db, event.id)


def test_registration_only_while_open(db):
    with db.begin() as session:
        draft = operations.create_event(session, parse_contract(EventDraft, EVENT))
    with pytest.raises(NotFound) as caught:  # a draft answers like an unknown event: its existence is private
        register(db, draft.id)
    with pytest.raises(NotFound) as unknown:
        register(db, "no-such-event")
    assert (caught.value.field, caught.value.detail.replace(draft.id, "?")) == (
        unknown.value.field, unknown.value.detail.replace("no-such-event", "?"))
    closed = open_event(db, registration_closes_at=(utcnow() - timedelta(hours=1)).isoformat())
    with pytest.raises(Conflict) as caught:
        register(db, closed.id)
    assert caught.value.field == "registration_closes_at"


def test_delegations_come_from_current_member_groups_within_their_quota(db):
    event = open_event(db, capacity=50, group_quota=5)
    delegation = {"kind": "delegation", "member_group_id": "g1", "display_name": "カラバオの会", "places": 3}
    with pytest.raises(Invalid) as caught:
        register(db, event.id, **delegation)
    assert caught.value.field == "member_group_id"
    join(db, "g1")
    receipt = register(db, event.id, **delegation, attendees=[{"name": "Maria"}])
    assert receipt.status == "confirmed" and receipt.places == 3
    with pytest.raises(Invalid, match="at most 5") as caught:
        register(db, event.id, **{**delegation, "places": 3})
    assert caught.value.field == "places"
    assert register(db, event.id, **{**delegation, "places": 2}).status == "confirmed"
    assert_counters_match_registrations(db, event.id)


def test_attendees_are_named_until_the_deadline(db):
    join(db, "g1")
    event = open_event(db, attendee_names_deadline=(utcnow() + timedelta(days=1)).isoformat())
    receipt = register(db, event.id, kind="delegation", member_group_id="g1", display_name="G", places=2)
    update = AttendeesUpdate.model_validate({"attendees": [
        {"name": "Rosa", "needs": {"interpretation": [{"source": "ja", "target": "tl"}]}}, {"name": "Ken"}]})
    with pytest.raises(Unauthenticated), db.begin() as session:  # the link alone does not act for a group
        registrations.update_attendees(session, receipt.id, receipt.manage_token, None, update)
    with pytest.raises(Forbidden), db.begin() as session:
        registrations.update_attendees(session, receipt.id, receipt.manage_token, contact("g2"), update)
    with db.begin() as session:
        named = registrations.update_attendees(session, receipt.id, None, contact("g1"), update)
    assert [a.name for a in named.attendees] == ["Rosa", "Ken"]
    with pytest.raises(Invalid), db.begin() as session:
        registrations.update_attendees(session, receipt.id, None, contact("g1"),
                                       AttendeesUpdate(attendees=update.attendees * 2))
    with db.begin() as session:
        operations.update_event(session, event.id, EventPatch(
            attendee_names_deadline=(utcnow() - timedelta(minutes=1)).isoformat()))
    with pytest.raises(Conflict) as caught, db.begin() as session:
        registrations.update_attendees(session, receipt.id, None, contact("g1"), update)
    assert caught.value.field == "attendees"


def test_needs_are_totalled_per_session(db):
    event = open_event(db, sessions=[
        {"title": {"ja": "全体会"}, "kind": "plenary", "starts_at": "2027-09-01T10:00", "ends_at": "2027-09-01T12:00"}])
    plenary = event.sessions[0].id
    register(db, event.id, session_ids=[plenary], needs={
        "interpretation": [{"source": "ja", "target": "vi"}], "step_free_access": True, "childcare": 2})
    register(db, event.id, email="b@example.org", session_ids=[plenary], needs={"sign_language": "JSL"})
    register(db, event.id, email="c@example.org", needs={"interpretation": [{"source": "ja", "target": "vi"}],
                                                         "note": "車椅子で参加します"})
    with db() as session:
        whole, per_session = registrations.needs_summary(session, event.id)
    assert whole.session_id is None and whole.attendees == 3
    assert whole.interpretation == {"ja>vi": 2} and whole.notes == ["車椅子で参加します"]
    assert per_session.session_id == plenary and per_session.attendees == 2
    assert per_session.interpretation == {"ja>vi": 1} and per_session.sign_language == {"JSL": 1}
    assert per_session.step_free_access == 1 and per_session.childcare == 2


def test_the_csv_opens_in_japanese_excel_and_runs_no_formula(db):
    event = open_event(db)
    register(db, event.id, display_name="=HYPERLINK(\"http://evil\",\"x\")", needs={"note": "-1+1"})
    register(db, event.id, display_name="田中 花子", email="tanaka@example.org")
    with db() as session:
        body = registrations.registrations_csv(session, event.id)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0][:3] == ["registration_id", "status", "kind"]
    names = [row[4] for row in rows[1:]]
    assert names == ["'=HYPERLINK(\"http://evil\",\"x\")", "田中 花子"]
    assert rows[1][14] == "'-1+1"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_many_registrations_never_exceed_capacity(db):
    event = open_event(db, capacity=5)
    statuses = [register(db, event.id, email=f"p{i}@example.org").status for i in range(12)]
    assert statuses.count("confirmed") == 5 and statuses.count("waitlisted") == 7
    with db() as session:
        places = session.scalar(select(func.sum(models.RegistrationRow.places)).where(
            models.RegistrationRow.status == "confirmed"))
    assert places == 5
    assert_counters_match_registrations(db, event.id)


def test_an_erased_person_keeps_the_place_but_loses_every_trace(db):
    import hashlib

    from services.events import erasure, feeds
    from shared.contracts.members import MemberErased
    event = open_event(db, capacity=5)
    receipt = register(db, event.id, display_name="Nguyen", email="Nguyen@Example.org",
                       needs={"note": "ベトナム語の通訳"})
    register(db, event.id, email="other@example.org")
    with db.begin() as session:
        feeds.issue_private_feed(session, receipt.id, receipt.manage_token, None)
    digest = hashlib.sha256(b"nguyen@example.org").hexdigest()
    with db.begin() as session:
        assert erasure.forget_member(session, MemberErased(member_id="m", email_sha256=digest)) == 1
    with db() as session:
        rows = session.execute(select(models.RegistrationRow)).scalars().all()
        feeds_left = session.execute(select(models.CalendarFeedRow)).scalars().all()
    stored = " ".join(f"{r.display_name} {r.email} {r.attendees}" for r in rows)
    assert "Nguyen" not in stored and "nguyen@example.org" not in stored and "通訳" not in stored
    assert feeds_left == []
    assert_counters_match_registrations(db, event.id)  # the place stays counted
