"""Real files as the exports write them: CSV in each encoding and delimiter, XLSX from two writers."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from monitor.ingest import pipeline

CONTRACT_HEADER = [
    "No. Kontrak", "Tgl Kontrak", "Satker", "Nama Paket", "Nama Penyedia", "NPWP", "Nilai Kontrak (Rp)",
    "Tgl SPMK", "Tgl Selesai", "Kode RUP",
]
CONTRACT_ROWS = [
    ["027/14/SPK-PUPR/III/2026", "02/03/2026", "Dinas PUPR", "Rehab Masjid Syara’ RT 14", "CV Karya Abadi",
     "01.234.567.8-901.000", "Rp 1.250.000.000,-", "09/03/2026", "25 Agustus 2026", "41234567"],
    ["10/SPK/PPK.05/11/2026", "5 Mei 2026", "PERKIM", "Drainase Kenali Asam", "PT Bumi Jaya", "",
     "98.765.432,00", "", "30 Nop 2026", "41234568"],
]


def write_csv(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    title: Sequence[str] = (),
) -> Path:
    """Rows as Excel's "Save as CSV" writes them (CRLF, quoting only where needed)."""
    buffer = io.StringIO(newline="")
    for line in title:
        buffer.write(line + "\r\n")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx_xlsxwriter(
    path: Path, rows: Sequence[Sequence[object]], *, title: Sequence[str] = (), sheet: str = "Sheet1",
    first_sheet: str | None = None,
) -> Path:
    """Dates as real date cells with an Indonesian display format, numbers as numbers."""
    book = xlsxwriter.Workbook(str(path))
    if first_sheet:
        book.add_worksheet(first_sheet).write(0, 0, "bukan data ini")
    ws = book.add_worksheet(sheet)
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    bold = book.add_format({"bold": True})
    for r, line in enumerate(title):
        ws.write(r, 0, line, bold)
    for r, row in enumerate(rows, start=len(title)):
        for c, value in enumerate(row):
            if isinstance(value, datetime | date):
                ws.write_datetime(r, c, value if isinstance(value, datetime) else datetime(*value.timetuple()[:3]),
                                  date_format)
            elif value is not None:
                ws.write(r, c, value)
    book.close()
    return path


def write_xlsx_openpyxl(
    path: Path, rows: Sequence[Sequence[object]], *, title: Sequence[str] = (), sheet: str = "Data",
    first_sheet: str | None = None,
) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    if first_sheet:
        ws.title = first_sheet
        ws["A1"] = "bukan data ini"
        ws = book.create_sheet(sheet)
    else:
        ws.title = sheet
    for line in title:
        ws.append([line])
    for row in rows:
        ws.append(list(row))
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, datetime | date):
                cell.number_format = "DD/MM/YYYY"
    book.save(path)
    return path


@pytest.fixture
def contracts_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "kontrak.csv", [CONTRACT_HEADER, *CONTRACT_ROWS], delimiter=";", encoding="cp1252")


@pytest.fixture(params=["here", "worker"])
def reading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A source file read and parsed in this process, or by the parse worker process as every file
    past ``PARALLEL_MIN_BYTES`` is: the same results either way."""
    if request.param == "worker":
        if not pipeline.can_fork():
            pytest.skip("this process has threads: the importer would not fork")
        monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    return str(request.param)
