"""Importing real files into the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.bootstrap import App
from monitor.ingest import ImportReport, IngestError, ingest_file
from monitor.models import Contract, ImportBatch, RejectedRow
from monitor.settings import IngestSettings

from .conftest import CONTRACT_HEADER, CONTRACT_ROWS, write_csv, write_xlsx_openpyxl, write_xlsx_xlsxwriter


def contracts(app: App) -> list[Contract]:
    with app.sessions() as session:
        return list(session.scalars(select(Contract).order_by(Contract.nomor_kontrak)))


def count(app: App, model: Any) -> int:
    with app.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def problems(report: ImportReport) -> list[tuple[int, str | None]]:
    return [(e.line, e.column) for e in report.errors]


def test_contracts_are_stored_with_canonical_values(app: App, contracts_csv: Path) -> None:
    report = ingest_file(app, "contracts", contracts_csv)

    assert (report.rows, report.inserted, report.updated, report.unchanged, report.rejected) == (2, 2, 0, 0, 0)
    assert report.errors == []
    assert report.notes["encoding"] == "cp1252"
    pupr, perkim = sorted(contracts(app), key=lambda c: c.opd, reverse=True)
    assert pupr.opd == "PUPR" and pupr.opd_known
    assert pupr.nomor_kontrak == "027/14/SPK-PUPR/III/2026"
    assert pupr.nama_paket == "Rehab Masjid Syara’ RT 14"
    assert pupr.tanggal_kontrak == date(2026, 3, 2)
    assert pupr.tanggal_mulai == date(2026, 3, 9)
    assert pupr.tanggal_selesai == date(2026, 8, 25)
    assert pupr.nilai_kontrak == 1_250_000_000
    assert pupr.npwp_penyedia == "012345678901000"
    assert pupr.kode_paket == "41234567"
    assert (pupr.sumber_dana, pupr.jenis_pekerjaan) == ("APBD", "konstruksi")
    assert pupr.source_line == 2 and pupr.batch_id == report.batch_id and len(pupr.row_hash) == 40
    assert perkim.opd == "PERKIM"
    assert perkim.tanggal_kontrak == date(2026, 5, 5)
    assert perkim.tanggal_selesai == date(2026, 11, 30)
    assert perkim.nilai_kontrak == 98_765_432
    assert perkim.npwp_penyedia is None and perkim.tanggal_mulai is None

    with app.sessions() as session:
        batch = session.get(ImportBatch, report.batch_id)
        assert batch is not None
        assert (batch.kind, batch.file_name) == ("contracts", str(contracts_csv))
        assert batch.sha256 == hashlib.sha256(contracts_csv.read_bytes()).hexdigest()
        assert (batch.rows, batch.inserted, batch.updated, batch.unchanged, batch.rejected) == (2, 2, 0, 0, 0)
        assert batch.finished_at is not None and batch.finished_at >= batch.started_at
        assert batch.notes["delimiter"] == ";"


XLSX_ROWS = [
    CONTRACT_HEADER,
    ["027/14/SPK-PUPR/III/2026", datetime(2026, 3, 2), "Dinas PUPR", "Rehab Masjid Syara’ RT 14", "CV Karya Abadi",
     "01.234.567.8-901.000", 1_250_000_000, datetime(2026, 3, 9), datetime(2026, 8, 25), 41234567],
    ["10/SPK/PPK.05/11/2026", datetime(2026, 5, 5), "PERKIM", "Drainase Kenali Asam", "PT Bumi Jaya", None,
     98_765_432.0, None, 46356, "41234568"],
]


@pytest.mark.parametrize(
    "write",
    [
        lambda p: write_csv(p / "k.csv", [CONTRACT_HEADER, *CONTRACT_ROWS], delimiter=",", encoding="utf-8"),
        lambda p: write_csv(p / "k.csv", [CONTRACT_HEADER, *CONTRACT_ROWS], delimiter=";", encoding="utf-8-sig"),
        lambda p: write_csv(p / "k.csv", [CONTRACT_HEADER, *CONTRACT_ROWS], delimiter=",", encoding="cp1252",
                            title=["DAFTAR KONTRAK 2026"]),
        lambda p: write_xlsx_xlsxwriter(p / "k.xlsx", XLSX_ROWS, title=["DAFTAR KONTRAK", "TA 2026"]),
        lambda p: write_xlsx_openpyxl(p / "k.xlsx", XLSX_ROWS, title=["DAFTAR KONTRAK"]),
    ],
    ids=["csv-comma-utf8", "csv-semicolon-bom", "csv-comma-cp1252-title", "xlsx-xlsxwriter", "xlsx-openpyxl"],
)
def test_every_file_variant_gives_the_same_records(app: App, tmp_path: Path, write: Any) -> None:
    report = ingest_file(app, "contracts", write(tmp_path))
    assert (report.inserted, report.rejected) == (2, 0), report.errors
    found = [
        (c.opd, c.nomor_kontrak, c.tanggal_kontrak, c.nama_paket, c.npwp_penyedia, c.nilai_kontrak, c.tanggal_mulai,
         c.tanggal_selesai, c.kode_paket)
        for c in contracts(app)
    ]
    assert found == [
        ("PUPR", "027/14/SPK-PUPR/III/2026", date(2026, 3, 2), "Rehab Masjid Syara’ RT 14", "012345678901000",
         1_250_000_000, date(2026, 3, 9), date(2026, 8, 25), "41234567"),
        ("PERKIM", "10/SPK/PPK.05/11/2026", date(2026, 5, 5), "Drainase Kenali Asam", None, 98_765_432, None,
         date(2026, 11, 30), "41234568"),
    ]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_the_optional_ppk_columns_are_read_and_a_file_without_them_still_imports(
        app: App, tmp_path: Path, suffix: str) -> None:
    header = [*CONTRACT_HEADER, "Nama PPK", "NIP PPK"]
    rows = [[*CONTRACT_ROWS[0], "Ir. BUDI SANTOSO", "197001011995031001"], [*CONTRACT_ROWS[1], "", ""]]
    write = {"csv": lambda p, r: write_csv(p, r), "xlsx": lambda p, r: write_xlsx_xlsxwriter(p, r)}[suffix]
    report = ingest_file(app, "contracts", write(tmp_path / f"kontrak.{suffix}", [header, *rows]))
    assert (report.inserted, report.rejected) == (2, 0), report.errors
    assert [(c.nomor_kontrak, c.nama_ppk, c.nip_ppk) for c in contracts(app)] == [
        ("027/14/SPK-PUPR/III/2026", "Ir. BUDI SANTOSO", "197001011995031001"),
        ("10/SPK/PPK.05/11/2026", None, None)]
    # An older file, without the columns, still imports; the PPK it does not name is left unknown.
    report = ingest_file(app, "contracts", write(tmp_path / f"lama.{suffix}", [CONTRACT_HEADER, *CONTRACT_ROWS]))
    assert report.rejected == 0
    assert [c.nama_ppk for c in contracts(app)] == ["Ir. BUDI SANTOSO", None]  # not forgotten


GOOD = ["K-OK", "02/03/2026", "PUPR", "Paket", "CV A", "", "1.000.000", "", "30/09/2026", ""]


def row(**changes: str) -> list[str]:
    cells = dict(zip(CONTRACT_HEADER, GOOD, strict=True))
    cells.update({k.replace("_", " "): v for k, v in changes.items()})
    return [cells[h] for h in CONTRACT_HEADER]


def test_each_bad_row_is_rejected_with_its_line_column_and_reason(app: App, tmp_path: Path) -> None:
    rows = [
        CONTRACT_HEADER,
        row(),                                                              # 2 good
        [*row(**{"No. Kontrak": "K3"})[:4], "", *row()[5:]],                # 3 missing penyedia
        row(**{"No. Kontrak": "K4", "Nilai Kontrak (Rp)": "satu juta"}),     # 4 not a number
        row(**{"No. Kontrak": "K5", "Tgl Kontrak": "kemarin"}),              # 5 not a date
        row(**{"No. Kontrak": "K6", "Tgl Kontrak": "31/02/2026"}),           # 6 impossible date
        row(**{"No. Kontrak": "K7", "Nilai Kontrak (Rp)": "-5.000.000"}),    # 7 negative
        row(**{"No. Kontrak": "K8", "Tgl Selesai": "01/03/2026"}),           # 8 ends before the contract date
        row(**{"No. Kontrak": "K9", "Tgl SPMK": "01/10/2026"}),              # 9 ends before it starts
        row(**{"No. Kontrak": "K10", "NPWP": "12.345"}),                     # 10 NPWP of 5 digits
        row(),                                                              # 11 duplicate of line 2
        row(**{"No. Kontrak": "K12", "Satker": "Dinas PUPR"}),              # 12 good
        row(**{"No. Kontrak": "", "Tgl Kontrak": "", "Nilai Kontrak (Rp)": "x"}),  # 13 three problems
    ]
    path = write_csv(tmp_path / "kontrak_buruk.csv", rows, delimiter=";")

    report = ingest_file(app, "contracts", path)

    assert (report.rows, report.inserted, report.rejected) == (12, 2, 10)
    assert problems(report) == [
        (3, "Nama Penyedia"), (4, "Nilai Kontrak (Rp)"), (5, "Tgl Kontrak"), (6, "Tgl Kontrak"),
        (7, "Nilai Kontrak (Rp)"), (8, "Tgl Selesai"), (9, "Tgl Selesai"), (10, "NPWP"), (11, "No. Kontrak"),
        (13, "No. Kontrak"), (13, "Tgl Kontrak"), (13, "Nilai Kontrak (Rp)"),
    ]
    messages = {e.line: e.message for e in report.errors}
    assert "wajib diisi" in messages[3]
    assert "bukan angka rupiah" in messages[4]
    assert "bukan tanggal" in messages[5]
    assert "'31/02/2026' tidak ada di kalender" in messages[6]
    assert "negatif" in messages[7]
    assert messages[8] == "Tgl Selesai (1 Maret 2026) lebih awal dari Tgl Kontrak (2 Maret 2026)"
    assert messages[9] == "Tgl Selesai (30 September 2026) lebih awal dari Tgl SPMK (1 Oktober 2026)"
    assert "15 atau 16 digit" in messages[10]
    assert "sudah ada di baris 2" in messages[11]
    assert [c.nomor_kontrak for c in contracts(app)] == ["K-OK", "K12"]

    with app.sessions() as session:
        kept = list(session.scalars(select(RejectedRow).order_by(RejectedRow.id)))
    assert [(r.line, r.column) for r in kept] == problems(report)
    first = kept[0]
    assert (first.batch_id, first.kind, first.file_name) == (report.batch_id, "contracts", str(path))
    assert first.raw["No. Kontrak"] == "K3" and first.raw["Nama Penyedia"] == ""


def test_a_report_lists_a_bounded_number_of_problems_but_keeps_them_all(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("monitor.ingest.importer.MAX_REPORTED_ERRORS", 2)
    rows = [CONTRACT_HEADER] + [row(**{"No. Kontrak": f"K{i}", "Tgl Kontrak": "kemarin"}) for i in range(5)]
    report = ingest_file(app, "contracts", write_csv(tmp_path / "k.csv", rows))
    assert report.rejected == 5
    assert problems(report) == [(2, "Tgl Kontrak"), (3, "Tgl Kontrak")]
    assert report.notes["errors_not_listed"] == 3
    assert count(app, RejectedRow) == 5


def test_reimporting_the_same_file_changes_nothing(app: App, contracts_csv: Path) -> None:
    first = ingest_file(app, "contracts", contracts_csv)
    before = [(c.id, c.batch_id, c.row_hash) for c in contracts(app)]

    again = ingest_file(app, "contracts", contracts_csv)

    assert (again.rows, again.inserted, again.updated, again.unchanged) == (2, 0, 0, 2)
    assert [(c.id, c.batch_id, c.row_hash) for c in contracts(app)] == before
    assert again.batch_id != first.batch_id
    assert count(app, Contract) == 2


def test_a_changed_row_updates_its_record(app: App, tmp_path: Path, contracts_csv: Path) -> None:
    ingest_file(app, "contracts", contracts_csv)
    changed = [CONTRACT_HEADER, [*CONTRACT_ROWS[0][:6], "Rp 1.300.000.000,-", *CONTRACT_ROWS[0][7:]], CONTRACT_ROWS[1]]
    path = write_csv(tmp_path / "kontrak_revisi.csv", changed, delimiter=";", encoding="cp1252")

    report = ingest_file(app, "contracts", path)

    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    pupr = next(c for c in contracts(app) if c.opd == "PUPR")
    assert pupr.nilai_kontrak == 1_300_000_000
    assert pupr.batch_id == report.batch_id
    assert count(app, Contract) == 2


def test_one_contract_number_in_two_opds_is_two_contracts(app: App, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "k.csv", [CONTRACT_HEADER, row(), row(Satker="Disdik")])
    report = ingest_file(app, "contracts", path)
    assert (report.inserted, report.rejected) == (2, 0)
    assert sorted(c.opd for c in contracts(app)) == ["DISDIK", "PUPR"]


def test_an_unknown_opd_is_kept_as_written_and_reported(app: App, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "k.csv", [CONTRACT_HEADER, row(Satker="Dinas Kebersihan"),
                                          row(**{"No. Kontrak": "K2", "Satker": "Dinas Kebersihan"}),
                                          row(**{"No. Kontrak": "K3", "Satker": "dpupr"})])
    report = ingest_file(app, "contracts", path)
    assert (report.inserted, report.rejected) == (3, 0)
    assert report.notes["unknown_opd"] == {"Dinas Kebersihan": 2}
    found = {(c.nomor_kontrak, c.opd, c.opd_known) for c in contracts(app)}
    assert found == {("K-OK", "Dinas Kebersihan", False), ("K2", "Dinas Kebersihan", False), ("K3", "PUPR", True)}
    with app.sessions() as session:
        batch = session.get(ImportBatch, report.batch_id)
        assert batch is not None and batch.notes["unknown_opd"] == {"Dinas Kebersihan": 2}


def test_missing_required_columns_fail_the_file_and_change_nothing(app: App, tmp_path: Path) -> None:
    header = [h for h in CONTRACT_HEADER if h not in ("Tgl Kontrak", "Nama Penyedia")]
    path = write_csv(tmp_path / "k.csv", [header, ["K1", "PUPR", "Paket", "", "1.000", "", "30/09/2026", ""]])
    with pytest.raises(IngestError, match="tidak ditemukan: tanggal_kontrak, penyedia"):
        ingest_file(app, "contracts", path)
    assert (count(app, ImportBatch), count(app, Contract), count(app, RejectedRow)) == (0, 0, 0)


def test_a_file_that_breaks_halfway_changes_nothing(app: App, tmp_path: Path) -> None:
    rows = [CONTRACT_HEADER] + [row(**{"No. Kontrak": f"K{i}"}) for i in range(250)]
    path = write_csv(tmp_path / "k.csv", rows)
    path.write_bytes(path.read_bytes() + b"K999,\x00\x00 rusak\r\n")
    small = App(app.settings.model_copy(update={"ingest": IngestSettings(chunk_rows=100)}), app.engine, app.sessions)
    with pytest.raises(IngestError, match="baris 252"):
        ingest_file(small, "contracts", path)
    assert (count(app, ImportBatch), count(app, Contract), count(app, RejectedRow)) == (0, 0, 0)


def test_chunks_keep_counts_and_duplicates_across_chunk_borders(app: App, tmp_path: Path) -> None:
    rows = [CONTRACT_HEADER] + [row(**{"No. Kontrak": f"K{i}"}) for i in range(250)] + [row(**{"No. Kontrak": "K5"})]
    path = write_csv(tmp_path / "k.csv", rows)
    small = App(app.settings.model_copy(update={"ingest": IngestSettings(chunk_rows=100)}), app.engine, app.sessions)
    seen: list[int] = []
    report = ingest_file(small, "contracts", path, progress=seen.append)
    assert (report.rows, report.inserted, report.rejected) == (251, 250, 1)
    assert problems(report) == [(252, "No. Kontrak")] and "baris 7" in report.errors[0].message
    assert seen == [100, 200, 251]
    again = ingest_file(small, "contracts", path)
    assert (again.inserted, again.updated, again.unchanged, again.rejected) == (0, 0, 250, 1)


def test_configured_aliases_name_columns_the_built_ins_do_not_know(app: App, tmp_path: Path) -> None:
    aliases = {"contracts": {"nomor_kontrak": ("Nomor Surat Pesanan",), "penyedia": ("Badan Usaha",)}}
    custom = App(app.settings.model_copy(update={"ingest": IngestSettings(aliases=aliases)}), app.engine, app.sessions)
    header = ["Nomor Surat Pesanan" if h == "No. Kontrak" else "Badan Usaha" if h == "Nama Penyedia" else h
              for h in CONTRACT_HEADER]
    report = ingest_file(custom, "contracts", write_csv(tmp_path / "k.csv", [header, row()]))
    assert report.inserted == 1
    assert contracts(app)[0].penyedia == "CV A"


def test_an_alias_for_an_unknown_column_is_a_clear_error(app: App, tmp_path: Path, contracts_csv: Path) -> None:
    aliases = {"contracts": {"nomor_spk": ("No SPK",)}}
    custom = App(app.settings.model_copy(update={"ingest": IngestSettings(aliases=aliases)}), app.engine, app.sessions)
    with pytest.raises(IngestError, match="nomor_spk tidak dikenal"):
        ingest_file(custom, "contracts", contracts_csv)


def test_an_unknown_kind_is_refused(app: App, contracts_csv: Path) -> None:
    with pytest.raises(IngestError, match="pilihan: contracts, addenda"):
        ingest_file(app, "kontrak", contracts_csv)


def test_cells_beyond_the_header_are_said_with_their_lines(app: App, tmp_path: Path) -> None:
    rows = [
        CONTRACT_HEADER,
        row(**{"No. Kontrak": "K1"}),
        [*row(**{"No. Kontrak": "K2"}), "geser", "1.000.000"],  # 3: a shifted column, say so
        [*row(**{"No. Kontrak": "K3"}), ""],                     # 4: a trailing separator only: nothing to say
        [*row(**{"No. Kontrak": "K4"}), "x"],                    # 5
    ]
    report = ingest_file(app, "contracts", write_csv(tmp_path / "kontrak.csv", rows, delimiter=";"))
    assert (report.inserted, report.rejected) == (4, 0)
    assert report.notes["extra_cells"] == {"rows": 2, "lines": [3, 5]}
