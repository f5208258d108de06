"""CSV that Japanese Excel opens correctly and cannot turn into formulas (CSV injection), and reading
back what Excel and LibreOffice save: their encodings, their separators, their ways of writing dates.

Neutralising and un-neutralising are a pair: `unneutralise_cell(neutralise_cell(x)) == x` for every
text, so an exported sheet imports back unchanged, while a cell someone typed with a real leading
apostrophe (`'90s`) keeps it.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from shared.errors import Invalid

BOM = "\ufeff"
TEXT_PREFIX = "'"  # what Excel itself uses to say "this cell is text"
# OWASP's CSV injection list (= + - @, tab, CR, LF) and what spreadsheets also read as a formula start:
# the full-width and small forms of those signs (a Japanese IME types ＝), and leading spaces or control
# characters, which LibreOffice and some Excel versions skip before looking for a sign.
_FORMULA_SIGNS = frozenset("=+-@\u2212")
_LEADING_TRAPS = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})  # spaces, line and paragraph breaks, controls


def _starts_dangerously(text: str) -> bool:
    first = text[0]
    return (unicodedata.normalize("NFKC", first)[:1] in _FORMULA_SIGNS
            or unicodedata.category(first) in _LEADING_TRAPS)


def neutralise_cell(value: object) -> str:
    """A cell that a spreadsheet shows as text, never runs as a formula. A text that itself starts with
    the text prefix gets one more, so that `unneutralise_cell` can tell the two apart."""
    text = "" if value is None else str(value)
    if text and (_starts_dangerously(text) or text.startswith(TEXT_PREFIX)):
        return TEXT_PREFIX + text
    return text


def unneutralise_cell(text: str) -> str:
    """The exact inverse of `neutralise_cell`: drop the one prefix it adds, nothing else."""
    rest = text[len(TEXT_PREFIX):]
    if text.startswith(TEXT_PREFIX) and rest and (_starts_dangerously(rest) or rest.startswith(TEXT_PREFIX)):
        return rest
    return text


def excel_csv(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """UTF-8 with a BOM (so Excel does not read it as Shift_JIS), CRLF, every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise_cell(value) for value in row])
    return BOM + out.getvalue()


_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
ENCODINGS_ACCEPTED = ("UTF-8 (with or without BOM), Shift_JIS (cp932, as Japanese Excel saves \"CSV\"), "
                      "or UTF-16 with BOM (Excel's \"Unicode text\")")


def decode_spreadsheet(data: bytes) -> str:
    """The text of a saved sheet: a BOM decides (UTF-8, or UTF-16 as Excel's "Unicode text"); without
    one UTF-8, else Shift_JIS as Japanese Excel writes it (cp932, its superset). Invalid otherwise."""
    for mark, encoding in _BOMS:
        if data.startswith(mark):
            try:
                return data[len(mark):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise Invalid(f"the file starts as {encoding} but byte {exc.start + len(mark)} is not "
                              f"{encoding}; save it again as {ENCODINGS_ACCEPTED}", "body") from None
    for encoding in ("utf-8", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:  # UTF-16 without its BOM decodes as UTF-8 with a NUL in every other place
            break
        return text
    raise Invalid(f"the file is not text this can read; save it as {ENCODINGS_ACCEPTED}", "body")


def sheet_dialect(text: str) -> type[csv.Dialect]:
    """Comma-separated, or tab-separated as Excel's "Unicode text" is: the header line decides."""
    header = text.split("\n", 1)[0]
    return csv.excel_tab if "\t" in header and "," not in header else csv.excel


# --- dates as people type them into Japanese spreadsheets ---------------------------------------------

DATE_FORMATS_ACCEPTED = "2025-04-01, 2025/4/1, 2025/04/01, 2025.4.1, 2025年4月1日, R7.4.1 or 令和7年4月1日"
# Japanese eras a membership date can fall in (Heisei from 8 January 1989, Reiwa from 1 May 2019).
_ERAS = {"h": 1988, "平成": 1988, "r": 2018, "令和": 2018}
_GREGORIAN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_ERA = re.compile(r"^(h|r|平成|令和)\s*(\d{1,2}|元)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def spreadsheet_date(text: str) -> date:
    """A date as Japanese Excel saves or people type it (full-width digits too); ValueError naming the
    formats accepted otherwise."""
    cleaned = unicodedata.normalize("NFKC", text).strip().lower()
    try:
        if match := _GREGORIAN.match(cleaned):
            return date(*(int(part) for part in match.groups()))
        if match := _ERA.match(cleaned):
            era, year, month, day = match.groups()
            return date(_ERAS[era] + (1 if year == "元" else int(year)), int(month), int(day))
    except ValueError:
        pass
    raise ValueError(f"{text!r} is not a date; write it as {DATE_FORMATS_ACCEPTED}")
