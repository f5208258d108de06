import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from services.members import importer, imports, models, operations
from shared.contracts import EVENT_TYPES
from shared.contracts.base import utcnow
from shared.contracts.identity import Caller, Grant, Role
from shared.contracts.members import DirectoryQuery, IndividualDraft, MemberGroupDraft, MemberPatch, MembershipDraft
from shared.errors import Conflict, Invalid, NotFound
from tests.samples import SECRETARIAT
from tests.service.scenarios import person as member_signed_in
from tests.service.scenarios import run_import, search

KALABAW = {"name": {"ja": "カラバオの会", "en": "Kalabaw-no-kai"}, "kind": "community_association", "region": "kanto",
           "city": "横浜市", "help_languages": ["tl", "en"], "networks": ["livelihood"], "public_contact": "045-000-0000",
           "contact_email": "office@kalabaw.example", "external_id": "G-001"}


@pytest.fixture
def db(make_sessionmaker):
    return make_sessionmaker(models)


def group(db, **changes):
    with db.begin() as session:
        return operations.create_group(session, MemberGroupDraft.model_validate({**KALABAW, **changes}))


def person(db, **changes):
    values = {"display_name": "Ana Lima", "email": "ana@example.org", "region": "chubu-tokai", **changes}
    with db.begin() as session:
        return operations.create_individual(session, IndividualDraft.model_validate(values))


def member_events(db):
    table = models.outbox.table
    with db() as session:
        return [EVENT_TYPES[r.event_type].model_validate(r.payload)
                for r in session.execute(select(table).order_by(table.c.id))]


def test_the_public_directory_shows_only_what_members_chose(db):
    kalabaw = group(db)
    hidden = group(db, name={"ja": "非公開の会"}, visibility="hidden", external_id="G-002", contact_email="x@h.example")
    private = person(db, email="private@example.org")
    opted = person(db, display_name="Maria", email="maria@example.org", directory_opt_in=True, public_fields=["display_name"])
    public = search(db)
    assert {e.id for e in public} == {kalabaw.id, opted.id}
    entry = {e.id: e for e in public}[kalabaw.id]
    assert entry.public_contact == "045-000-0000" and "office@kalabaw.example" not in entry.model_dump_json()
    maria = {e.id: e for e in public}[opted.id].to_wire()
    assert maria["display_name"] == "Maria" and maria["region"] is None and "maria@example.org" not in json.dumps(maria)
    everyone = search(db, SECRETARIAT)
    assert {m.id for m in everyone} == {kalabaw.id, hidden.id, private.id, opted.id}
    assert {m.id: m for m in everyone}[private.id].email == "private@example.org"


def test_groups_shown_to_members_only_are_seen_by_the_network_s_members_and_found_only_by_what_they_show(db):
    kalabaw = group(db)
    members_only = group(db, name={"ja": "会員向けの会", "en": "For Members"}, visibility="members", region="tohoku",
                         networks=["migrant-women"], help_languages=["vi"], external_id="G-004",
                         contact_email="office@members.example")
    hidden = group(db, name={"ja": "非公開の会"}, visibility="hidden", external_id="G-002")
    opted = person(db, display_name="Maria", email="maria@example.org", directory_opt_in=True,
                   public_fields=["display_name"])
    assert {e.id for e in search(db)} == {kalabaw.id, opted.id}  # nobody signed in
    contact = Caller(account_id="acc-contact", email="c@example.org",
                     grants=(Grant(role=Role.GROUP_CONTACT, groups=(kalabaw.id,)),))
    for viewer in (member_signed_in("yamada@example.org"), contact):
        seen = {e.id: e for e in search(db, viewer)}
        assert set(seen) == {kalabaw.id, opted.id, members_only.id}  # never the hidden group
        assert seen[members_only.id].members_only and not seen[kalabaw.id].members_only
        assert seen[members_only.id].name == {"ja": "会員向けの会", "en": "For Members"}
        assert "office@members.example" not in seen[members_only.id].model_dump_json()  # organizers' only
        assert [e.id for e in search(db, viewer, q="会員向け")] == [members_only.id]
        assert [e.id for e in search(db, viewer, region="tohoku", network="migrant-women", language="vi")] == [
            members_only.id]
    assert search(db, q="会員向け") == [] and search(db, region="tohoku") == []  # not found by the public
    assert hidden.id in {m.id for m in search(db, SECRETARIAT)}


def test_search_in_japanese_and_english_with_filters(db):
    kalabaw = group(db)
    tokai = group(db, name={"ja": "移住者支援ネット東海", "en": "Migrant Support Tokai"}, region="chubu-tokai",
                  help_languages=["vi", "pt-BR"], kind="npo", external_id="G-003", networks=["technical-interns"])
    assert [e.id for e in search(db, q="カラバオ")] == [kalabaw.id]
    assert [e.id for e in search(db, q="支援ネット")] == [tokai.id]  # partial match inside Japanese text
    assert [e.id for e in search(db, q="KALABAW")] == [kalabaw.id]
    # "groups that help in Vietnamese in Tokai"
    assert [e.id for e in search(db, language="vi", region="chubu-tokai")] == [tokai.id]
    assert [e.id for e in search(db, network="livelihood")] == [kalabaw.id]
    assert [e.id for e in search(db, kind="npo")] == [tokai.id]
    assert search(db, q="カラバオ", region="chubu-tokai") == []


def test_joining_renewing_statistics_and_leaving(db):
    group_id = group(db).id
    person_id = person(db).id
    with db.begin() as session:
        operations.add_membership(session, group_id, MembershipDraft(
            type="member", units=2, starts_on=date(2025, 4, 1), ends_on=date(2026, 3, 31)), today=date(2025, 5, 1))
        operations.add_membership(session, person_id, MembershipDraft(
            type="member", units=1, starts_on=date(2025, 4, 1), ends_on=date(2026, 3, 31)), today=date(2025, 5, 1))
        operations.add_membership(session, person_id, MembershipDraft(
            type="subscriber", units=3, starts_on=date(2025, 4, 1), ends_on=date(2027, 3, 31)), today=date(2025, 5, 1))
        operations.add_membership(session, person_id, MembershipDraft(
            type="member", units=1, starts_on=date(2026, 4, 1), ends_on=date(2027, 3, 31),
            renewal_due_on=date(2027, 4, 1)), today=date(2025, 5, 1))
    kinds = [e.event_type for e in member_events(db)]
    assert kinds == ["member_joined", "member_joined", "membership_renewed"]
    with db() as session:
        report = operations.stats(session, date(2026, 6, 1))
    assert (report.individual.members, report.individual.units) == (1, 1)
    assert (report.individual.subscribers, report.individual.subscriptions) == (1, 3)
    assert (report.group.members, report.group.units) == (0, 0)  # the group did not renew
    assert (report.group_previous.members, report.group_previous.units) == (1, 2)
    assert report.group_change.units == -2 and report.individual_change.members == 0
    with db.begin() as session:
        first = operations.housekeeping(session, date(2026, 6, 1))
        again = operations.housekeeping(session, date(2027, 3, 10))
        twice = operations.housekeeping(session, date(2027, 3, 11))
    assert first == {"renewal_reminders": 0, "members_left": 1, "skipped": []}  # the group's membership ended
    assert again["renewal_reminders"] == 1 and twice["renewal_reminders"] == 0  # four weeks before, once
    due = [e for e in member_events(db) if e.event_type == "membership_renewal_due"]
    assert due[0].email == "ana@example.org" and due[0].renewal_due_on == date(2027, 4, 1)
    with db() as session:
        assert [r.member_id for r in operations.renewals(session, date(2027, 5, 1), SECRETARIAT)] == [person_id]
        current = session.execute(select(models.MemberRow.id).where(models.MemberRow.current_member)).scalars()
        assert list(current) == [person_id]  # the group left


def test_erasure_leaves_no_personal_data_and_tells_everyone(db):
    ana = person(db, directory_opt_in=True, public_fields=["display_name", "region"])
    with db.begin() as session:
        operations.add_membership(session, ana.id, MembershipDraft(starts_on=date(2025, 4, 1), ends_on=date(2030, 3, 31)))
        operations.erase(session, ana.id)
    with db() as session:
        row = session.get(models.MemberRow, ana.id)
        stored = json.dumps({c.name: str(getattr(row, c.name)) for c in models.MemberRow.__table__.columns})
        assert "ana@example.org" not in stored and "Ana Lima" not in stored
        assert len(row.memberships) == 1  # the statistics of that year stay true
        with pytest.raises(NotFound):
            operations.get_member(session, ana.id)
    erased = member_events(db)[-1]
    assert erased.event_type == "member_erased" and "ana@example.org" not in erased.model_dump_json()
    import hashlib
    assert erased.email_sha256 == hashlib.sha256(b"ana@example.org").hexdigest()
    assert search(db) == []


def test_emails_and_external_ids_are_unique_and_patches_are_announced(db):
    ana = person(db)
    with pytest.raises(Conflict):
        person(db, email="ANA@example.org")
    with db.begin() as session:
        patched = operations.patch_member(session, ana.id, MemberPatch(display_name="Ana L."))
    assert patched.display_name == "Ana L."
    assert member_events(db)[-1].changed == ["display_name"]


SHIFT_JIS_CSV = (
    "member_kind,external_id,name_ja,name_en,kind,region,city,help_languages,networks,contact_email,"
    "display_name,email,preferred_language,membership_type,units,starts_on,ends_on,dues_status\r\n"
    "group,G-100,移住者と連帯する会,Solidarity,npo,kinki-kansai,大阪市,vi pt-BR,migrant-women,,,,,member,2,2026-04-01,2027-03-31,paid\r\n"
    "individual,,,,,kanto,,,,,田中 花子,tanaka@example.org,ja,member,1,2026-04-01,2027-03-31,unpaid\r\n"
    "individual,,,,,kanto,,,,,壊れた行,not-an-email,ja,,,,,\r\n"
    "group,,名前だけの会,,npo,kanto,,,,,,,,,,,,\r\n"
    "individual,,,,,mars,,,,,火星,mars@example.org,ja,,,,,\r\n"
)


def test_importing_a_shift_jis_file_with_broken_rows_then_again(db):
    data = SHIFT_JIS_CSV.encode("cp932")
    counts, rejected, rows = run_import(db, data, dry_run=True)
    assert rows == 5 and counts["created"] == 3
    assert search(db, SECRETARIAT) == []  # a dry run changes nothing
    counts, rejected, rows = run_import(db, data)
    assert counts == {"created": 3, "updated": 0, "unchanged": 0}  # a group with a name alone goes in too
    assert [(p.row, p.field) for p in rejected] == [(4, "email"), (6, "region")]
    assert "email" in rejected[0].reason or "@" in rejected[0].reason
    people = {m.display_name or m.name.get("ja"): m for m in search(db, SECRETARIAT)}
    assert people["移住者と連帯する会"].help_languages == ["vi", "pt-BR"]
    assert people["田中 花子"].memberships[0].units == 1
    # the same file again: nothing changes
    counts, rejected, _ = run_import(db, data)
    assert counts == {"created": 0, "updated": 0, "unchanged": 3} and len(rejected) == 2
    # UTF-8 with a BOM, one change
    changed = SHIFT_JIS_CSV.replace("大阪市", "堺市").encode("utf-8-sig")
    counts, _, _ = run_import(db, changed)
    assert counts == {"created": 0, "updated": 1, "unchanged": 2}


def test_an_unknown_column_is_refused_whole(db):
    with db.begin() as session, pytest.raises(Invalid) as refused:
        imports.start(session, b"member_kind,emial\r\nindividual,a@example.org\r\n", dry_run=False)
    assert refused.value.field == "emial" and "email" in refused.value.detail


def test_export_is_formula_safe_and_reimportable(db):
    group(db, name={"ja": "=HYPERLINK(\"x\")"}, external_id="G-9")
    with db() as session:
        body = importer.export(operations.all_members(session, SECRETARIAT))
    assert body.startswith("\ufeff") and "'=HYPERLINK" in body


def test_only_a_membership_covering_today_makes_a_current_member(db):
    today = date.today()
    current, lapsed = group(db).id, group(db, external_id="G-7", contact_email="l@x.example").id
    with db.begin() as session:
        operations.add_membership(session, current, MembershipDraft(
            starts_on=today - timedelta(days=365), ends_on=today + timedelta(days=365)))
        operations.add_membership(session, lapsed, MembershipDraft(
            starts_on=today - timedelta(days=1000), ends_on=today - timedelta(days=700)))
    with db() as session:
        assert session.get(models.MemberRow, current).current_member is True
        assert session.get(models.MemberRow, lapsed).current_member is False
    assert [e.member_id for e in member_events(db) if e.event_type == "member_joined"] == [current]


def test_the_same_period_again_is_the_same_period_and_a_renewal_in_grace_counts_once(db):
    group_id = group(db).id
    old_year = MembershipDraft(units=2, starts_on=date(2030, 4, 1), ends_on=date(2031, 6, 30), dues_status="paid")
    with db.begin() as session:
        first = operations.add_membership(session, group_id, old_year, today=date(2030, 5, 1))
        again = operations.add_membership(session, group_id, old_year, today=date(2030, 5, 1))
        renewal = operations.add_membership(session, group_id, MembershipDraft(
            units=2, starts_on=date(2031, 4, 1), ends_on=date(2032, 6, 30)), today=date(2031, 4, 1))
    assert (first.created, again.created, renewal.created) == (True, False, True)
    assert again.membership.id == first.membership.id
    with db.begin() as session, pytest.raises(Conflict) as clash:
        operations.add_membership(session, group_id, old_year.model_copy(update={"units": 3}))
    assert first.membership.id in clash.value.detail and "2030-04-01" in clash.value.detail
    with db() as session:
        assert len(operations.get_member(session, group_id).memberships) == 2
        report = operations.stats(session, date(2031, 5, 31))
    assert (report.group.members, report.group.units) == (1, 2)


def test_implausible_dates_are_refused():
    for wrong in ("0001-01-01", "9999-12-31", "1989-12-31", "2101-01-01"):
        with pytest.raises(ValueError, match="between 1990-01-01 and 2100-12-31"):
            MembershipDraft(starts_on=wrong, ends_on="2030-03-31")


def test_one_bad_row_does_not_stop_housekeeping_for_everyone(db, caplog):
    broken, fine = person(db, email="broken@example.org"), person(db, email="fine@example.org")
    with db.begin() as session:
        operations.add_membership(session, fine.id, MembershipDraft(
            starts_on=date(2026, 4, 1), ends_on=date(2027, 3, 31), renewal_due_on=date(2027, 4, 1)))
        # A period stored before dates were checked: no date arithmetic survives it.
        session.add(models.MembershipRow(id="legacy-period", member_id=broken.id, type="member", units=1,
                                         starts_on=date(1, 1, 1), ends_on=date(1, 12, 31), dues_status="paid",
                                         renewal_due_on=date(1, 1, 1), renewal_notice_sent=False,
                                         created_at=utcnow()))
    with db.begin() as session, caplog.at_level("ERROR"):
        done = operations.housekeeping(session, date(2027, 3, 10))
    assert done["renewal_reminders"] == 1 and done["skipped"] == ["membership legacy-period"]
    assert "legacy-period" in caplog.text and "broken@example.org" not in caplog.text and "Ana" not in caplog.text
    reminded = [e for e in member_events(db) if e.event_type == "membership_renewal_due"]
    assert [e.email for e in reminded] == ["fine@example.org"]


def test_a_change_is_checked_by_the_same_rules_as_a_creation(db):
    kalabaw, ana = group(db), person(db)
    refused = [(kalabaw.id, {"website": "javascript:alert(document.cookie)"}, "website"),
               (kalabaw.id, {"website": "https://"}, "website"),
               (kalabaw.id, {"region": None}, "region"),
               (kalabaw.id, {"display_name": "not a group's field"}, "display_name"),
               (ana.id, {"display_name": "x" * 121}, "display_name"),
               (ana.id, {"display_name": "Ana\r\nBcc: everyone@example.org"}, "display_name"),
               (ana.id, {"email": None}, "email")]
    for member_id, values, field in refused:
        with db.begin() as session, pytest.raises(Invalid) as wrong:
            operations.patch_member(session, member_id, MemberPatch.model_construct(**values))
        assert wrong.value.field == field, values
    with pytest.raises(ValueError):
        MemberPatch(networks=["Not A Slug!"])
    with pytest.raises(ValueError):
        MemberPatch(name={"ja": "x" * 201})
    with db.begin() as session:
        changed = operations.patch_member(session, kalabaw.id, MemberPatch(website=None, networks=["Livelihood", "labour"]))
    assert changed.website is None and changed.networks == ["livelihood", "labour"]
    with db() as session:
        assert operations.directory(session, DirectoryQuery(q="kalabaw"), None)[0]["website"] is None


def test_the_directory_finds_a_name_typed_in_another_width(db):
    kalabaw = group(db, name={"ja": "ｶﾗﾊﾞｵの会"})
    assert [e.id for e in search(db, q="カラバオ")] == [kalabaw.id]
    assert [e.id for e in search(db, q="からばお")] == [kalabaw.id]
    assert search(db, q="カラバオ")[0].name == {"ja": "ｶﾗﾊﾞｵの会"}  # stored as typed


def test_a_period_kept_from_before_dates_were_checked_leaves_the_record_and_the_export_readable(db):
    ana = person(db)
    with db.begin() as session:
        session.add(models.MembershipRow(id="legacy-period", member_id=ana.id, type="member", units=1,
                                         starts_on=date(1, 1, 1), ends_on=date(1, 12, 31), dues_status="paid",
                                         renewal_notice_sent=False, created_at=utcnow()))
    with db() as session:
        assert operations.get_member(session, ana.id).memberships[0].starts_on == date(1, 1, 1)
        exported = importer.export(operations.all_members(session, SECRETARIAT))
    assert "0001-01-01" in exported
