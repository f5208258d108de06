"""The member list as a spreadsheet (CSV): the columns, reading a row, and the export.

Columns (header names; any order; unknown columns are refused so a typo is not silently ignored):
id, member_kind (group | individual), external_id, name_ja, name_en, name_<language> (name_vi,
name_pt-BR…), display_name, email, preferred_language, kind, region, prefecture, city, website,
help_languages, networks, public_contact, contact_email, visibility, directory_opt_in, public_fields,
membership_type, units, starts_on, ends_on, fiscal_year, dues_status, renewal_due_on. Lists are
separated by spaces, commas, 、 or ・. Dates may be written as Japanese Excel saves them
(`shared.spreadsheets.DATE_FORMATS_ACCEPTED`).

The export writes every column, `id` included (the member's opaque id), one line per membership, with
cells neutralised against formulas; reading a cell takes exactly that neutralisation off, so an
exported file imports back with every row unchanged. How rows are matched to members is
`services.members.imports`' business.
"""
from __future__ import annotations

import _csv  # the type csv.reader returns
import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import ValidationError

from shared.contracts.base import field_and_message
from shared.contracts.members import (
    ImportProblem,
    IndividualDraft,
    MemberGroupDraft,
    MembershipDraft,
    MembershipView,
    MemberView,
)
from shared.errors import Invalid
from shared.i18n import is_language_tag, normalise_tag
from shared.spreadsheets import excel_csv, sheet_dialect, spreadsheet_date, unneutralise_cell

NAME_LANGUAGES = ("ja", "en")  # always exported, first
COLUMNS = ["id", "member_kind", "external_id", "name_ja", "name_en", "display_name", "email", "preferred_language",
           "kind", "region", "prefecture", "city", "website", "help_languages", "networks", "public_contact",
           "contact_email", "visibility", "directory_opt_in", "public_fields", "membership_type", "units",
           "starts_on", "ends_on", "fiscal_year", "dues_status", "renewal_due_on"]
MEMBERSHIP_COLUMNS = {"membership_type": "type", "units": "units", "starts_on": "starts_on",
                      "ends_on": "ends_on", "fiscal_year": "fiscal_year", "dues_status": "dues_status",
                      "renewal_due_on": "renewal_due_on"}
DATE_COLUMNS = ("starts_on", "ends_on", "renewal_due_on")
# Cells compared as machines compare them: full-width ｇｒｏｕｐ or ２ are group and 2. Names and other
# text people wrote are kept as typed.
CODE_COLUMNS = {"member_kind", "kind", "region", "visibility", "membership_type", "dues_status", "units",
                "fiscal_year", "preferred_language", "help_languages", "networks", "public_fields",
                "directory_opt_in"}
_LIST_SPLIT = re.compile(r"[\s,、・;]+")
_TRUE = {"1", "true", "yes", "y", "はい", "○", "◯"}
_NAME_COLUMN = re.compile(r"^name_(.+)$")


@dataclass(frozen=True)
class ImportRow:
    line: int
    member_id: str | None  # the `id` column: the member this line was exported from
    member: MemberGroupDraft | IndividualDraft
    membership: MembershipDraft | None


def _known_column(name: str) -> bool:
    named = _NAME_COLUMN.match(name)
    return name in COLUMNS or bool(named and is_language_tag(named.group(1)) and len(named.group(1)) <= 35)


def _reader(text: str) -> _csv.Reader:
    return csv.reader(io.StringIO(text), sheet_dialect(text))


def read_header(text: str) -> list[str]:
    """The file's column names, or Invalid naming the first unknown one."""
    try:
        header = [name.strip().lower() for name in next(_reader(text), [])]
    except csv.Error as exc:
        raise Invalid(f"line 1: {exc}", "body") from None
    if not any(header):
        raise Invalid("the file has no header line (member_kind, name_ja, email…)", "body")
    unknown = [name for name in header if name and not _known_column(name)]
    if unknown:
        raise Invalid(f"unknown column {unknown[0]!r}; the columns are {', '.join(COLUMNS)} "
                      f"and name_<language>", unknown[0][:64])
    return header


def count_rows(text: str) -> int:
    """Data rows in the file, reading it through once: a file csv cannot read is refused whole here,
    with the line (a cell over 128 KB, which no field allows, or a quote never closed)."""
    reader = _reader(text)
    try:
        next(reader, None)
        return sum(1 for cells in reader if any(cell.strip() for cell in cells))
    except csv.Error as exc:
        raise Invalid(f"line {reader.line_num}: {exc}; no field is that long, is a quote left open?",
                      "body") from None


def rows_from(text: str, header: list[str], skip: int = 0) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, cells by column) of every data row after the first `skip`; line 1 is the header. Empty
    lines (Excel saves a sheet's blank rows as ,,,) are no rows."""
    reader = _reader(text)
    next(reader, None)
    seen = 0
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        seen += 1
        if seen > skip:
            yield line, {name: _cell(name, value)
                         for name, value in zip(header, cells, strict=False) if name}  # short rows: cells left empty


def _cell(column: str, value: str) -> str:
    value = unneutralise_cell(value.strip())
    if column in CODE_COLUMNS:
        value = unicodedata.normalize("NFKC", value).strip()
    return value


def _list(value: str) -> list[str]:
    return [part for part in _LIST_SPLIT.split(value.strip()) if part]


def _names(row: dict[str, str]) -> dict[str, str]:
    names = {}
    for column, text in row.items():
        named = _NAME_COLUMN.match(column)
        if named and text:
            names[normalise_tag(named.group(1))] = text
    return names


def _member_values(row: dict[str, str]) -> tuple[str, dict]:
    names = _names(row)
    kind = row.get("member_kind", "").lower() or ("group" if names else "individual")
    common = {"external_id": row.get("external_id") or None, "region": row.get("region", "").lower() or None,
              "networks": _list(row.get("networks", ""))}
    if kind == "group":
        return kind, {**common, "name": names, "kind": row.get("kind", "").lower() or "other",
                      "prefecture": row.get("prefecture"), "city": row.get("city"), "website": row.get("website"),
                      "help_languages": _list(row.get("help_languages", "")),
                      "public_contact": row.get("public_contact"), "contact_email": row.get("contact_email") or None,
                      "visibility": row.get("visibility", "").lower() or "public"}
    return kind, {**common, "display_name": row.get("display_name", ""), "email": row.get("email", ""),
                  "preferred_language": row.get("preferred_language") or "ja",
                  "directory_opt_in": row.get("directory_opt_in", "").lower() in _TRUE,
                  "public_fields": _list(row.get("public_fields", ""))}


def _membership_values(row: dict[str, str]) -> dict:
    values = {}
    for column, target in MEMBERSHIP_COLUMNS.items():
        cell = row.get(column)
        if not cell:
            continue
        if column in DATE_COLUMNS:
            try:
                cell = spreadsheet_date(cell).isoformat()
            except ValueError as exc:
                raise ValueError(f"{target}: {exc}") from None
        values[target] = cell.lower() if target in ("type", "dues_status") else cell
    return values


def parse_row(line: int, row: dict[str, str]) -> ImportRow | ImportProblem:
    """One data row as drafts, or the first problem found in it."""
    kind, values = _member_values(row)
    if kind not in ("group", "individual"):
        return ImportProblem(row=line, field="member_kind", reason="group or individual")
    try:
        member = (MemberGroupDraft if kind == "group" else IndividualDraft).model_validate(values)
        membership = None
        if row.get("starts_on") or row.get("ends_on"):
            membership = MembershipDraft.model_validate(_membership_values(row))
    except ValidationError as exc:
        error = exc.errors()[0]
        field, message = field_and_message(error["loc"], error["msg"])
        return ImportProblem(row=line, field=field, reason=message)
    except ValueError as exc:
        field, message = field_and_message((), str(exc))
        return ImportProblem(row=line, field=field, reason=message)
    return ImportRow(line, row.get("id") or None, member, membership)


def export(members: list[MemberView]) -> str:
    extra_languages = sorted({tag for member in members for tag in member.name} - set(NAME_LANGUAGES))
    header = [*COLUMNS[:5], *(f"name_{tag}" for tag in extra_languages), *COLUMNS[5:]]

    def rows():
        for member in members:
            memberships: list[MembershipView | None] = [*member.memberships] or [None]  # a row without one
            for membership in memberships:
                yield [member.id, member.member_kind, member.external_id,
                       *(member.name.get(tag) for tag in (*NAME_LANGUAGES, *extra_languages)),
                       member.display_name, member.email, member.preferred_language,
                       member.kind.value if member.kind else None, member.region.value if member.region else None,
                       member.prefecture, member.city, member.website, " ".join(member.help_languages),
                       " ".join(member.networks), member.public_contact, member.contact_email,
                       member.visibility.value if member.visibility else None,
                       "yes" if member.directory_opt_in else "", " ".join(member.public_fields),
                       *(([membership.type.value, membership.units, membership.starts_on, membership.ends_on,
                           membership.fiscal_year, membership.dues_status.value, membership.renewal_due_on])
                         if membership else [None] * 7)]
    return excel_csv(header, rows())
