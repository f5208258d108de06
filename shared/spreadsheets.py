"""CSV that Japanese Excel opens correctly and cannot turn into formulas (CSV injection)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def neutralise_cell(value: object) -> str:
    """A cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def excel_csv(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """UTF-8 with a BOM (so Excel does not read it as Shift_JIS), CRLF, every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise_cell(value) for value in row])
    return BOM + out.getvalue()


def decode_spreadsheet(data: bytes) -> str:
    """UTF-8 with or without BOM, else Shift_JIS as Japanese Excel writes it (cp932, its superset)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp932")
