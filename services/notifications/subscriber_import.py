"""Reading an organizer's subscriber list (CSV) for an import into a mailing list.

Columns (header names, any order, case ignored): email, name, language, consent_basis, consent_date.
email, consent_basis and consent_date are required; unknown columns are refused so that a typo is not
silently ignored. consent_basis is one of ConsentBasis's imported values (confirmed_elsewhere,
written_form, magazine_subscription); dates as ISO (2024-04-01) or as Japanese Excel writes them
(2024/4/1, 2024年4月1日, R6.4.1). The file is UTF-8 (with or without BOM), Shift_JIS, or UTF-16 with its
BOM as Excel's "Unicode text" saves it (tab-separated) — read as the member import reads it.

Each line that breaks a rule is reported with its line, field and reason; the good lines go in.
"""
from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass

from pydantic import ValidationError

from shared.contracts.base import field_and_message
from shared.contracts.notifications import ImportedSubscriber, SubscriberImportProblem
from shared.errors import Invalid
from shared.spreadsheets import decode_spreadsheet, sheet_dialect, spreadsheet_date

COLUMNS = ("email", "name", "language", "consent_basis", "consent_date")
REQUIRED = ("email", "consent_basis", "consent_date")
MAX_ROWS = 20_000  # one import is one transaction of a few seconds; larger lists come in several files


@dataclass(frozen=True)
class ImportLine:
    line: int
    subscriber: ImportedSubscriber


class UnreadableFile(ValueError):
    """The file as a whole cannot be read: nothing in it can be imported."""


def _text(data: bytes) -> str:
    try:
        return decode_spreadsheet(data)
    except Invalid as unreadable:
        raise UnreadableFile(unreadable.detail) from None


def _rows(text: str):
    reader = csv.DictReader(io.StringIO(text), dialect=sheet_dialect(text))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        raise UnreadableFile(f"the file is empty: its first line names the columns ({', '.join(COLUMNS)})")
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing:
        raise UnreadableFile(f"unknown column {unknown[0]!r} (the columns are {', '.join(COLUMNS)})" if unknown
                             else f"the header line needs a column {missing[0]!r}")
    reader.fieldnames = header
    try:
        for line, raw in enumerate(reader, start=2):
            yield line, {key: (value or "").strip() for key, value in raw.items() if key}
    except csv.Error as exc:
        raise UnreadableFile(f"line {reader.line_num}: {exc}") from None


def parse(data: bytes) -> tuple[list[ImportLine], list[SubscriberImportProblem], int]:
    """Lines that can go in, the problems of those that cannot, and how many data lines there were."""
    good: list[ImportLine] = []
    problems: list[SubscriberImportProblem] = []
    first_line: dict[str, int] = {}
    count = 0
    try:
        for line, row in _rows(_text(data)):
            count += 1
            if count > MAX_ROWS:
                raise UnreadableFile(f"more than {MAX_ROWS:,} subscribers: split the file")
            if count % 500 == 0:
                time.sleep(0)  # in the service (eventlet), let its other work run between chunks of lines
            values = {key: value for key, value in row.items() if value}
            if "consent_date" in values:
                try:
                    values["consent_date"] = spreadsheet_date(values["consent_date"])
                except ValueError as wrong:
                    problems.append(SubscriberImportProblem(row=line, field="consent_date", reason=str(wrong)))
                    continue
            try:
                subscriber = ImportedSubscriber.model_validate(values)
            except ValidationError as exc:
                field, message = field_and_message(exc.errors()[0]["loc"], exc.errors()[0]["msg"])
                problems.append(SubscriberImportProblem(row=line, field=field, reason=message))
                continue
            email = subscriber.email.lower()
            if email in first_line:
                problems.append(SubscriberImportProblem(
                    row=line, field="email", reason=f"the same address is on line {first_line[email]}"))
                continue
            first_line[email] = line
            good.append(ImportLine(line, subscriber))
    except UnreadableFile as exc:
        return [], [SubscriberImportProblem(row=1, field=None, reason=str(exc))], count
    return good, problems, count
