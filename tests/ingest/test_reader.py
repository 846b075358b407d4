from __future__ import annotations

import codecs
from datetime import datetime
from pathlib import Path

import pytest

from monitor.ingest import IngestError
from monitor.ingest.kinds import KINDS, HeaderMatcher
from monitor.ingest.reader import open_table

from .conftest import CONTRACT_HEADER, CONTRACT_ROWS, write_csv, write_xlsx_openpyxl, write_xlsx_xlsxwriter

SCORE = HeaderMatcher(KINDS["contracts"]).score


def read(path: Path, sheet: str | None = None) -> tuple[list[str], int, list[tuple[int, list[object]]], dict]:
    with open_table(path, score=SCORE, sheet=sheet) as table:
        return table.header, table.header_line, [(line, list(cells)) for line, cells in table.rows], table.notes


@pytest.mark.parametrize(
    ("delimiter", "encoding", "expected"),
    [(",", "utf-8", "utf-8"), (";", "utf-8", "utf-8"), (";", "utf-8-sig", "utf-8-sig"), (",", "utf-8-sig", "utf-8-sig"),
     (";", "cp1252", "cp1252"), (",", "cp1252", "cp1252"), ("\t", "utf-16", "utf-16")],
)
def test_csv_delimiter_and_encoding_are_detected(tmp_path: Path, delimiter: str, encoding: str, expected: str) -> None:
    path = write_csv(tmp_path / "k.csv", [CONTRACT_HEADER, *CONTRACT_ROWS], delimiter=delimiter, encoding=encoding)
    header, header_line, rows, notes = read(path)
    assert header == CONTRACT_HEADER
    assert header_line == 1
    assert notes["delimiter"] == delimiter
    assert notes["encoding"] == expected
    # The cp1252 right single quote (0x92) and the comma inside a value survive.
    assert rows == [(2, CONTRACT_ROWS[0]), (3, CONTRACT_ROWS[1])]
    assert rows[0][1][3] == "Rehab Masjid Syara’ RT 14"


def test_the_utf8_bom_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "k.csv", [CONTRACT_HEADER], encoding="utf-8-sig")
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    assert read(path)[0][0] == "No. Kontrak"


def test_line_numbers_are_physical_lines_even_with_line_breaks_inside_cells(tmp_path: Path) -> None:
    rows = [CONTRACT_HEADER, ["A", "Nama\nPaket\ndua baris"] + [""] * 8, [], ["B"] + [""] * 9]
    path = write_csv(tmp_path / "k.csv", rows, title=["LAPORAN KONTRAK TA 2026", ""])
    _, header_line, found, _ = read(path)
    assert header_line == 3
    # "A" starts on line 4 and spans 4-6; line 7 is blank; "B" is on line 8.
    assert [(line, cells[0]) for line, cells in found] == [(4, "A"), (8, "B")]


def test_title_rows_above_the_csv_header_are_skipped(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "k.csv", [CONTRACT_HEADER, *CONTRACT_ROWS], delimiter=";",
                     title=["PEMERINTAH KOTA JAMBI;;", "Daftar Kontrak, Tahun 2026;;", ";;"])
    header, header_line, rows, _ = read(path)
    assert header == CONTRACT_HEADER
    assert header_line == 4
    assert [line for line, _ in rows] == [5, 6]


@pytest.mark.parametrize("writer", [write_xlsx_xlsxwriter, write_xlsx_openpyxl])
def test_xlsx_title_rows_real_dates_and_numbers(tmp_path: Path, writer: object) -> None:
    rows = [CONTRACT_HEADER, ["027/14", datetime(2026, 3, 2), "PUPR", "Rehab", "CV A", None, 1_250_000_000,
                              None, datetime(2026, 8, 25), 41234567]]
    path = writer(tmp_path / "k.xlsx", rows, title=["DAFTAR KONTRAK", "Kota Jambi 2026"])  # type: ignore[operator]
    header, header_line, found, notes = read(path)
    assert header == CONTRACT_HEADER
    assert header_line == 3
    assert notes["format"] == "xlsx"
    (line, cells), = found
    assert line == 4
    assert cells[1] == datetime(2026, 3, 2)
    assert cells[6] == 1_250_000_000
    assert cells[9] == 41234567


@pytest.mark.parametrize("writer", [write_xlsx_xlsxwriter, write_xlsx_openpyxl])
def test_xlsx_named_sheet_is_read_instead_of_the_first(tmp_path: Path, writer: object) -> None:
    path = writer(tmp_path / "k.xlsx", [CONTRACT_HEADER, CONTRACT_ROWS[0]], sheet="Kontrak 2026",  # type: ignore[operator]
                  first_sheet="Ringkasan")
    with pytest.raises(IngestError, match="bukan tabel"):
        read(path)
    _, _, rows, notes = read(path, sheet="kontrak 2026")
    assert notes["sheet"] == "Kontrak 2026"
    assert rows[0][1][0] == CONTRACT_ROWS[0][0]
    with pytest.raises(IngestError, match="'Ringkasan', 'Kontrak 2026'"):
        read(path, sheet="Tidak Ada")


def test_xlsx_with_a_misleading_extension_is_still_read(tmp_path: Path) -> None:
    path = write_xlsx_openpyxl(tmp_path / "kontrak.dat", [CONTRACT_HEADER, CONTRACT_ROWS[0]])
    assert read(path)[2][0][0] == 2


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"", "kosong"), (b"\n\n", "kosong"), (b"%PDF-1.7\n...", "PDF"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
     ".xls"), (b"PK\x03\x04 broken zip", "rusak"), (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)), "bukan"),
     (b"Surat ini untuk Dinas PUPR.\nTerima kasih.\n", "bukan tabel")],
)
def test_what_is_not_a_table_fails_with_a_clear_message(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(IngestError, match=says):
        read(path)


def test_a_missing_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="tidak dapat dibuka"):
        read(tmp_path / "hilang.csv")


def test_an_xlsx_whose_sheet_breaks_off_is_a_clear_error(tmp_path: Path) -> None:
    import zipfile

    good = write_xlsx_openpyxl(tmp_path / "good.xlsx", [CONTRACT_HEADER, *CONTRACT_ROWS, *CONTRACT_ROWS])
    broken = tmp_path / "kontrak.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":  # cut off in the middle of row 4, as a copy breaks
                data = data[:data.index(b'<row r="4"')] + b'<row r="4"><c r="A4" <<<'
            target.writestr(item, data)
    with pytest.raises(IngestError, match=r"kontrak.xlsx: setelah baris 3: file Excel rusak"):
        read(broken)
