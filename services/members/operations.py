"""Use cases of the members service: a session and a command in, a contract out; every change that
others care about goes on the bus through the outbox."""
from __future__ import annotations

import logging
import uuid
from datetime import date, timedelta
from enum import Enum
from functools import lru_cache, partial

from sqlalchemy import ColumnElement, Select, bindparam, delete, exists, false, insert, or_, select, true
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from services.members import domain, erasure, gram_statistics
from services.members.models import (
    ImportJobRow,
    MemberLanguage,
    MemberNetwork,
    MemberRow,
    MemberSearchGram,
    MembershipRow,
    outbox,
)
from shared.authority import of_the_network
from shared.contracts.base import parse_contract, utcnow
from shared.contracts.identity import Caller
from shared.contracts.members import (
    ERASED_NAME,
    DirectoryQuery,
    IndividualDraft,
    MemberGroupDraft,
    MemberJoined,
    MemberLeft,
    MemberPatch,
    MembershipAdded,
    MembershipDraft,
    MembershipRenewalDue,
    MembershipRenewed,
    MembershipView,
    MemberStats,
    MemberUpdated,
    MemberView,
    RenewalView,
)
from shared.db import refresh_planner_statistics
from shared.errors import Conflict, Invalid, NotFound
from shared.i18n import choose_text, normalise_tag

DRAFTS: dict[str, type[MemberGroupDraft] | type[IndividualDraft]] = {
    "group": MemberGroupDraft, "individual": IndividualDraft}
IMPORT_JOBS_KEPT = timedelta(days=30)  # finished imports' reports, then they go
log = logging.getLogger(__name__)


def membership_view(row: MembershipRow) -> MembershipView:
    return MembershipView(id=row.id, member_id=row.member_id, type=row.type, units=row.units,
                          starts_on=row.starts_on, ends_on=row.ends_on, fiscal_year=row.fiscal_year,
                          dues_status=row.dues_status, renewal_due_on=row.renewal_due_on)


def member_view(row: MemberRow) -> MemberView:
    return MemberView(
        id=row.id, member_kind=row.member_kind, name=row.name or {}, kind=row.kind, display_name=row.display_name,
        email=row.email, preferred_language=row.preferred_language, region=row.region, prefecture=row.prefecture,
        city=row.city, website=row.website, help_languages=row.help_languages or [], networks=row.networks or [],
        public_contact=row.public_contact, contact_email=row.contact_email, visibility=row.visibility,
        directory_opt_in=row.directory_opt_in, public_fields=row.public_fields or [], external_id=row.external_id,
        memberships=[membership_view(m) for m in row.memberships], created_at=row.created_at,
        updated_at=row.updated_at)


def load_member(session: Session, member_id: str) -> MemberRow:
    row = session.get(MemberRow, member_id)
    if row is None or row.erased_at is not None:
        raise NotFound(f"no member {member_id}", "member_id")
    return row


def _refresh_derived(session: Session, row: MemberRow) -> None:
    """Directory listing, search texts and the filter tables follow the member's fields; what public
    queries filter on follows the public entry alone."""
    row.directory_listed = domain.directory_listed(row.member_kind, row.visibility, row.directory_opt_in)
    row.members_listed = domain.members_listed(row.member_kind, row.visibility, row.directory_opt_in)
    row.search_text = domain.search_text(row.name, row.display_name)
    # The entry a group shows to members is the one a public group shows to everyone; which rows a
    # query may see at all is the listing's (directory below).
    shown = domain.public_entry({name: getattr(row, name) for name in domain.PUBLIC_ENTRY_FIELDS})
    public = domain.public_filters(shown if row.members_listed else None)
    row.public_search_text, row.public_region = public.search_text, public.region
    row.public_sort_key = domain.sort_key(public.search_text)
    session.flush()
    session.execute(delete(MemberNetwork).where(MemberNetwork.member_id == row.id))
    session.execute(delete(MemberLanguage).where(MemberLanguage.member_id == row.id))
    session.execute(delete(MemberSearchGram).where(MemberSearchGram.member_id == row.id))
    if row.networks:
        session.execute(insert(MemberNetwork), [{"member_id": row.id, "network": n, "public": n in public.networks}
                                                for n in set(row.networks)])
    if row.help_languages:
        session.execute(insert(MemberLanguage), [{"member_id": row.id, "language": lang,
                                                  "public": lang in public.languages}
                                                 for lang in set(row.help_languages)])
    if grams := domain.indexed_grams(row.search_text, row.public_search_text):
        session.execute(insert(MemberSearchGram), [{"member_id": row.id, "gram": gram, "public": public}
                                                   for gram, public in grams.items()])


def _check_unique(session: Session, email: str | None, external_id: str | None, except_id: str | None = None) -> None:
    if external_id and session.execute(select(MemberRow.id).where(
            MemberRow.external_id == external_id, MemberRow.id != (except_id or ""))).first():
        raise Conflict(f"a member with external id {external_id!r} exists already", "external_id")
    if email and session.execute(select(MemberRow.id).where(
            MemberRow.email == email, MemberRow.erased_at.is_(None), MemberRow.id != (except_id or ""))).first():
        raise Conflict("a member with this email exists already", "email")


def create_group(session: Session, draft: MemberGroupDraft) -> MemberView:
    _check_unique(session, None, draft.external_id)
    now = utcnow()
    values = draft.model_dump(mode="json")
    row = MemberRow(id=str(uuid.uuid4()), member_kind="group", created_at=now, updated_at=now,
                    directory_opt_in=False, public_fields=[], current_member=False, **values)
    session.add(row)
    _refresh_derived(session, row)
    return member_view(row)


def create_individual(session: Session, draft: IndividualDraft) -> MemberView:
    email = draft.email.lower()
    _check_unique(session, email, draft.external_id)
    now = utcnow()
    values = draft.model_dump(mode="json") | {"email": email}
    row = MemberRow(id=str(uuid.uuid4()), member_kind="individual", created_at=now, updated_at=now,
                    name={}, help_languages=[], visibility=None, current_member=False, **values)
    session.add(row)
    _refresh_derived(session, row)
    return member_view(row)


def draft_values(row: MemberRow) -> dict:
    """The member as its draft (MemberGroupDraft or IndividualDraft) has it."""
    return {name: getattr(row, name) for name in DRAFTS[row.member_kind].model_fields}


def changed_draft(member_kind: str, current: dict, changes: dict) -> dict:
    """The member after `changes`, checked by the same rules as on creation (the member's own draft):
    JSON-safe values of every draft field. Invalid naming the field otherwise."""
    wrong = sorted(set(changes) - set(DRAFTS[member_kind].model_fields))
    if wrong:
        raise Invalid(f"a {member_kind} has no field {wrong[0]}", wrong[0])
    return parse_contract(DRAFTS[member_kind], {**current, **changes}).model_dump(mode="json")


def change_member(session: Session, row: MemberRow, changes: dict) -> list[str]:
    """Apply `changes` (draft fields) to the member; the names of the fields that really changed."""
    after = changed_draft(row.member_kind, draft_values(row), changes)
    changed = sorted(name for name in changes if getattr(row, name) != after[name])
    if not changed:
        return []
    _check_unique(session, after.get("email") if "email" in changed else None,
                  after.get("external_id") if "external_id" in changed else None, except_id=row.id)
    for name in changed:
        setattr(row, name, after[name])
    row.updated_at = utcnow()
    _refresh_derived(session, row)
    outbox.record(session, MemberUpdated(member_id=row.id, member_kind=row.member_kind, changed=changed))
    return changed


def patch_member(session: Session, member_id: str, patch: MemberPatch) -> MemberView:
    row = load_member(session, member_id)
    change_member(session, row, patch.model_dump(mode="json", exclude_unset=True))
    return member_view(row)


def _holdings(row: MemberRow) -> list[domain.Holding]:
    return [domain.Holding(row.id, row.member_kind, m.type, m.units, m.starts_on, m.ends_on) for m in row.memberships]


def _update_current(session: Session, row: MemberRow, today: date) -> None:
    """Announce a member becoming, or ceasing to be, a current member."""
    current = domain.is_current_member(_holdings(row), today)
    if current and not row.current_member:
        outbox.record(session, MemberJoined(member_id=row.id, member_kind=row.member_kind, region=row.region,
                                            networks=row.networks or []))
    elif row.current_member and not current:
        outbox.record(session, MemberLeft(member_id=row.id, member_kind=row.member_kind))
    row.current_member = current


def _plain(value):
    if isinstance(value, Enum):
        return value.value
    return value.isoformat() if isinstance(value, date) else value


def period_values(period: MembershipDraft | MembershipRow) -> dict:
    """A period's fields as plain JSON values, whether it comes from a request or from the table."""
    return {name: _plain(getattr(period, name)) for name in MembershipDraft.model_fields}


def add_membership(session: Session, member_id: str, draft: MembershipDraft,
                   today: date | None = None) -> MembershipAdded:
    """Add a period. The same period again (a repeated request, a re-import) is the existing one;
    another period of the same type from the same day is a Conflict naming the existing one. Periods
    that merely overlap are normal (a renewal during the old one's grace)."""
    row = load_member(session, member_id)
    wanted = period_values(draft)
    for existing in row.memberships:
        if (existing.type, existing.starts_on) == (draft.type.value, draft.starts_on):
            domain.check_same_period(existing.id, period_values(existing), wanted)
            return MembershipAdded(membership=membership_view(existing), created=False)
    renewal = any(m.type == draft.type.value for m in row.memberships)
    membership = MembershipRow(id=str(uuid.uuid4()), member_id=row.id, created_at=utcnow(),
                               renewal_notice_sent=False, **draft.model_dump(mode="python"))
    row.memberships.append(membership)
    session.flush()
    if renewal:
        outbox.record(session, MembershipRenewed(member_id=row.id, membership_id=membership.id, type=draft.type,
                                                 units=draft.units, ends_on=draft.ends_on))
    _update_current(session, row, today or date.today())
    return MembershipAdded(membership=membership_view(membership), created=True)


def get_member(session: Session, member_id: str) -> MemberView:
    return member_view(load_member(session, member_id))


def in_scope_of(viewer: Caller) -> ColumnElement[bool]:
    """The members an organizer may see in full: those of their regions or sharing one of their networks
    (the secretariat: all)."""
    if viewer.is_secretariat:
        return true()
    regions, networks = viewer.organized_scope()
    if not (regions or networks):
        return false()
    return or_(MemberRow.region.in_(sorted(regions)),
               MemberRow.id.in_(select(MemberNetwork.member_id).where(MemberNetwork.network.in_(sorted(networks)))))


def directory(session: Session, query: DirectoryQuery, viewer: Caller | None = None) -> list[dict]:
    """The directory's answer, as it is sent. Public callers: only listed entries, only their public
    fields (domain.public_entry) — and found only by those: a name, region or network someone did not
    choose to show can neither be searched for nor sort them. The network's members
    (authority.of_the_network) also see the groups that show themselves to members only, in the same
    way. Organizers: everything (MemberView) of the members in their scope, by every field.

    A page is read along an index in name order and stops when full; a network or language is probed
    per member read; a word whose rarest bigram few members hold is looked up through the bigram index
    instead (a common word is found sooner by reading names in order). A query's statement is built
    once for its shape (which filters, which words the index leads) and its values bound per call."""
    if viewer is not None and viewer.is_organizing:
        values = _search_values(session, query, public=False)
        statement = _organizers_directory(tuple(values)).where(in_scope_of(viewer))
        return [member_view(row).to_wire() for row in session.scalars(statement, values)]
    values = _search_values(session, query, public=True)
    found = session.connection().execute(_public_directory(of_the_network(viewer), tuple(values)), values)
    return [domain.public_entry(dict(zip(domain.PUBLIC_ENTRY_FIELDS, row, strict=True))) for row in found.all()]


RARE_GRAM = 1000  # members holding a bigram, below which the bigram index leads the search
_MEMBERS, _NETWORKS, _LANGUAGES, _GRAMS = (table.__table__ for table in (
    MemberRow, MemberNetwork, MemberLanguage, MemberSearchGram))


def _search_values(session: Session, query: DirectoryQuery, public: bool) -> dict[str, object]:
    """The values a directory query binds, by name; which names are there is the statement's shape
    (_filtered): region, kind, network, language, word<n> (a LIKE pattern), gram<n> (the bigram that
    leads word n), limit, offset."""
    values: dict[str, object] = {}
    if query.region:
        values["region"] = query.region.value
    if query.kind:
        values["kind"] = query.kind.value
    if query.network:
        values["network"] = query.network.strip().lower()
    if query.language:
        values["language"] = normalise_tag(query.language)
    for n, word in enumerate(domain.search_words(query.q or "")):
        values[f"word{n}"] = _containing(word)
        if (rarest := _rarest_gram(session, domain.search_grams(word), public)):
            values[f"gram{n}"] = rarest
    return values | {"limit": query.limit, "offset": query.offset}


def _containing(word: str) -> str:
    """A LIKE pattern matching text that contains `word` as it is (escaped with /)."""
    return "%" + word.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


# Statements by shape, the commonest kept: a query of many words could otherwise make shapes without end.
STATEMENTS_KEPT = 256


@lru_cache(maxsize=STATEMENTS_KEPT)
def _public_directory(members_view: bool, shape: tuple[str, ...]) -> Select:
    listing = _MEMBERS.c.members_listed if members_view else _MEMBERS.c.directory_listed
    statement = select(*(_MEMBERS.c[name] for name in domain.PUBLIC_ENTRY_FIELDS)).where(
        listing.is_(True), _MEMBERS.c.erased_at.is_(None))
    return _filtered(statement, shape, public=True).order_by(_MEMBERS.c.public_sort_key, _MEMBERS.c.id)


@lru_cache(maxsize=STATEMENTS_KEPT)
def _organizers_directory(shape: tuple[str, ...]) -> Select[MemberRow]:
    statement = select(MemberRow).where(_MEMBERS.c.erased_at.is_(None))
    return _filtered(statement, shape, public=False).order_by(_MEMBERS.c.search_text, _MEMBERS.c.id)


def _filtered(statement: Select, shape: tuple[str, ...], public: bool) -> Select:
    """The filters of a query's shape (_search_values), their values bound by name; `public`: on what
    the entries show alone."""
    text, region = (_MEMBERS.c.public_search_text, _MEMBERS.c.public_region) if public else (
        _MEMBERS.c.search_text, _MEMBERS.c.region)
    if "region" in shape:
        statement = statement.where(region == bindparam("region"))
    if "kind" in shape:
        statement = statement.where(_MEMBERS.c.kind == bindparam("kind"))
    if "network" in shape:
        statement = statement.where(exists().where(
            _NETWORKS.c.member_id == _MEMBERS.c.id, _NETWORKS.c.network == bindparam("network"),
            _shown(_NETWORKS.c.public, public)))
    if "language" in shape:
        statement = statement.where(exists().where(
            _LANGUAGES.c.member_id == _MEMBERS.c.id, _LANGUAGES.c.language == bindparam("language"),
            _shown(_LANGUAGES.c.public, public)))
    for name in shape:
        if name.startswith("word"):
            statement = statement.where(text.like(bindparam(name), escape="/"))
        elif name.startswith("gram"):
            statement = statement.where(_MEMBERS.c.id.in_(_holding(public).where(_GRAMS.c.gram == bindparam(name))))
    return statement.limit(bindparam("limit")).offset(bindparam("offset"))


def _rarest_gram(session: Session, grams: set[str], public: bool) -> str | None:
    """The word's bigram the fewest members hold, if fewer than RARE_GRAM do (gram_statistics)."""
    held = gram_statistics.current(session).held(public)
    rarest = min(sorted(grams), key=lambda gram: held.get(gram, 0), default=None)
    return rarest if rarest is not None and held.get(rarest, 0) < RARE_GRAM else None


def _holding(public: bool) -> Select:
    return select(_GRAMS.c.member_id).where(_shown(_GRAMS.c.public, public))


def _shown(flag, public: bool) -> ColumnElement[bool]:
    """A filter row's `public` flag, for a public query; anything, for organizers."""
    return flag.is_(True) if public else true()


def stats(session: Session, as_of: date) -> MemberStats:
    previous = domain.year_before(as_of)
    rows = session.execute(select(MembershipRow, MemberRow.member_kind).join(
        MemberRow, MembershipRow.member_id == MemberRow.id).where(
        MembershipRow.starts_on <= as_of, MembershipRow.ends_on >= previous)).all()
    holdings = [domain.Holding(m.member_id, kind, m.type, m.units, m.starts_on, m.ends_on) for m, kind in rows]
    now = {kind: domain.stats_on(holdings, as_of, kind) for kind in ("individual", "group")}
    before = {kind: domain.stats_on(holdings, previous, kind) for kind in ("individual", "group")}
    return MemberStats(as_of=as_of, previous=previous, individual=now["individual"], group=now["group"],
                       individual_previous=before["individual"], group_previous=before["group"],
                       individual_change=domain.difference(now["individual"], before["individual"]),
                       group_change=domain.difference(now["group"], before["group"]))


def _name_of(row: MemberRow) -> str:
    return row.display_name or choose_text(row.name or {}, "ja")


def renewals(session: Session, due_before: date, viewer: Caller) -> list[RenewalView]:
    rows = session.execute(select(MembershipRow, MemberRow).join(MemberRow, MembershipRow.member_id == MemberRow.id)
                           .where(MembershipRow.renewal_due_on.is_not(None), MembershipRow.renewal_due_on < due_before,
                                  MemberRow.erased_at.is_(None), in_scope_of(viewer))
                           .order_by(MembershipRow.renewal_due_on)).all()
    return [RenewalView(membership_id=m.id, member_id=member.id, member_kind=member.member_kind, name=_name_of(member),
                        renewal_due_on=m.renewal_due_on, dues_status=m.dues_status) for m, member in rows]


def _isolated(session: Session, what: str, skipped: list[str], step) -> None:
    """Run one housekeeping step in a savepoint: a row that breaks it (a date no arithmetic survives,
    left from before dates were checked) is logged by its id alone — no personal data — and skipped,
    and everyone else still gets their reminder. A database that fails fails the whole run."""
    try:
        with session.begin_nested():
            step()
    except OperationalError:
        raise
    except Exception as exc:  # noqa: BLE001 — any fault of one row must not stop the others
        skipped.append(what)
        log.error("housekeeping skipped %s: %s", what, type(exc).__name__)


def housekeeping(session: Session, today: date) -> dict:
    """Hourly: renewal reminders that came due (once each), members whose membership ended, import
    reports past keeping, the planner's statistics. `skipped` names the rows that could not be handled."""
    reminders: list[str] = []
    left: list[str] = []
    skipped: list[str] = []
    due = session.execute(select(MembershipRow, MemberRow).join(MemberRow, MembershipRow.member_id == MemberRow.id)
                          .where(MembershipRow.renewal_notice_sent.is_(False),
                                 MembershipRow.renewal_due_on.is_not(None), MemberRow.erased_at.is_(None))).all()

    def remind(membership: MembershipRow, member: MemberRow) -> None:
        if domain.renewal_reminder_due(membership.renewal_due_on, membership.renewal_notice_sent, today):
            membership.renewal_notice_sent = True
            outbox.record(session, MembershipRenewalDue(
                member_id=member.id, membership_id=membership.id, renewal_due_on=membership.renewal_due_on,
                email=member.email or member.contact_email, language=member.preferred_language or "ja",
                name=_name_of(member)))
            reminders.append(membership.id)

    def check_current(member: MemberRow) -> None:
        was = member.current_member
        _update_current(session, member, today)
        if was and not member.current_member:
            left.append(member.id)

    for membership, member in due:
        _isolated(session, f"membership {membership.id}", skipped, partial(remind, membership, member))
    for member in session.execute(select(MemberRow).where(MemberRow.current_member.is_(True))).scalars().all():
        _isolated(session, f"member {member.id}", skipped, partial(check_current, member))
    session.execute(delete(ImportJobRow).where(ImportJobRow.finished_at < utcnow() - IMPORT_JOBS_KEPT))
    refresh_planner_statistics(session)  # the directory's plans follow the members' numbers as they grow
    return {"renewal_reminders": len(reminders), "members_left": len(left), "skipped": skipped}


def erase(session: Session, member_id: str) -> MemberView:
    """Delete the person's personal data; keep an anonymous shell so past statistics stay true. What
    else the members service held of them goes in the same transaction (`erasure.forget`)."""
    row = load_member(session, member_id)
    person, addresses = erasure.person_of(row)
    for name in ("display_name", "email", "contact_email", "public_contact", "website", "external_id",
                 "prefecture", "city", "preferred_language"):
        setattr(row, name, None)
    row.name, row.networks, row.help_languages, row.public_fields = {}, [], [], []
    row.directory_opt_in, row.visibility = False, None
    row.display_name = ERASED_NAME
    row.erased_at = row.updated_at = utcnow()
    _refresh_derived(session, row)
    outbox.record(session, erasure.forget(session, row.id, person, addresses))
    return member_view(row)


def all_members(session: Session, viewer: Caller) -> list[MemberView]:
    rows = session.execute(select(MemberRow).where(MemberRow.erased_at.is_(None), in_scope_of(viewer))
                           .order_by(MemberRow.member_kind, MemberRow.created_at)).scalars()
    return [member_view(row) for row in rows]
