"""Importing the network's member list from a spreadsheet (CSV), and exporting it.

Columns (header names; any order; unknown columns are refused so a typo is not silently ignored):
member_kind (group | individual), external_id, name_ja, name_en, display_name, email,
preferred_language, kind, region, prefecture, city, website, help_languages, networks, public_contact,
contact_email, visibility, directory_opt_in, public_fields, membership_type, units, starts_on, ends_on,
fiscal_year, dues_status, renewal_due_on. Lists are separated by spaces, commas or ・.

A row is matched to an existing member by external_id, else by email (individuals) or contact_email
(groups): importing the same file twice changes nothing. Rows that break a rule are reported with
their line, field and reason while the good rows go in.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from pydantic import ValidationError

from shared.contracts.base import field_and_message
from shared.contracts.members import (ImportProblem, IndividualDraft, MemberGroupDraft, MembershipDraft,
                                      MemberView)
from shared.spreadsheets import decode_spreadsheet, excel_csv

COLUMNS = ["member_kind", "external_id", "name_ja", "name_en", "display_name", "email", "preferred_language",
           "kind", "region", "prefecture", "city", "website", "help_languages", "networks", "public_contact",
           "contact_email", "visibility", "directory_opt_in", "public_fields", "membership_type", "units",
           "starts_on", "ends_on", "fiscal_year", "dues_status", "renewal_due_on"]
MEMBERSHIP_COLUMNS = {"membership_type": "type", "units": "units", "starts_on": "starts_on",
                      "ends_on": "ends_on", "fiscal_year": "fiscal_year", "dues_status": "dues_status",
                      "renewal_due_on": "renewal_due_on"}
_LIST_SPLIT = re.compile(r"[\s,、・;]+")
_TRUE = {"1", "true", "yes", "y", "はい", "○"}


@dataclass(frozen=True)
class ImportRow:
    line: int
    member: MemberGroupDraft | IndividualDraft
    membership: MembershipDraft | None


def _list(value: str) -> list[str]:
    return [part for part in _LIST_SPLIT.split(value.strip()) if part]


def _clean(raw: dict[str, str]) -> dict[str, str]:
    return {key.strip().lower(): (value or "").strip() for key, value in raw.items() if key}


def _member_values(row: dict[str, str]) -> tuple[str, dict]:
    kind = row.get("member_kind", "").lower() or ("group" if row.get("name_ja") or row.get("name_en") else "individual")
    common = {"external_id": row.get("external_id") or None, "region": row.get("region") or None,
              "networks": _list(row.get("networks", ""))}
    if kind == "group":
        name = {lang: row[f"name_{lang}"] for lang in ("ja", "en") if row.get(f"name_{lang}")}
        return kind, {**common, "name": name, "kind": row.get("kind") or "other",
                      "prefecture": row.get("prefecture") or None, "city": row.get("city") or None,
                      "website": row.get("website") or None, "help_languages": _list(row.get("help_languages", "")),
                      "public_contact": row.get("public_contact") or None,
                      "contact_email": row.get("contact_email") or None,
                      "visibility": row.get("visibility") or "public"}
    return kind, {**common, "display_name": row.get("display_name", ""), "email": row.get("email", ""),
                  "preferred_language": row.get("preferred_language") or "ja",
                  "directory_opt_in": row.get("directory_opt_in", "").lower() in _TRUE,
                  "public_fields": _list(row.get("public_fields", ""))}


def parse(data: bytes) -> tuple[list[ImportRow], list[ImportProblem], int]:
    """Rows that can go in, the problems of those that cannot, and how many data rows there were."""
    text = decode_spreadsheet(data)
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    unknown = [name for name in header if name and name not in COLUMNS]
    if not header or unknown:
        reason = f"unknown column {unknown[0]!r}" if unknown else "the file has no header line"
        return [], [ImportProblem(row=1, field=unknown[0] if unknown else None, reason=reason)], 0
    good, problems, count = [], [], 0
    for line, raw in enumerate(reader, start=2):
        count += 1
        row = _clean(raw)
        kind, values = _member_values(row)
        try:
            member = (MemberGroupDraft if kind == "group" else IndividualDraft).model_validate(values)
            if kind == "group" and not (member.external_id or member.contact_email):
                raise ValueError("external_id: a group needs an external_id or a contact_email, so that a "
                                 "second import finds it again")
            membership = None
            if row.get("starts_on") or row.get("ends_on"):
                membership = MembershipDraft.model_validate({
                    target: row[column] for column, target in MEMBERSHIP_COLUMNS.items() if row.get(column)})
        except ValidationError as exc:
            error = exc.errors()[0]
            field, message = field_and_message(error["loc"], error["msg"])
            problems.append(ImportProblem(row=line, field=field, reason=message))
            continue
        except ValueError as exc:
            field, message = field_and_message((), str(exc))
            problems.append(ImportProblem(row=line, field=field, reason=message))
            continue
        if kind not in ("group", "individual"):
            problems.append(ImportProblem(row=line, field="member_kind", reason="group or individual"))
            continue
        good.append(ImportRow(line, member, membership))
    return good, problems, count


def export(members: list[MemberView]) -> str:
    def rows():
        for member in members:
            memberships = member.memberships or [None]
            for membership in memberships:
                yield [member.member_kind, member.external_id, member.name.get("ja"), member.name.get("en"),
                       member.display_name, member.email, member.preferred_language,
                       member.kind.value if member.kind else None, member.region.value if member.region else None,
                       member.prefecture, member.city, member.website, " ".join(member.help_languages),
                       " ".join(member.networks), member.public_contact, member.contact_email,
                       member.visibility.value if member.visibility else None,
                       "yes" if member.directory_opt_in else "", " ".join(member.public_fields),
                       *(([membership.type.value, membership.units, membership.starts_on, membership.ends_on,
                           membership.fiscal_year, membership.dues_status.value, membership.renewal_due_on])
                         if membership else [None] * 7)]
    return excel_csv(COLUMNS, rows())
