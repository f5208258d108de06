"""Use cases of the members service: a session and a command in, a contract out; every change that
others care about goes on the bus through the outbox."""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from services.members import domain, erasure
from services.members.models import MemberLanguage, MemberNetwork, MemberRow, MembershipRow, outbox
from shared.contracts.base import utcnow
from shared.contracts.members import (DirectoryEntry, DirectoryQuery, ImportProblem, IndividualDraft,
                                      MemberGroupDraft, MemberJoined, MemberLeft, MemberPatch, MemberStats,
                                      MembershipDraft, MembershipRenewalDue, MembershipRenewed,
                                      MembershipView, MemberUpdated, MemberView, RenewalView)
from shared.errors import Conflict, Invalid, NotFound, TsunaguError
from shared.i18n import choose_text

GROUP_ONLY = {"name", "kind", "prefecture", "city", "website", "help_languages", "public_contact",
              "contact_email", "visibility"}
INDIVIDUAL_ONLY = {"display_name", "email", "preferred_language", "directory_opt_in", "public_fields"}


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
    """Directory listing, search text and the filter tables follow the member's fields."""
    row.directory_listed = domain.directory_listed(row.member_kind, row.visibility, row.directory_opt_in)
    row.search_text = domain.search_text(row.name, row.display_name)
    session.flush()
    session.execute(delete(MemberNetwork).where(MemberNetwork.member_id == row.id))
    session.execute(delete(MemberLanguage).where(MemberLanguage.member_id == row.id))
    if row.networks:
        session.execute(insert(MemberNetwork), [{"member_id": row.id, "network": n} for n in set(row.networks)])
    if row.help_languages:
        session.execute(insert(MemberLanguage), [{"member_id": row.id, "language": lang}
                                                 for lang in set(row.help_languages)])


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


def patch_member(session: Session, member_id: str, patch: MemberPatch) -> MemberView:
    row = load_member(session, member_id)
    changes = patch.model_dump(mode="json", exclude_unset=True)
    wrong = sorted(set(changes) & (INDIVIDUAL_ONLY if row.member_kind == "group" else GROUP_ONLY))
    if wrong:
        raise Invalid(f"a {row.member_kind} has no field {wrong[0]}", wrong[0])
    if "email" in changes and changes["email"]:
        changes["email"] = changes["email"].lower()
        _check_unique(session, changes["email"], None, except_id=row.id)
    changed = sorted(name for name, value in changes.items() if getattr(row, name) != value)
    if not changed:
        return member_view(row)
    for name in changed:
        setattr(row, name, changes[name])
    row.updated_at = utcnow()
    _refresh_derived(session, row)
    outbox.record(session, MemberUpdated(member_id=row.id, member_kind=row.member_kind, changed=changed))
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


def add_membership(session: Session, member_id: str, draft: MembershipDraft, today: date | None = None) -> MembershipView:
    row = load_member(session, member_id)
    renewal = any(m.type == draft.type.value for m in row.memberships)
    membership = MembershipRow(id=str(uuid.uuid4()), member_id=row.id, created_at=utcnow(),
                               renewal_notice_sent=False, **draft.model_dump(mode="python"))
    row.memberships.append(membership)
    session.flush()
    if renewal:
        outbox.record(session, MembershipRenewed(member_id=row.id, membership_id=membership.id, type=draft.type,
                                                 units=draft.units, ends_on=draft.ends_on))
    _update_current(session, row, today or date.today())
    return membership_view(membership)


def get_member(session: Session, member_id: str) -> MemberView:
    return member_view(load_member(session, member_id))


def directory(session: Session, query: DirectoryQuery, organizer: bool) -> list[DirectoryEntry] | list[MemberView]:
    """Public callers: only listed entries, only their public fields. Organizers: everything."""
    statement = select(MemberRow).where(MemberRow.erased_at.is_(None))
    if not organizer:
        statement = statement.where(MemberRow.directory_listed.is_(True))
    if query.region:
        statement = statement.where(MemberRow.region == query.region.value)
    if query.kind:
        statement = statement.where(MemberRow.kind == query.kind.value)
    if query.network:
        statement = statement.where(MemberRow.id.in_(select(MemberNetwork.member_id).where(
            MemberNetwork.network == query.network)))
    if query.language:
        statement = statement.where(MemberRow.id.in_(select(MemberLanguage.member_id).where(
            MemberLanguage.language == query.language)))
    if query.q:
        for word in query.q.lower().split():
            statement = statement.where(MemberRow.search_text.contains(word, autoescape=True))
    statement = statement.order_by(MemberRow.search_text, MemberRow.id).limit(query.limit).offset(query.offset)
    rows = session.execute(statement).scalars().all()
    if organizer:
        return [member_view(row) for row in rows]
    return [domain.public_entry(row) for row in rows]


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


def renewals(session: Session, due_before: date) -> list[RenewalView]:
    rows = session.execute(select(MembershipRow, MemberRow).join(MemberRow, MembershipRow.member_id == MemberRow.id)
                           .where(MembershipRow.renewal_due_on.is_not(None), MembershipRow.renewal_due_on < due_before,
                                  MemberRow.erased_at.is_(None)).order_by(MembershipRow.renewal_due_on)).all()
    return [RenewalView(membership_id=m.id, member_id=member.id, member_kind=member.member_kind, name=_name_of(member),
                        renewal_due_on=m.renewal_due_on, dues_status=m.dues_status) for m, member in rows]


def housekeeping(session: Session, today: date) -> dict:
    """Daily: renewal reminders that came due (once each), and members whose membership ended."""
    reminders = 0
    due = session.execute(select(MembershipRow, MemberRow).join(MemberRow, MembershipRow.member_id == MemberRow.id)
                          .where(MembershipRow.renewal_notice_sent.is_(False), MembershipRow.renewal_due_on.is_not(None),
                                 MemberRow.erased_at.is_(None))).all()
    for membership, member in due:
        if domain.renewal_reminder_due(membership.renewal_due_on, membership.renewal_notice_sent, today):
            membership.renewal_notice_sent = True
            outbox.record(session, MembershipRenewalDue(
                member_id=member.id, membership_id=membership.id, renewal_due_on=membership.renewal_due_on,
                email=member.email or member.contact_email, language=member.preferred_language or "ja",
                name=_name_of(member)))
            reminders += 1
    left = 0
    for member in session.execute(select(MemberRow).where(MemberRow.current_member.is_(True))).scalars():
        was = member.current_member
        _update_current(session, member, today)
        left += int(was and not member.current_member)
    return {"renewal_reminders": reminders, "members_left": left}


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
    row.display_name = domain.ERASED_NAME
    row.erased_at = row.updated_at = utcnow()
    _refresh_derived(session, row)
    outbox.record(session, erasure.forget(session, row.id, person, addresses))
    return member_view(row)


def is_current_member(session: Session, member_id: str) -> bool:
    row = session.get(MemberRow, member_id)
    return bool(row and row.erased_at is None and domain.is_current_member(_holdings(row), date.today()))


def group_contact(session: Session, member_id: str) -> dict:
    row = load_member(session, member_id)
    return {"name": row.name, "public_contact": row.public_contact, "contact_email": row.contact_email}


def members_in(session: Session, region: str | None, network: str | None) -> list[str]:
    statement = select(MemberRow.id).where(MemberRow.erased_at.is_(None), MemberRow.current_member.is_(True))
    if region:
        statement = statement.where(MemberRow.region == region)
    if network:
        statement = statement.where(MemberRow.id.in_(select(MemberNetwork.member_id).where(
            MemberNetwork.network == network)))
    return list(session.execute(statement).scalars())



def _find_for_import(session: Session, member) -> MemberRow | None:
    if member.external_id:
        found = session.execute(select(MemberRow).where(MemberRow.external_id == member.external_id)).scalar()
        if found is not None:
            return found
    email = getattr(member, "email", None) or getattr(member, "contact_email", None)
    if email:
        column = MemberRow.email if hasattr(member, "email") else MemberRow.contact_email
        return session.execute(select(MemberRow).where(column == email.lower(), MemberRow.erased_at.is_(None))).scalar()
    return None


def import_members(session: Session, rows: list, today: date | None = None) -> tuple[dict, list[ImportProblem]]:
    """Upsert the parsed rows (services.members.importer.ImportRow), each in a savepoint of its own so a
    row that breaks a rule is reported and the others still go in."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    problems: list[ImportProblem] = []
    for row in rows:
        try:
            with session.begin_nested():
                counts[_import_one(session, row, today)] += 1
        except TsunaguError as exc:
            problems.append(ImportProblem(row=row.line, field=exc.field, reason=exc.detail))
    return counts, problems


def _import_one(session: Session, row, today: date | None) -> str:
    member = row.member
    is_group = isinstance(member, MemberGroupDraft)
    existing = _find_for_import(session, member)
    if existing is None:
        view = create_group(session, member) if is_group else create_individual(session, member)
        if row.membership:
            add_membership(session, view.id, row.membership, today)
        return "created"
    if existing.member_kind != ("group" if is_group else "individual"):
        raise Invalid(f"this row is a {'group' if is_group else 'individual'} but matches an existing "
                      f"{existing.member_kind}", "member_kind")
    values = member.model_dump(mode="json", exclude={"external_id"})
    if "email" in values and values["email"]:
        values["email"] = values["email"].lower()
    differing = {name: value for name, value in values.items() if getattr(existing, name) != value}
    outcome = "unchanged"
    if differing:
        patch_member(session, existing.id, MemberPatch.model_validate(differing))
        outcome = "updated"
    if member.external_id and existing.external_id != member.external_id:
        existing.external_id = member.external_id
        outcome = "updated"
    if row.membership and not any(m.type == row.membership.type.value and m.starts_on == row.membership.starts_on
                                  for m in existing.memberships):
        add_membership(session, existing.id, row.membership, today)
        outcome = "updated"
    return outcome


def all_members(session: Session) -> list[MemberView]:
    rows = session.execute(select(MemberRow).where(MemberRow.erased_at.is_(None))
                           .order_by(MemberRow.member_kind, MemberRow.created_at)).scalars()
    return [member_view(row) for row in rows]
