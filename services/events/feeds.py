"""Use cases behind the calendar feeds: which events a feed holds, and the registrants' private feeds."""
from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.events import ical
from services.events.models import CalendarFeedRow, EventRow, RegistrationRow
from services.events.operations import load_event
from services.events.registrations import load_registration
from services.events.views import event_view
from shared.contracts.base import utcnow
from shared.contracts.events import EventView, RegistrationStatus
from shared.contracts.vocabulary import EventKind, EventStatus
from shared.errors import NotFound
from shared.i18n import choose_text
from shared.secrets import hash_secret, new_secret

# The named feeds: what they hold and what calendar apps call them.
NAMED_FEEDS: dict[str, tuple[EventKind | None, dict[str, str]]] = {
    "national-forum": (EventKind.NATIONAL_FORUM, {"ja": "つなぐ 全国フォーラム", "en": "Tsunagu National Forum"}),
    "migrants-day": (EventKind.MIGRANTS_DAY, {"ja": "つなぐ 国際移住者デー", "en": "Tsunagu International Migrants Day"}),
    "workshops": (EventKind.WORKSHOP, {"ja": "つなぐ ワークショップ", "en": "Tsunagu Workshops"}),
    "events": (None, {"ja": "つなぐ イベント", "en": "Tsunagu events"}),
}
PRIVATE_NAME = {"ja": "つなぐ 参加予定", "en": "Tsunagu: my registrations"}


def public_feed(session: Session, name: str, lang: str | None, base_url: str, source_url: str,
                region: str | None = None, kind: str | None = None, network: str | None = None) -> dict:
    if name not in NAMED_FEEDS:
        raise NotFound(f"no feed {name!r}", "feed")
    fixed_kind, title = NAMED_FEEDS[name]
    query = select(EventRow).where(EventRow.status != EventStatus.DRAFT.value).order_by(EventRow.starts_at)
    if fixed_kind or kind:
        query = query.where(EventRow.kind == (fixed_kind.value if fixed_kind else kind))
    if region:
        query = query.where(EventRow.region == region)
    rows = session.execute(query).scalars().all()
    if network:
        rows = [row for row in rows if network in row.networks]
    events = [event_view(row) for row in rows]
    cal = ical.calendar(choose_text(title, lang), events, lang, base_url, source_url)
    return ical.serialise(cal, events)


def event_feed(session: Session, event_id: str, lang: str | None, base_url: str, source_url: str) -> dict:
    event = event_view(load_event(session, event_id))
    if event.status is EventStatus.DRAFT:
        raise NotFound(f"no event {event_id}", "event_id")
    cal = ical.calendar(choose_text(event.title, lang), [event], lang, base_url, source_url, with_sessions=True)
    return ical.serialise(cal, [event])


def issue_private_feed(session: Session, registration_id: str, manage_token: str | None, organizer: bool,
                       feed_secret: tuple[str, str] | None = None) -> str:
    """A new secret feed for the registrant's email; any earlier one stops working. `feed_secret`: its
    token and the hash kept of it (new_secret() when not given)."""
    registration = load_registration(session, registration_id, manage_token, organizer)
    now = utcnow()
    session.execute(update(CalendarFeedRow).where(CalendarFeedRow.email == registration.email,
                                                  CalendarFeedRow.revoked_at.is_(None)).values(revoked_at=now))
    token, token_hash = feed_secret or new_secret()
    session.add(CalendarFeedRow(id=str(uuid.uuid4()), email=registration.email, token_hash=token_hash,
                                created_at=now, revoked_at=None))
    return token


def revoke_private_feed(session: Session, registration_id: str, manage_token: str | None, organizer: bool) -> int:
    registration = load_registration(session, registration_id, manage_token, organizer)
    result = session.execute(update(CalendarFeedRow).where(
        CalendarFeedRow.email == registration.email, CalendarFeedRow.revoked_at.is_(None)).values(revoked_at=utcnow()))
    return result.rowcount


def _as_seen_by_registrant(event: EventView, registration: RegistrationRow) -> EventView:
    """A registration that ended (cancelled, rejected) shows its event as cancelled in this feed, with a
    higher SEQUENCE so calendars take the change."""
    if registration.status in (RegistrationStatus.CANCELLED.value, RegistrationStatus.REJECTED.value):
        return event.model_copy(update={"status": EventStatus.CANCELLED, "sequence": event.sequence + 1,
                                        "updated_at": max(event.updated_at, registration.updated_at)})
    return event


def private_feed(session: Session, feed_token: str, lang: str | None, base_url: str, source_url: str) -> dict:
    feed = session.execute(select(CalendarFeedRow).where(
        CalendarFeedRow.token_hash == hash_secret(feed_token), CalendarFeedRow.revoked_at.is_(None))).scalar()
    if feed is None:
        raise NotFound("no calendar feed at this address (it may have been revoked)", "token")
    rows = session.execute(select(RegistrationRow, EventRow).join(EventRow, RegistrationRow.event_id == EventRow.id)
                           .where(RegistrationRow.email == feed.email).order_by(EventRow.starts_at)).all()
    events = [_as_seen_by_registrant(event_view(event), registration) for registration, event in rows]
    cal = ical.calendar(choose_text(PRIVATE_NAME, lang), events, lang, base_url, source_url, with_sessions=False)
    return {**ical.serialise(cal, events), "email": feed.email}
