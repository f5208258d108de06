"""Imports as the network's secretariat makes them: Japanese Excel files, exports brought back, the
same group typed in another width, and files large enough to need a background job."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from services.members import importer, imports, models, operations
from shared.contracts.base import utcnow
from shared.contracts.members import IndividualDraft, MemberGroupDraft, MembershipDraft
from shared.errors import Invalid
from shared.spreadsheets import DATE_FORMATS_ACCEPTED
from tests.samples import SECRETARIAT
from tests.service.scenarios import run_import, search
from tsunagu import demo


@pytest.fixture
def db(make_sessionmaker):
    return make_sessionmaker(models)


def export(db) -> str:
    with db() as session:
        return importer.export(operations.all_members(session, SECRETARIAT))


def test_dates_as_japanese_excel_saves_them_are_imported(db):
    csv = ("member_kind,display_name,email,membership_type,starts_on,ends_on,renewal_due_on\r\n"
           "individual,一,one@example.org,member,2025/4/1,2026/03/31,2026年4月1日\r\n"
           "individual,二,two@example.org,member,令和7年4月1日,R8.3.31,\r\n"
           "individual,三,three@example.org,subscriber,２０２５／４／１,2026-03-31,\r\n"
           "individual,四,four@example.org,member,2025/13/1,2026/3/31,\r\n")
    counts, rejected, _ = run_import(db, csv.encode("cp932"))
    assert counts["created"] == 3
    periods = {m.display_name: m.memberships[0] for m in search(db, SECRETARIAT)}
    assert {(p.starts_on, p.ends_on) for p in periods.values()} == {(date(2025, 4, 1), date(2026, 3, 31))}
    assert periods["一"].renewal_due_on == date(2026, 4, 1)
    assert [(p.row, p.field) for p in rejected] == [(5, "starts_on")]
    assert DATE_FORMATS_ACCEPTED in rejected[0].reason


TRICKY_GROUPS = [
    {"name": {"ja": "'90s 支援の会", "vi": "Hội hỗ trợ"}, "kind": "npo", "region": "kanto",
     "public_contact": "+81-6-6000-0000", "website": "https://example.org/'x"},
    {"name": {"ja": "=HYPERLINK(\"https://evil.example\")", "en": "-minus"}, "kind": "union", "region": "online",
     "public_contact": "＠tsunagu", "visibility": "hidden", "networks": ["livelihood"]},
]
TRICKY_PEOPLE = [{"display_name": "@someone", "email": "at@example.org", "networks": ["migrant-women"],
                  "directory_opt_in": True, "public_fields": ["display_name", "networks"]}]


def test_an_export_of_the_demo_members_imports_back_with_every_row_unchanged(db):
    with db.begin() as session:
        for group in [*demo.GROUPS, *TRICKY_GROUPS]:
            member = operations.create_group(session, MemberGroupDraft.model_validate(group))
            operations.add_membership(session, member.id, MembershipDraft.model_validate(demo.MEMBERSHIP))
        for person in [*demo.INDIVIDUALS, *TRICKY_PEOPLE]:
            member = operations.create_individual(session, IndividualDraft.model_validate(person))
            operations.add_membership(session, member.id, MembershipDraft.model_validate(demo.MEMBERSHIP))
            operations.add_membership(session, member.id, MembershipDraft.model_validate(
                {**demo.MEMBERSHIP, "type": "subscriber"}))
    before = export(db)
    members = len(demo.GROUPS) + len(TRICKY_GROUPS) + len(demo.INDIVIDUALS) + len(TRICKY_PEOPLE)
    lines = len(demo.GROUPS) + len(TRICKY_GROUPS) + 2 * (len(demo.INDIVIDUALS) + len(TRICKY_PEOPLE))
    for dry_run in (True, False):
        counts, rejected, rows = run_import(db, before.encode("utf-8"), dry_run=dry_run)
        assert (rows, rejected) == (lines, [])
        assert counts == {"created": 0, "updated": 0, "unchanged": lines}
    assert export(db) == before and len(search(db, SECRETARIAT)) == members
    stored = {m.name.get("ja") or m.display_name: m for m in search(db, SECRETARIAT)}
    assert stored["'90s 支援の会"].public_contact == "+81-6-6000-0000"  # not "'+81…" in the public directory
    assert stored["'90s 支援の会"].name["vi"] == "Hội hỗ trợ"
    assert "@someone" in stored and "'=HYPERLINK" in before and "''90s" in before


def test_the_same_group_typed_in_another_width_is_the_same_group(db):
    with db.begin() as session:
        kalabaw = operations.create_group(session, MemberGroupDraft(name={"ja": "カラバオの会"}, kind="npo",
                                                                    region="kanto"))
        tokai = operations.create_group(session, MemberGroupDraft(name={"ja": "東海の会"}, kind="npo",
                                                                  region="chubu-tokai", external_id="G-001"))
        tanaka = operations.create_individual(session, IndividualDraft(display_name="田中", email="tanaka@example.org"))
    csv = ("member_kind,external_id,name_ja,kind,region,display_name,email\r\n"
           "group,,ｶﾗﾊﾞｵの会,npo,kanto,,\r\n"
           "group,Ｇ－００１,東海の会,npo,chubu-tokai,,\r\n"
           "individual,,,,,田中,ＴＡＮＡＫＡ＠example.org\r\n")
    counts, rejected, _ = run_import(db, csv.encode("utf-8"))
    assert (counts, rejected) == ({"created": 0, "updated": 0, "unchanged": 3}, [])
    assert {m.id for m in search(db, SECRETARIAT)} == {kalabaw.id, tokai.id, tanaka.id}
    assert {m.id: m for m in search(db, SECRETARIAT)}[kalabaw.id].name == {"ja": "カラバオの会"}  # as typed
    assert [e.id for e in search(db, q="ｶﾗﾊﾞｵ")] == [kalabaw.id]


def test_a_name_two_groups_share_asks_for_their_id(db):
    with db.begin() as session:
        for region in ("kanto", "kinki-kansai"):
            operations.create_group(session, MemberGroupDraft(name={"ja": "支援の会"}, kind="npo", region=region))
    counts, rejected, _ = run_import(db, "member_kind,name_ja,region\r\ngroup,支援の会,kanto\r\n".encode())
    assert counts["created"] == 0 and rejected[0].field == "name" and "id" in rejected[0].reason


MEMBERS_BY_MEMBERSHIP = ("member_kind,name_ja,kind,region,membership_type,units,starts_on,ends_on\r\n"
                         "group,カラバオの会,npo,kanto,member,2,2025/4/1,2026/6/30\r\n"
                         "group,東海の会,npo,chubu-tokai,member,1,2025/4/1,2026/6/30\r\n"
                         "group,カラバオの会,npo,kanto,member,2,2026/4/1,2027/6/30\r\n"
                         "group,ｶﾗﾊﾞｵの会,npo,kanto,subscriber,1,2026/4/1,2027/6/30\r\n"
                         "group,カラバオの会,npo,kanto,member,3,2026/4/1,2027/6/30\r\n")


def test_a_dry_run_in_chunks_counts_what_the_real_import_does(db):
    """A member listed once per membership, on lines that fall in different chunks."""
    dry_counts, dry_rejected, _ = run_import(db, MEMBERS_BY_MEMBERSHIP.encode(), dry_run=True, chunk_rows=2)
    assert search(db, SECRETARIAT) == []
    counts, rejected, rows = run_import(db, MEMBERS_BY_MEMBERSHIP.encode(), chunk_rows=2)
    assert (dry_counts, [p.row for p in dry_rejected]) == (counts, [p.row for p in rejected])
    assert (counts, rows) == ({"created": 2, "updated": 2, "unchanged": 0}, 5)
    assert [(p.row, p.field) for p in rejected] == [(6, "units")]  # the same period with other figures
    assert sorted(len(m.memberships) for m in search(db, SECRETARIAT)) == [1, 3]


def test_an_interrupted_import_carries_on_where_it_stopped(db):
    csv = "member_kind,display_name,email\r\n" + "".join(
        f"individual,会員{n},m{n}@example.org\r\n" for n in range(25))
    with db.begin() as session:
        job = imports.start(session, csv.encode(), dry_run=False)
        imports.claim(session)
        run = imports.ImportRun.open(session, job.id)
    assert run.chunk(db, size=10)  # then the service is killed: its lease runs out
    with db.begin() as session:
        session.execute(update(models.ImportJobRow).values(lease_until=utcnow() - timedelta(seconds=1)))
    imports.ImportWorker(db, chunk_rows=10).work()
    with db() as session:
        view = imports.job_view(session, job.id)
        assert session.execute(select(models.ImportJobRow.content)).scalar() is None  # personal data dropped
    assert (view.status, view.rows_done, view.report.created, view.report.rejected) == ("finished", 25, 25, [])
    assert len(search(db, SECRETARIAT, limit=100)) == 25


def test_a_file_that_cannot_be_read_is_refused_at_once_and_utf16_is_read(db):
    long_cell = "x" * (200 * 1024)
    with db.begin() as session, pytest.raises(Invalid) as refused:
        imports.start(session, f"member_kind,display_name\r\nindividual,{long_cell}\r\n".encode(), dry_run=True)
    assert "line 2" in refused.value.detail
    with db.begin() as session, pytest.raises(Invalid) as refused:
        imports.start(session, bytes(range(128, 256)) * 10, dry_run=True)
    assert "Shift_JIS" in refused.value.detail
    unicode_text = "member_kind\tdisplay_name\temail\r\nindividual\t田中\ttanaka@example.org\r\n"
    counts, rejected, _ = run_import(db, b"\xff\xfe" + unicode_text.encode("utf-16-le"))
    assert (counts["created"], rejected) == (1, [])


def test_an_overlong_cell_is_a_rejected_row(db):
    counts, rejected, _ = run_import(db, f"member_kind,display_name,email\r\nindividual,{'x' * 5000},a@example.org\r\n"
                                     .encode())
    assert counts["created"] == 0 and rejected[0].field == "display_name"


def test_a_group_with_another_external_id_is_another_group_whatever_its_name(db):
    run_import(db, "member_kind,external_id,name_ja,region\r\ngroup,IMP-1,支援の会,kanto\r\n".encode())
    counts, rejected, _ = run_import(db, "member_kind,external_id,name_ja,region\r\ngroup,IMP-2,支援の会,kanto\r\n"
                                     .encode())
    assert (counts["created"], rejected) == (1, [])
    assert sorted(m.external_id for m in search(db, SECRETARIAT)) == ["IMP-1", "IMP-2"]
