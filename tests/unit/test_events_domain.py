from datetime import UTC, datetime, timedelta

import pytest

from services.events import domain
from services.events.domain import Lifecycle, Occupancy, Slot, Waiting
from shared.contracts.events import ClashKind, RegistrationStatus
from shared.contracts.vocabulary import EventKind, EventStatus
from shared.errors import Conflict, Invalid
from shared.secrets import new_secret, secret_matches
from shared.spreadsheets import neutralise_cell

T0 = datetime(2027, 6, 18, 1, tzinfo=UTC)


def slot(event_id="a", kind=EventKind.SYMPOSIUM, hours=(0, 3), venue=None, networks=(), status=EventStatus.PUBLISHED,
         occasion=None):
    return Slot(event_id=event_id, title={"en": f"Event {event_id}"}, kind=kind, status=status,
                starts_at=T0 + timedelta(hours=hours[0]), ends_at=T0 + timedelta(hours=hours[1]),
                venue_key=venue, networks=frozenset(networks), occasion_id=occasion)


def test_lifecycle_decides_transitions_and_what_they_raise():
    draft = Lifecycle(EventStatus.DRAFT, 0, 0)
    published = draft.become(EventStatus.PUBLISHED)
    assert published == Lifecycle(EventStatus.PUBLISHED, 1, 0)  # publication is revision 1
    postponed = published.become(EventStatus.POSTPONED)
    assert postponed == Lifecycle(EventStatus.POSTPONED, 2, 1)  # news to every calendar
    assert postponed.become(EventStatus.PUBLISHED) == Lifecycle(EventStatus.PUBLISHED, 3, 2)
    assert published.become(EventStatus.COMPLETED) == Lifecycle(EventStatus.COMPLETED, 2, 0)  # no news
    assert published.become(EventStatus.CANCELLED) == Lifecycle(EventStatus.CANCELLED, 2, 1)
    assert draft.become(EventStatus.CANCELLED) == Lifecycle(EventStatus.CANCELLED, 0, 0)  # nobody saw it
    with pytest.raises(Conflict, match="can become: nothing"):
        Lifecycle(EventStatus.CANCELLED, 2, 1).become(EventStatus.POSTPONED)
    with pytest.raises(Conflict, match="can become: cancelled, published"):
        draft.become(EventStatus.COMPLETED)
    with pytest.raises(Conflict, match="only a draft can be published; this event is published"):
        published.become(EventStatus.PUBLISHED)


def test_an_edit_raises_the_revision_once_published_and_the_sequence_when_attendees_must_know():
    assert Lifecycle(EventStatus.DRAFT, 0, 0).edited(["starts_at"]) == Lifecycle(EventStatus.DRAFT, 0, 0)
    published = Lifecycle(EventStatus.PUBLISHED, 3, 1)
    assert published.edited(["description"]) == Lifecycle(EventStatus.PUBLISHED, 4, 1)
    assert published.edited(["description", "venue"]) == Lifecycle(EventStatus.PUBLISHED, 4, 2)
    for ended in (EventStatus.CANCELLED, EventStatus.COMPLETED):
        with pytest.raises(Conflict, match=f"a {ended.value} event cannot be changed"):
            Lifecycle(ended, 3, 1).edited(["title"])


def test_two_network_wide_events_at_once_clash_wherever_they_are():
    forum = slot("forum", EventKind.NATIONAL_FORUM)
    negotiation = slot("nego", EventKind.NEGOTIATION, hours=(2, 4))
    clashes = domain.find_clashes(forum, [negotiation])
    assert [(c.kind, c.event_id) for c in clashes] == [(ClashKind.NATIONAL_OVERLAP, "nego")]
    # a local symposium at the same time is not a national clash
    assert domain.find_clashes(forum, [slot("local", EventKind.SYMPOSIUM)]) == []


def test_a_venue_booked_twice_clashes():
    key = domain.venue_key("中京大学  名古屋キャンパス", None)
    assert key == domain.venue_key("中京大学 名古屋キャンパス", "")
    clashes = domain.find_clashes(slot("a", venue=key), [slot("b", venue=key, hours=(1, 2))])
    assert [c.kind for c in clashes] == [ClashKind.VENUE_DOUBLE_BOOKED]


def test_a_network_meeting_twice_at_once_clashes():
    clashes = domain.find_clashes(slot("a", networks={"migrant-women", "medical"}),
                                  [slot("b", networks={"migrant-women"}), slot("c", networks={"labour"})])
    assert [(c.kind, c.event_id) for c in clashes] == [(ClashKind.NETWORK_OVERLAP, "b")]
    assert "migrant-women" in clashes[0].detail


def test_what_does_not_clash():
    forum = slot("a", EventKind.NATIONAL_FORUM, venue="v", networks={"n"})
    assert domain.find_clashes(forum, [slot("later", EventKind.NATIONAL_FORUM, hours=(3, 5), venue="v")]) == []
    assert domain.find_clashes(forum, [slot("x", EventKind.NATIONAL_FORUM, status=EventStatus.CANCELLED)]) == []
    assert domain.find_clashes(forum, [slot("a", EventKind.NATIONAL_FORUM)]) == []  # itself
    tokyo = slot("tokyo", EventKind.MIGRANTS_DAY, networks={"n"}, occasion="day")
    assert domain.find_clashes(tokyo, [slot("nagoya", EventKind.MIGRANTS_DAY, networks={"n"}, occasion="day")]) == []
    with pytest.raises(Conflict, match="force=true"):
        domain.check_no_clash(domain.find_clashes(forum, [slot("b", EventKind.WORKSHOP)]), force=False)
    domain.check_no_clash(domain.find_clashes(forum, [slot("b", EventKind.WORKSHOP)]), force=True)


def occupancy(event=(10, 0), **sessions):
    return {domain.EVENT: Occupancy(*event), **{name: Occupancy(*value) for name, value in sessions.items()}}


@pytest.mark.parametrize("places, sessions, occ, blocked, expected", [
    (1, [], occupancy((10, 9)), set(), RegistrationStatus.CONFIRMED),
    (2, [], occupancy((10, 9)), set(), RegistrationStatus.WAITLISTED),
    (1, [], occupancy((None, 500)), set(), RegistrationStatus.CONFIRMED),
    (1, ["s1"], occupancy(s1=(1, 1)), set(), RegistrationStatus.WAITLISTED),  # the session is full
    (1, [], occupancy(), {domain.EVENT}, RegistrationStatus.WAITLISTED),  # nobody jumps the line
    (1, ["s2"], occupancy(s1=(1, 1), s2=(5, 0)), {"s1"}, RegistrationStatus.CONFIRMED),  # another line
    (1, [], occupancy((0, 0)), set(), RegistrationStatus.WAITLISTED),
])
def test_who_gets_a_place(places, sessions, occ, blocked, expected):
    assert domain.initial_status(False, places, sessions, occ, blocked) is expected
    assert domain.initial_status(True, places, sessions, occ, blocked) is RegistrationStatus.PENDING


def test_the_line_is_held_only_for_the_places_people_wait_for():
    line = [Waiting("big", 5, ()), Waiting("s1-fan", 1, ("s1",))]
    assert domain.blocked_resources(line, occupancy((10, 8), s1=(3, 0))) == {domain.EVENT}
    assert domain.blocked_resources([Waiting("a", 1, ("s1",))], occupancy(s1=(1, 1))) == {"s1"}


def test_promotion_is_in_arrival_order():
    line = [Waiting("a", 1, ()), Waiting("big", 5, ()), Waiting("c", 1, ())]
    assert domain.promotions(line, occupancy((10, 8))) == ["a"]  # big does not fit: c waits behind it
    assert domain.promotions(line, occupancy((10, 3))) == ["a", "big", "c"]
    assert domain.promotions(line, occupancy((None, 99))) == ["a", "big", "c"]


def test_promotion_respects_session_places_without_holding_up_other_places():
    line = [Waiting("a", 1, ("s1",)), Waiting("b", 1, ("s1",)), Waiting("c", 1, ())]
    assert domain.promotions(line, occupancy((10, 0), s1=(1, 0))) == ["a", "c"]


def test_registration_window_and_quota():
    now = T0
    domain.check_registration_open(EventStatus.PUBLISHED, now, now - timedelta(days=1), now + timedelta(days=1))
    with pytest.raises(Conflict) as closed:
        domain.check_registration_open(EventStatus.PUBLISHED, now, None, now)
    assert closed.value.field == "registration_closes_at"
    with pytest.raises(Conflict) as early:
        domain.check_registration_open(EventStatus.PUBLISHED, now, now + timedelta(hours=1), None)
    assert early.value.field == "registration_opens_at"
    with pytest.raises(Conflict, match="draft"):
        domain.check_registration_open(EventStatus.DRAFT, now, None, None)
    domain.check_group_quota(5, 3, 2)
    with pytest.raises(Invalid, match="at most 5"):
        domain.check_group_quota(5, 3, 3)


@pytest.mark.parametrize("cell, safe", [("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+81", "'+81"),
                                        ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
                                        ("\rx", "'\rx"), ("田中", "田中"), (None, ""), (3, "3")])
def test_csv_cells_never_become_formulas(cell, safe):
    assert neutralise_cell(cell) == safe


def test_manage_tokens_are_kept_only_as_hashes():
    token, stored = new_secret()
    assert token not in stored and len(token) >= 32
    assert secret_matches(token, stored)
    assert not secret_matches(token + "x", stored)
    assert not secret_matches(None, stored)


def test_an_answer_to_a_pending_registration_is_decided_like_a_new_one():
    full = {domain.EVENT: Occupancy(10, 10)}
    room = {domain.EVENT: Occupancy(10, 2)}
    assert domain.answer_to_pending(False, 1, [], room, set()) is RegistrationStatus.REJECTED
    assert domain.answer_to_pending(True, 1, [], room, set()) is RegistrationStatus.CONFIRMED
    assert domain.answer_to_pending(True, 1, [], full, set()) is RegistrationStatus.WAITLISTED
    assert domain.answer_to_pending(True, 1, [], room, {domain.EVENT}) is RegistrationStatus.WAITLISTED
