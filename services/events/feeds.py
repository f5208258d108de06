"""Use cases behind the calendar feeds: which events a feed holds, when it last changed, and the
registrants' private feeds.

A feed's Last-Modified is when its content last changed, worked out from durable state alone, so that
it never goes back and every gateway (one that just restarted, or a second one) tells the same date.
It is the latest of:
- the last change of an event it holds (`updated_at`; every change shows in the body, as DTSTAMP);
- the last time an event left it (`feed_departures`): an event that left is no longer there to tell;
- since when this release writes calendars as it does (`feed_format`), which also dates a feed that
  never held anything;
- for a registrant's private feed, also their last new registration (a group's feed: its last delegation).
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import Row, Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.events import ical
from services.events.feed_parts import FeedParts
from services.events.models import (
    CalendarFeedRow,
    EventRow,
    FeedDeparture,
    FeedFormat,
    GroupFeedRow,
    RegistrationRow,
)
from services.events.operations import PUBLIC, holding_network, load_public_event
from services.events.registrations import confirm_own_address, load_registration
from services.events.views import event_view
from shared.authority import contact_of
from shared.contracts.base import utcnow
from shared.contracts.events import ENDED_STATUSES, GROUP_FEED_TITLE, NAMED_FEEDS, PRIVATE_FEED_TITLE, EventView
from shared.contracts.identity import Caller
from shared.contracts.vocabulary import EventStatus
from shared.db import rows_changed
from shared.errors import Forbidden, NotFound
from shared.i18n import choose_text
from shared.secrets import hash_secret, new_secret, normalised_email, secret_matches


@cache
def _fingerprint() -> str:
    names = [text for feed in NAMED_FEEDS.values() for text in feed.title.values()]
    return ical.format_fingerprint(*names, *PRIVATE_FEED_TITLE.values(), *GROUP_FEED_TITLE.values())


def written_since(session: Session) -> datetime:
    """Since when calendars are written as this release writes them: recorded by the first build."""
    row = session.get(FeedFormat, 1)
    if row is None:
        try:
            with session.begin_nested():
                session.add(FeedFormat(id=1, fingerprint=_fingerprint(), since=utcnow()))
        except IntegrityError:  # another instance of the service recorded it a moment ago
            pass
        row = session.get(FeedFormat, 1)
        assert row is not None, "recorded just now, by this transaction or another"
    if row.fingerprint != _fingerprint():
        row.fingerprint, row.since = _fingerprint(), utcnow()
    return row.since


def _placed(query: Select, table: type[EventRow] | type[FeedDeparture], kind: str | None, region: str | None,
            network: str | None) -> Select:
    """Only the rows of `table` (events, or where events were) that the feed of these filters holds."""
    if kind:
        query = query.where(table.kind == kind)
    if region:
        query = query.where(table.region == region)
    if network:
        query = query.where(holding_network(table.networks, network))
    return query


def _last_departure(session: Session, kind: str | None, region: str | None, network: str | None) -> list[datetime]:
    """When an event last left the feed of these filters (a list of one), or [] if none ever did."""
    query = select(FeedDeparture.left_at).order_by(FeedDeparture.left_at.desc()).limit(1)
    return list(session.scalars(_placed(query, FeedDeparture, kind, region, network)))


def public_feed(session: Session, name: str, lang: str | None, base_url: str, source_url: str,
                region: str | None = None, kind: str | None = None, network: str | None = None,
                parts: FeedParts | None = None) -> dict:
    """A named feed; with `parts`, built from the components kept there, writing only those of events
    changed since (the service keeps them); without, written whole."""
    if name not in NAMED_FEEDS:
        raise NotFound(f"no feed {name!r}", "feed")
    fixed_kind, title = NAMED_FEEDS[name].kind, NAMED_FEEDS[name].title
    kind = fixed_kind.value if fixed_kind else kind
    since = [written_since(session), *_last_departure(session, kind, region, network)]
    if parts is not None:
        return _assembled_feed(session, _placed(_HELD, EventRow, kind, region, network), choose_text(title, lang),
                               lang, base_url, source_url, parts, since)
    query = _placed(select(EventRow).where(PUBLIC).order_by(*_FEED_ORDER), EventRow, kind, region, network)
    rows: Iterable[EventRow] = session.execute(query).scalars()
    events = [event_view(row) for row in rows]
    cal = ical.calendar(choose_text(title, lang), events, lang, base_url, source_url)
    return ical.serialise(cal, max([*since, *(e.updated_at for e in events)]))


_FEED_ORDER = (EventRow.starts_at, EventRow.id)  # the id: events starting together keep one order (and ETag)
_HELD = select(EventRow.id, EventRow.updated_at, EventRow.revision).where(PUBLIC).order_by(*_FEED_ORDER)
_CHANGED_CHUNK = 500  # events read at once when many changed (an IN list of ids)


def _assembled_feed(session: Session, held: Select, title: str, lang: str | None, base_url: str, source_url: str,
                    parts: FeedParts, since: list[datetime]) -> dict:
    keys = [(row.id, row.updated_at, row.revision, lang, base_url) for row in session.execute(held)]
    missing = [key[0] for key in keys if parts.get(key) is None]
    for start in range(0, len(missing), _CHANGED_CHUNK):
        for row in session.scalars(select(EventRow).where(EventRow.id.in_(missing[start:start + _CHANGED_CHUNK]))):
            parts.put((row.id, row.updated_at, row.revision, lang, base_url),
                      ical.event_part(event_view(row), lang, base_url))
    found = [parts.get(key) for key in keys]
    if any(part is None for part in found):  # more changed than the parts can hold: written whole
        return ical.serialise(ical.calendar(title, _views(session, [key[0] for key in keys]), lang, base_url,
                                            source_url), max([*since, *(key[1] for key in keys)]))
    body = ical.assembled(title, [part for part in found if part is not None], source_url)
    return ical.served(body, max([*since, *(key[1] for key in keys)]))


def _views(session: Session, ids: list[str]) -> list[EventView]:
    rows = {}
    for start in range(0, len(ids), _CHANGED_CHUNK):
        rows.update({row.id: row for row in session.scalars(
            select(EventRow).where(EventRow.id.in_(ids[start:start + _CHANGED_CHUNK])))})
    return [event_view(rows[event_id]) for event_id in ids if event_id in rows]


def event_feed(session: Session, event_id: str, lang: str | None, base_url: str, source_url: str) -> dict:
    event = event_view(load_public_event(session, event_id))
    cal = ical.calendar(choose_text(event.title, lang), [event], lang, base_url, source_url, with_sessions=True)
    return ical.serialise(cal, max(written_since(session), event.updated_at))


def issue_private_feed(session: Session, registration_id: str, manage_token: str | None, who: Caller | None,
                       feed_secret: tuple[str, str] | None = None) -> str:
    """A new secret feed for the registrant's email; any earlier one stops working. `feed_secret`: its
    token and the hash kept of it (new_secret() when not given).

    Only for the address's own person: signed in with it, or holding the registration's link once the
    address is confirmed. Otherwise anyone who typed someone else's address into a registration could
    revoke that person's feed and read every event they registered for."""
    registration = load_registration(session, registration_id, manage_token, who)
    now = utcnow()
    if who is not None and normalised_email(who.email) == normalised_email(registration.email):
        confirm_own_address(registration, now)
    elif registration.address_confirmed_at is None or not secret_matches(manage_token,
                                                                          registration.manage_token_hash):
        raise Forbidden("a private calendar feed is issued only to the address's own person: sign in with "
                        "it, or confirm the address with the link mailed to it first", "registration_id")
    session.execute(update(CalendarFeedRow).where(CalendarFeedRow.email == registration.email,
                                                  CalendarFeedRow.revoked_at.is_(None)).values(revoked_at=now))
    token, token_hash = feed_secret or new_secret()
    session.add(CalendarFeedRow(id=str(uuid.uuid4()), email=registration.email, token_hash=token_hash,
                                created_at=now, revoked_at=None))
    return token


def revoke_private_feed(session: Session, registration_id: str, manage_token: str | None,
                        who: Caller | None) -> int:
    registration = load_registration(session, registration_id, manage_token, who)
    return rows_changed(session, update(CalendarFeedRow).where(
        CalendarFeedRow.email == registration.email, CalendarFeedRow.revoked_at.is_(None)).values(revoked_at=utcnow()))


def _ended(registration: RegistrationRow) -> bool:
    return registration.status in ENDED_STATUSES


def _one_per_event(rows: Sequence[Row[RegistrationRow, EventRow]]) -> list[tuple[RegistrationRow, EventRow]]:
    """Someone who cancelled and registered again holds two registrations for one event; their calendar
    shows the event once (one UID), as the registration that still holds, else the latest."""
    chosen: dict[str, tuple[RegistrationRow, EventRow]] = {}
    for registration, event in rows:
        held = chosen.get(event.id)
        if held is None or (not _ended(registration), registration.created_at) > (not _ended(held[0]),
                                                                                  held[0].created_at):
            chosen[event.id] = (registration, event)
    return list(chosen.values())


def _as_seen_by_registrant(event: EventView, registration: RegistrationRow) -> EventView:
    """A registration that ended (cancelled, rejected) shows its event as cancelled in this feed, with a
    higher SEQUENCE so calendars take the change."""
    if _ended(registration):
        return event.model_copy(update={"status": EventStatus.CANCELLED, "sequence": event.sequence + 1,
                                        "updated_at": max(event.updated_at, registration.updated_at)})
    return event


def _live(session: Session, kind: type[CalendarFeedRow] | type[GroupFeedRow], feed_token: str):
    """The feed whose secret this is, unless revoked (NotFound)."""
    feed = session.execute(select(kind).where(kind.token_hash == hash_secret(feed_token),
                                              kind.revoked_at.is_(None))).scalar()
    if feed is None:
        raise NotFound("no calendar feed at this address (it may have been revoked)", "token")
    return feed


def private_feed(session: Session, feed_token: str, lang: str | None, base_url: str, source_url: str) -> dict:
    feed = _live(session, CalendarFeedRow, feed_token)
    rows = session.execute(select(RegistrationRow, EventRow).join(EventRow, RegistrationRow.event_id == EventRow.id)
                           .where(RegistrationRow.email == feed.email,  # only what that person confirmed
                                  RegistrationRow.address_confirmed_at.is_not(None))
                           .order_by(EventRow.starts_at)).all()
    return {**_registrations_feed(session, rows, PRIVATE_FEED_TITLE, lang, base_url, source_url), "owner": feed.email}


def _registrations_feed(session: Session, rows: Sequence[Row[RegistrationRow, EventRow]], title: dict[str, str],
                        lang: str | None, base_url: str, source_url: str) -> dict:
    """The calendar of these registrations' events, each once, as the registrants see them."""
    events = [_as_seen_by_registrant(event_view(event), registration) for registration, event in _one_per_event(rows)]
    changed_at = max([written_since(session), *(e.updated_at for e in events),
                      *(registration.created_at for registration, _ in rows)])
    cal = ical.calendar(choose_text(title, lang), events, lang, base_url, source_url, with_sessions=False)
    return ical.serialise(cal, changed_at)


def issue_group_feed(session: Session, group_id: str, who: Caller | None,
                     feed_secret: tuple[str, str] | None = None) -> str:
    """A new secret feed of the member group's delegations, for its contacts; any earlier one stops."""
    contact_of(who, group_id, f"the calendar feed of the member group {group_id}")
    revoke_group_feed(session, group_id, who)
    token, token_hash = feed_secret or new_secret()
    session.add(GroupFeedRow(id=str(uuid.uuid4()), member_group_id=group_id, token_hash=token_hash,
                             created_at=utcnow(), revoked_at=None))
    return token


def revoke_group_feed(session: Session, group_id: str, who: Caller | None) -> int:
    contact_of(who, group_id, f"the calendar feed of the member group {group_id}")
    return rows_changed(session, update(GroupFeedRow).where(
        GroupFeedRow.member_group_id == group_id, GroupFeedRow.revoked_at.is_(None)).values(revoked_at=utcnow()))


def group_feed(session: Session, feed_token: str, lang: str | None, base_url: str, source_url: str) -> dict:
    feed = _live(session, GroupFeedRow, feed_token)
    rows = session.execute(select(RegistrationRow, EventRow).join(EventRow, RegistrationRow.event_id == EventRow.id)
                           .where(RegistrationRow.member_group_id == feed.member_group_id)
                           .order_by(EventRow.starts_at)).all()
    return {**_registrations_feed(session, rows, GROUP_FEED_TITLE, lang, base_url, source_url),
            "owner": f"group:{feed.member_group_id}"}
