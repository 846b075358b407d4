"""SPSE datasets in the shapes LKPP really publishes them, written by the tests themselves.

- ISB JSON: an array of objects; dates ``2025-03-21T00:00:00.000000Z``; money as plain decimals with a
  point (JSON numbers or text); NPWP in two fields, 15 digits with dots and 16 digits; ``tgl_kontrak_akhir``
  equal to ``tgl_kontrak``; HTML inside ``lingkup_pekerjaan``; satker names in capitals with a code;
- INAPROC XLSX: the same fields as headers under two title rows, a ``_metadata`` second sheet, dates as
  ``Nov 10, 2025, 12:00:00AM`` and dd-mm-yyyy; CSV with the same fields.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from sqlalchemy import func, select

from monitor.bootstrap import App
from monitor.ingest import ImportReport
from monitor.settings import Settings
from tests.conftest import write_settings

SATKER_PU = ("DINAS PEKERJAAN UMUM DAN TATA RUANG", "1.03.0.00.0.00.01.0000")
SATKER_DINKES = ("DINAS KESEHATAN", "1.02.0.00.0.00.01.0000")
NOMOR = "000.3.3/ 2534 /2025/PUPR–Jambi"  # spaces and an en dash, as typed in e-Kontrak
KD_TENDER = "10034567000"


def kontrak(**changes: Any) -> dict[str, Any]:
    """One e-Kontrak row of a tender, as the ISB API gives it."""
    row: dict[str, Any] = {
        "tahun_anggaran": 2025, "kd_klpd": "D123", "nama_klpd": "Kota Jambi",
        "kd_satker_str": SATKER_PU[1], "nama_satker": SATKER_PU[0], "kd_tender": KD_TENDER,
        "nama_paket": "Rehabilitasi Jalan Lingkungan Kenali Asam", "no_kontrak": NOMOR,
        "tgl_kontrak": "2025-03-21T00:00:00.000000Z", "tgl_kontrak_awal": "2025-03-24T00:00:00.000000Z",
        "tgl_kontrak_akhir": "2025-03-21T00:00:00.000000Z",  # as in every real row: not the end of works
        "nama_penyedia": "CV KARYA ABADI", "npwp_penyedia": "73.593.405.1-443.000",
        "npwp_16_penyedia": "0735934051443000", "nilai_kontrak": 1269963504.15, "status_kontrak": "Aktif",
        "apakah_addendum": "Tidak", "versi_addendum": 0, "alasan_addendum": None,
        "nama_ppk": "Ir. BUDI SANTOSO", "nip_ppk": "197001011995031001",
        "lingkup_pekerjaan": "<p>Pekerjaan <b>perkerasan</b> jalan &amp; drainase</p>",
    }
    row.update(changes)
    return {k: v for k, v in row.items() if v is not ...}


def spmk(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kd_tender": KD_TENDER, "no_kontrak": NOMOR, "no_spmk_spp": "027/SPMK/PUPR/III/2025",
        "tgl_spmk_spp": "2025-03-24T00:00:00.000000Z", "tgl_mulai_pekerjaan": "2025-03-24T00:00:00.000000Z",
        "tgl_selesai_pekerjaan": "2025-08-20T00:00:00.000000Z", "waktu_penyelesaian": "150 Hari Kalender",
    }
    row.update(changes)
    return {k: v for k, v in row.items() if v is not ...}


def paket(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kd_tender": KD_TENDER, "kd_rup": "41234567", "nama_paket": "Rehabilitasi Jalan Lingkungan Kenali Asam",
        "pagu": "1300000000.00", "hps": "1290000000.00", "sumber_dana": "APBD",
        "jenis_pengadaan": "Pekerjaan Konstruksi", "nama_satker": SATKER_PU[0], "kd_satker_str": SATKER_PU[1],
    }
    row.update(changes)
    return row


def write_json(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(list(rows), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def write_xlsx(path: Path, rows: Sequence[dict[str, Any]], *, title: str = "Data E-Kontrak Non Tender") -> Path:
    """INAPROC's download: two title rows, the header, the rows; a ``_metadata`` sheet after."""
    header = list(dict.fromkeys(k for row in rows for k in row))
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("data")
    sheet.write_row(0, 0, [title])
    sheet.write_row(1, 0, ["Sumber: INAPROC LKPP, diunduh 2 Desember 2025"])
    sheet.write_row(3, 0, header)
    for index, row in enumerate(rows, start=4):
        sheet.write_row(index, 0, [row.get(k) for k in header])
    meta = book.add_worksheet("_metadata")
    meta.write_row(0, 0, ["kolom", "keterangan"])
    meta.write_row(1, 0, ["kd_nontender", "kode paket non tender"])
    book.close()
    return path


def write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    header = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if row.get(k) is None else row.get(k) for k in header])
    return path


def count(app: App, model: Any) -> int:
    with app.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def balanced(report: ImportReport) -> bool:
    """Read = imported + rejected + out of scope, always."""
    return report.rows == (report.inserted + report.updated + report.unchanged + report.rejected
                           + report.out_of_scope)


# The OPD directory with satker codes, as ``config/opd.kota-jambi.toml`` writes them (OCDS's buyer too).
SATKER_DIRECTORY = f"""
[[opd]]
code = "PUPR"
name = "Dinas Pekerjaan Umum dan Penataan Ruang"
aliases = ["Dinas PUPR"]
satker_codes = ["{SATKER_PU[1]}"]

[[opd]]
code = "DINKES"
name = "Dinas Kesehatan"
aliases = ["Dinkes"]
"""


@pytest.fixture(autouse=True)
def _read_both_ways(reading: str) -> None:
    """Every import of these tests is run once here and once by the parse worker."""


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return write_settings(tmp_path, database_url, SATKER_DIRECTORY)
