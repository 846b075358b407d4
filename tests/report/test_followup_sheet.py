"""The XLSX round trip: the report's "Tindak lanjut" sheet edited as the meeting would, read back by
``pantau ingest tindak-lanjut``; bad rows rejected with line and reason, every change a history row."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from monitor.check import followup
from tests.report.conftest import AS_OF, City, pantau

HEADER_ROW = 4  # two lines of instructions, a blank line, then the header


def _sheet(city: City) -> Path:
    path = city.out / "monev.xlsx"
    result = pantau(city.app, "report", "monev", "--as-of", AS_OF.isoformat(), "--format", "xlsx", "--output",
                    str(path))
    assert result.exit_code == 0, result.output
    return path


def _columns(sheet: object) -> dict[str, int]:
    header = [cell.value for cell in sheet[HEADER_ROW]]  # type: ignore[index]
    return {title: i + 1 for i, title in enumerate(header)}


def test_edit_reimport_rejects_and_history(city: City) -> None:
    path = _sheet(city)
    book = load_workbook(path)
    sheet = book["Tindak lanjut"]
    col = _columns(sheet)
    rows = list(range(HEADER_ROW + 1, sheet.max_row + 1))
    assert len(rows) == 3
    ids = [sheet.cell(r, col["ID temuan"]).value for r in rows]
    first, second, third = rows
    sheet.cell(first, col["Status tindak lanjut"]).value = "Dalam proses"
    sheet.cell(first, col["PIC"]).value = "PPK Dinas PUPR"
    sheet.cell(first, col["Batas waktu"]).value = datetime(2026, 5, 15)
    sheet.cell(first, col["Catatan"]).value = "Penyedia dipanggil 24 April"
    sheet.cell(second, col["Status tindak lanjut"]).value = "beres"  # not a status
    sheet.cell(third, col["Batas waktu"]).value = "31/02/2026"  # no such day
    extra = sheet.max_row + 1
    sheet.cell(extra, col["ID temuan"]).value = 999_999  # no such finding
    sheet.cell(extra, col["Status tindak lanjut"]).value = "sesuai"
    book.save(path)

    result = pantau(city.app, "ingest", "tindak-lanjut", str(path), "--actor", "sekretariat monev")
    assert result.exit_code == 0, result.output
    assert "4 baris: 1 berubah, 0 tidak berubah, 3 ditolak" in result.output

    rejects = json.loads(pantau(city.app, "rejects", "--kind", "tindak-lanjut", "--format", "json").output)
    assert sorted((r["line"], r["message"]) for r in rejects) == [
        (second, "status 'beres' tidak dikenal; pilih dari: " + ", ".join(followup.FOLLOWUP_STATUSES)),
        (third, "batas waktu '31/02/2026' bukan tanggal (dd/mm/yyyy)"),
        (extra, "temuan #999999 tidak ada"),
    ]
    assert {r["column"] for r in rejects} == {"Status tindak lanjut", "Batas waktu", None}

    with city.app.sessions() as session:
        conn = session.connection()
        state = followup.followups(conn, ids, city.app.settings.report)
        [event] = followup.history(conn, ids[0])
        assert followup.history(conn, ids[1]) == [] and followup.history(conn, ids[2]) == []
    assert (state[ids[0]].status, state[ids[0]].pic, state[ids[0]].due.isoformat()) == (
        followup.PROSES, "PPK Dinas PUPR", "2026-05-15")
    assert event["actor"] == "sekretariat monev" and event["source"] == "xlsx:monev.xlsx"
    assert event["changes"]["status"] == [followup.BELUM, followup.PROSES]

    # The same file again: the good row is already so; nothing new in the history.
    again = pantau(city.app, "ingest", "tindak-lanjut", str(path), "--actor", "sekretariat monev")
    assert "1 tidak berubah" in again.output
    with city.app.sessions() as session:
        assert len(followup.history(session.connection(), ids[0])) == 1


def test_an_untouched_sheet_changes_nothing(city: City) -> None:
    path = _sheet(city)
    result = pantau(city.app, "ingest", "tindak-lanjut", str(path))
    assert "3 baris: 0 berubah, 3 tidak berubah, 0 ditolak" in result.output
    with city.app.sessions() as session:
        found = followup.followups(session.connection(), [1, 2, 3], city.app.settings.report)
    assert all(f.due_is_default and f.status == followup.BELUM for f in found.values())


def test_a_file_without_the_sheet_fails_and_changes_nothing(city: City, tmp_path: Path) -> None:
    other = tmp_path / "lain.xlsx"
    from openpyxl import Workbook

    Workbook().save(other)
    result = pantau(city.app, "ingest", "tindak-lanjut", str(other))
    assert result.exit_code == 1
    assert "tidak ada sheet 'Tindak lanjut'" in result.output
