"""The big tables' rows built as SpreadsheetML by polars (:meth:`SafeWorkbook.frame_table`), read back with
two readers (openpyxl, python-calamine): the same cells, types and formats as XlsxWriter's own per-cell API
writes (:meth:`SafeWorkbook.table`) for the same rows, hostile text included; the sheet split; the monev
report's every sheet equal to the one written cell by cell."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any

import polars as pl
import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from monitor.report import MonevParams, render_monev
from monitor.report.lists import as_dicts
from monitor.spreadsheet import Field, SafeWorkbook
from tests.report.conftest import AS_OF, City

FIELDS = [Field("id", "ID", "int"), Field("text", "Teks"), Field("npwp", "NPWP", "id"),
          Field("nilai", "Nilai", "money"), Field("tanggal", "Tanggal", "date")]
HOSTILE = ['=HYPERLINK("http://evil.example","klik")', "<script>alert(1)</script>", "a\x01b\x1fc",
           "baris 1\r\nbaris 2\rbaris 3", "Jalan 🏗️ & <Gedung>", " spasi depan", "tanpa_x0041_escape", "+62 812",
           "@SUM(A1)", "\tTab", "x" * 40_000, "", None, "biasa"]


def _frame() -> pl.DataFrame:
    n = len(HOSTILE)
    return pl.DataFrame({
        "id": pl.Series(list(range(1, n + 1)), dtype=pl.Int64),
        "text": pl.Series(HOSTILE, dtype=pl.String),
        "npwp": pl.Series(["001234567890000", None, "0", *["09.876"] * (n - 3)], dtype=pl.String),
        "nilai": pl.Series([1_500_000, None, 0, -5, *[10**12] * (n - 4)], dtype=pl.Int64),
        "tanggal": pl.Series([date(2026, 4, 1), None, date(1900, 3, 1), *[date(2026, 12, 31)] * (n - 3)],
                             dtype=pl.Date),
    })


def _book(frames: list[pl.DataFrame], *, cell_by_cell: bool, max_rows: int = 1_048_576) -> bytes:
    book = SafeWorkbook(max_rows=max_rows)
    before = ["Judul daftar", "baris kedua"]
    if cell_by_cell:
        book.table("Daftar", FIELDS, as_dicts(frames), before=before)
    else:
        book.frame_table("Daftar", FIELDS, iter(frames), before=before)
    return book.close()


def _openpyxl(data: bytes) -> dict[str, list[list[tuple[Any, str, str]]]]:
    """Every sheet's cells as (value, data type, number format), not read-only: data_type tells a formula."""
    book = load_workbook(io.BytesIO(data))
    return {sheet.title: [[(c.value, c.data_type, c.number_format) for c in row] for row in sheet.iter_rows()]
            for sheet in book.worksheets}


def _calamine(data: bytes) -> dict[str, list[list[Any]]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}


def test_the_built_rows_read_back_as_xlsxwriter_writes_them_with_two_readers() -> None:
    frames = [_frame().head(5), _frame().slice(5)]  # two chunks: the rows continue
    built, reference = _book(frames, cell_by_cell=False), _book(frames, cell_by_cell=True)
    assert _openpyxl(built) == _openpyxl(reference)
    assert _calamine(built) == _calamine(reference)


def test_hostile_text_stays_text_and_values_keep_their_types() -> None:
    [rows] = _openpyxl(_book([_frame()], cell_by_cell=False)).values()
    header, body = rows[3], rows[4:]
    assert [value for value, _, _ in header] == [f.header for f in FIELDS]
    texts = [row[1] for row in body]
    assert texts[0] == ('=HYPERLINK("http://evil.example","klik")', "s", "General")  # never a formula
    assert texts[1][0] == "<script>alert(1)</script>"
    # Control characters as Excel's _xHHHH_ escape (openpyxl shows the escape, Excel the character), and
    # text that looks like an escape has its underscore escaped, as XlsxWriter writes them.
    assert texts[2][0] == "a_x0001_b_x001F_c"
    assert texts[3][0] == "baris 1\nbaris 2\nbaris 3"
    assert texts[4][0] == "Jalan 🏗️ & <Gedung>"
    assert texts[5][0] == " spasi depan"  # leading space preserved
    assert texts[6][0] == "tanpa_x005F_x0041_escape"
    assert [t[0] for t in texts[7:10]] == ["+62 812", "@SUM(A1)", "\tTab"]
    assert texts[10][0] == "x" * 32_767  # cut at Excel's limit
    assert texts[11][0] is None and texts[12][0] is None  # empty and null: blank
    assert all(t[1] != "f" for t in texts)
    assert body[0][2] == ("001234567890000", "s", "@")  # an NPWP keeps its leading zeros
    assert body[1][2][0] is None and body[2][2][0] == "0"
    assert body[0][3] == (1_500_000, "n", '"Rp"#,##0') and body[1][3][0] is None and body[3][3][0] == -5
    assert body[0][4] == (datetime(2026, 4, 1), "d", "dd/mm/yyyy")
    assert body[1][4][0] is None and body[2][4][0] == datetime(1900, 3, 1)
    assert body[0][0] == (1, "n", "#,##0")


@pytest.mark.parametrize("rows", [0, 1, 4, 5, 6, 13])
def test_a_table_continues_on_a_new_sheet_at_max_rows_as_the_cell_by_cell_table(rows: int) -> None:
    frame = pl.concat([_frame()] * 2).head(rows)
    frames = [frame.head(3), frame.slice(3)]
    built, reference = _book(frames, cell_by_cell=False, max_rows=8), _book(frames, cell_by_cell=True, max_rows=8)
    sheets = _openpyxl(built)
    assert sheets == _openpyxl(reference)
    # 8 rows a sheet: 2 lines of text, a blank line, the header, 4 rows.
    assert list(sheets) == ["Daftar"] + [f"Daftar ({n})" for n in range(2, max(1, -(-rows // 4)) + 1)]
    assert sum(len(sheet) - 4 for sheet in sheets.values()) == rows
    with zipfile.ZipFile(io.BytesIO(built)) as package:
        first = package.read("xl/worksheets/sheet1.xml").decode()
    assert f'<dimension ref="A1:E{4 + min(rows, 4)}"/>' in first
    assert f'<autoFilter ref="A4:E{4 + min(rows, 4)}"/>' in first


def test_every_sheet_of_the_monev_xlsx_equals_the_one_written_cell_by_cell(
        city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    built = render_monev(city.app, MonevParams(as_of=AS_OF), "xlsx")

    def cell_by_cell(self: SafeWorkbook, name: str, fields: Any, chunks: Any, *, before: Any = ()) -> int:
        return self.table(name, fields, as_dicts(chunks), before=before)

    monkeypatch.setattr(SafeWorkbook, "frame_table", cell_by_cell)
    reference = render_monev(city.app, MonevParams(as_of=AS_OF), "xlsx")
    sheets = _openpyxl(built)
    assert sum(len(rows) for rows in sheets.values()) > 40  # the lists are there, not only headers
    assert sheets == _openpyxl(reference)
    assert _calamine(built) == _calamine(reference)
