"""An individual's registration holds its place for good only once its address is confirmed, on a real
database (SQLite and PostgreSQL): the link mailed to it, or signing in with it. Until then the place is
held for a while; then it goes back. A private calendar feed is only ever its own person's."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.events import feeds, models, registrations
from shared.contracts.base import utcnow
from shared.contracts.events import REGISTRATION_CONFIRM_PURPOSE
from shared.errors import Conflict, Forbidden, NotFound
from shared.secrets import link_secret
from tests.samples import SECRETARIAT
from tests.service.scenarios import ADDRESS_CHECK, open_event, person, register

VICTIM = "mai@example.org"


@pytest.fixture
def db(make_sessionmaker):
    return make_sessionmaker(models)


def published(db, event_type: str) -> list[dict]:
    with db() as session:
        return list(session.execute(select(models.outbox.table.c.payload).where(
            models.outbox.table.c.event_type == event_type)).scalars())


def confirmation_token(db, registration_id: str) -> str:
    """What the notifications service puts in the mail: made from the nonce the bus carried."""
    (first,) = [p for p in published(db, "registration_confirmed") + published(db, "registration_waitlisted")
                if p["registration_id"] == registration_id]
    return link_secret(REGISTRATION_CONFIRM_PURPOSE, registration_id, first["confirm_nonce"], ADDRESS_CHECK.secret_key)


def test_the_link_mailed_to_the_address_confirms_it_once_and_for_good(db):
    event = open_event(db)
    held = register(db, event.id, confirmed=False, email="lin@example.org")
    assert not held.address_confirmed and held.hold_until > utcnow() + timedelta(hours=47)
    (announced,) = published(db, "registration_confirmed")
    assert announced["address_confirmed"] is False and announced["confirm_nonce"]
    with db() as session:  # only the hash of the link's secret is kept
        stored = session.get(models.RegistrationRow, held.id)
        assert stored.confirm_token_hash and announced["confirm_nonce"] not in str(stored.__dict__)
    token = confirmation_token(db, held.id)
    with pytest.raises(NotFound), db.begin() as session:
        registrations.confirm_address(session, token[:-1] + ("1" if token.endswith("0") else "0"), utcnow())
    for _ in range(2):  # following it again changes nothing more
        with db.begin() as session:
            assert registrations.confirm_address(session, token, utcnow()).status.value == "confirmed"
    assert len(published(db, "registration_address_confirmed")) == 1
    with db() as session:
        view = registrations.get_registration(session, held.id, held.manage_token, None)
    assert view.address_confirmed and view.hold_until is None
    own = register(db, event.id, email="ken@example.org")  # signed in with their own address
    assert own.address_confirmed and own.hold_until is None


def test_an_unconfirmed_place_goes_back_when_its_hold_runs_out_and_the_line_moves(db):
    event = open_event(db, capacity=1)
    held = register(db, event.id, confirmed=False, email="someone-else@example.org")
    waiting = register(db, event.id, email="ken@example.org")
    assert (held.status.value, waiting.status.value) == ("confirmed", "waitlisted")
    with db.begin() as session:
        assert registrations.release_unconfirmed(session, utcnow() + timedelta(hours=47)) == 0
    with db.begin() as session:
        assert registrations.release_unconfirmed(session, utcnow() + ADDRESS_CHECK.hold + timedelta(minutes=1)) == 1
    with db() as session:
        statuses = {r.id: r.status.value for r in registrations.list_registrations(session, event.id)}
    assert statuses == {held.id: "expired", waiting.id: "confirmed"}
    assert [p["registration_id"] for p in published(db, "registration_expired")] == [held.id]
    with pytest.raises(Conflict, match="register again"), db.begin() as session:
        registrations.confirm_address(session, confirmation_token(db, held.id), utcnow())


def test_typing_someone_else_s_address_gets_neither_their_feed_nor_their_events(db):
    event, other = open_event(db), open_event(db, title={"ja": "別のイベント"})
    mine = register(db, event.id, email=VICTIM)  # the address's own person, signed in
    with db.begin() as session:
        feed = feeds.issue_private_feed(session, mine.id, None, person(VICTIM))
    forged = register(db, other.id, confirmed=False, display_name="Not Mai", email=VICTIM)
    with pytest.raises(Forbidden, match="own person"), db.begin() as session:
        feeds.issue_private_feed(session, forged.id, forged.manage_token, None)
    with pytest.raises(Forbidden, match="own person"), db.begin() as session:  # nor the secretariat, for anybody
        feeds.issue_private_feed(session, forged.id, None, SECRETARIAT)
    with db.begin() as session:  # Mai's feed still answers, and shows only what Mai confirmed
        built = feeds.private_feed(session, feed, None, "https://t", "https://t/feeds/private/x.ics")
    assert f"{event.id}@tsunagu" in built["body"] and f"{other.id}@tsunagu" not in built["body"]
