"""``pantau ingest spse``: SPSE's datasets joined into contracts, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from datetime import date
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.check.context import load_records
from monitor.ingest import IngestError
from monitor.ingest.spse.importer import ingest_spse
from monitor.ingest.spse.values import parse_members
from monitor.ingest.values import BadValue
from monitor.matching.normalize import npwp_key
from monitor.models import Addendum, Contract, ImportBatch, RejectedRow, SourceStage

from .conftest import (
    KD_TENDER,
    NOMOR,
    SATKER_DINKES,
    balanced,
    count,
    kontrak,
    paket,
    spmk,
    write_csv,
    write_json,
    write_xlsx,
)


def contracts(app: App) -> list[Contract]:
    with app.sessions() as session:
        return list(session.scalars(select(Contract).order_by(Contract.nomor_kontrak)))


def test_a_tender_contract_and_its_spmk_make_one_complete_contract(app: App, tmp_path: Path) -> None:
    first = ingest_spse(app, write_json(tmp_path / "kontrak.json", [kontrak()]))
    second = ingest_spse(app, write_json(tmp_path / "spmk.json", [spmk()]))

    assert (first.rows, first.inserted, first.rejected, first.notes["stage"]) == (1, 1, 0, "kontrak")
    assert (second.rows, second.inserted, second.notes["stage"]) == (1, 1, "spmk")
    assert first.notes["contracts"]["incomplete"] == 1 and second.notes["contracts"]["incomplete"] == 0
    [contract] = contracts(app)
    assert (contract.opd, contract.opd_known, contract.nomor_kontrak) == ("PUPR", True, NOMOR)
    assert contract.tanggal_kontrak == date(2025, 3, 21)
    # The end of works is the SPMK's, never tgl_kontrak_akhir (equal to tgl_kontrak in real exports).
    assert (contract.tanggal_mulai, contract.tanggal_selesai) == (date(2025, 3, 24), date(2025, 8, 20))
    assert (contract.complete, contract.sumber_tanggal_selesai) == (True, "spmk")
    # The sen are kept; the premium's base is whole rupiah, half up.
    assert (contract.nilai_kontrak_sen, contract.nilai_kontrak) == (126_996_350_415, 1_269_963_504)
    assert contract.npwp_penyedia == "735934051443000"
    assert (contract.source, contract.kd_tender, contract.kd_nontender) == ("spse", KD_TENDER, None)
    assert contract.penyedia == "CV KARYA ABADI" and contract.source_key == f"spse:tender:{KD_TENDER}:{NOMOR}"


@pytest.mark.parametrize("order", list(permutations(("paket", "kontrak", "spmk"))))
def test_the_stages_join_in_any_order(app: App, tmp_path: Path, order: tuple[str, ...]) -> None:
    makers = {"paket": paket, "kontrak": kontrak, "spmk": spmk}
    for name in order:
        report = ingest_spse(app, write_json(tmp_path / f"{name}.json", [makers[name]()]))
        assert report.rejected == 0 and balanced(report)
    [contract] = contracts(app)
    assert (contract.tanggal_selesai, contract.complete, contract.in_scope) == (date(2025, 8, 20), True, True)
    assert (contract.kode_paket, contract.jenis_pekerjaan, contract.scope_guessed) == ("41234567", "konstruksi", False)
    assert contract.scope_reason == "jenis pengadaan 'Pekerjaan Konstruksi'"


def test_a_contract_without_its_spmk_is_kept_incomplete_and_completed_later(app: App, tmp_path: Path) -> None:
    ingest_spse(app, write_json(tmp_path / "kontrak.json", [kontrak()]))
    [contract] = contracts(app)
    assert (contract.complete, contract.tanggal_selesai, contract.sumber_tanggal_selesai) == (False, None, None)
    with app.sessions() as session:
        records = load_records(session.connection())
    [read] = records.contracts  # checked by the rules that do not need the end of works
    assert read.tanggal_selesai is None and (records.left_out["incomplete"], records.left_out["end_unknown"]) == (0, 1)

    ingest_spse(app, write_json(tmp_path / "spmk.json", [spmk()]))
    with app.sessions() as session:
        records = load_records(session.connection())
    [checked] = records.contracts
    assert checked.tanggal_selesai == date(2025, 8, 20) and records.left_out["end_unknown"] == 0


def test_an_spmk_without_end_date_ends_after_the_completion_period(app: App, tmp_path: Path) -> None:
    ingest_spse(app, write_json(tmp_path / "kontrak.json", [kontrak()]))
    ingest_spse(app, write_json(tmp_path / "spmk.json", [spmk(tgl_selesai_pekerjaan=None,
                                                              waktu_penyelesaian="90 Hari Kalender")]))
    [contract] = contracts(app)
    # 90 calendar days from 24 March 2025, the first day counted: 21 June 2025.
    assert (contract.tanggal_selesai, contract.sumber_tanggal_selesai) == (date(2025, 6, 21), "waktu_penyelesaian")


def test_the_bapbast_handover_is_the_actual_end(app: App, tmp_path: Path) -> None:
    ingest_spse(app, write_json(tmp_path / "kontrak.json", [kontrak()]))
    ingest_spse(app, write_json(tmp_path / "spmk.json", [spmk()]))
    ingest_spse(app, write_json(tmp_path / "bapbast.json", [
        {"kd_tender": KD_TENDER, "no_kontrak": NOMOR, "no_bapbast": "BAST/01", "tgl_bapbast": "05-09-2025"}]))
    [contract] = contracts(app)
    assert (contract.tanggal_selesai, contract.sumber_tanggal_selesai) == (date(2025, 9, 5), "bapbast")


def test_an_spmk_with_only_the_contract_number_joins_by_it(app: App, tmp_path: Path) -> None:
    ingest_spse(app, write_json(tmp_path / "spmk.json", [spmk(kd_tender=...)]))
    assert contracts(app) == []
    ingest_spse(app, write_json(tmp_path / "kontrak.json", [kontrak()]))
    [contract] = contracts(app)
    assert (contract.tanggal_selesai, contract.complete) == (date(2025, 8, 20), True)


def test_reimporting_changes_nothing(app: App, tmp_path: Path) -> None:
    path = write_json(tmp_path / "kontrak.json", [kontrak(), kontrak(kd_tender="2", no_kontrak="K-2")])
    ingest_spse(app, path)
    hashes = {c.nomor_kontrak: c.row_hash for c in contracts(app)}
    again = ingest_spse(app, path)
    assert (again.rows, again.inserted, again.updated, again.unchanged) == (2, 0, 0, 2)
    assert again.notes["contracts"] == {"inserted": 0, "updated": 0, "unchanged": 2, "conflicts": 0,
                                        "incomplete": 2, "out_of_scope": 0}
    assert {c.nomor_kontrak: c.row_hash for c in contracts(app)} == hashes


def test_the_date_and_money_forms_of_spse_are_read_and_the_indonesian_form_refused(
        app: App, tmp_path: Path) -> None:
    rows = [
        kontrak(kd_tender="1", no_kontrak="K-1", tgl_kontrak="Nov 10, 2025, 12:00:00AM", nilai_kontrak="98765432.10"),
        kontrak(kd_tender="2", no_kontrak="K-2", tgl_kontrak="10-11-2025", nilai_kontrak=150000000),
        kontrak(kd_tender="3", no_kontrak="K-3", nilai_kontrak="1.269.963.504,15"),
        kontrak(kd_tender="4", no_kontrak="K-4", tgl_kontrak="31-02-2025"),
    ]
    report = ingest_spse(app, write_json(tmp_path / "kontrak.json", rows))
    assert (report.rows, report.inserted, report.rejected) == (4, 2, 2) and balanced(report)
    by_number = {c.nomor_kontrak: c for c in contracts(app)}
    assert by_number["K-1"].tanggal_kontrak == by_number["K-2"].tanggal_kontrak == date(2025, 11, 10)
    assert (by_number["K-1"].nilai_kontrak_sen, by_number["K-1"].nilai_kontrak) == (9_876_543_210, 98_765_432)
    assert by_number["K-2"].nilai_kontrak_sen == 15_000_000_000
    [(line3, where3), (line4, where4)] = [(e.line, e.column) for e in report.errors]
    assert (line3, where3, line4, where4) == (3, "$[2].nilai_kontrak", 4, "$[3].tgl_kontrak")
    assert "desimal dengan titik" in report.errors[0].message
    assert "tidak ada di kalender" in report.errors[1].message


@pytest.mark.parametrize(("npwp15", "npwp16", "stored"), [
    ("73.593.405.1-443.000", "0735934051443000", "735934051443000"),
    ("73.593.405.1-443.000", "tidak ada data (null)", "735934051443000"),
    (None, "0735934051443000", "0735934051443000"),
    ("tidak ada data (null)", "0735934051443000", "0735934051443000"),
    ("", None, None),
])
def test_both_npwp_forms_are_read(app: App, tmp_path: Path, npwp15: str | None, npwp16: str | None,
                                  stored: str | None) -> None:
    # The second spelling of the 16-digit field, as some exports write it.
    ingest_spse(app, write_json(tmp_path / "kontrak.json", [
        kontrak(npwp_penyedia=npwp15, npwp_16_penyedia=..., npwp16_penyedia=npwp16)]))
    [contract] = contracts(app)
    assert contract.npwp_penyedia == stored
    if stored is not None:  # one taxpayer to the matcher, whichever form the row gave
        assert npwp_key(contract.npwp_penyedia) == "735934051443000"


def test_a_goods_contract_is_kept_out_of_scope_and_counted(app: App, tmp_path: Path) -> None:
    ingest_spse(app, write_json(tmp_path / "paket.json", [
        paket(), paket(kd_tender="9", jenis_pengadaan="Pengadaan Barang", nama_paket="Pengadaan Komputer")]))
    report = ingest_spse(app, write_json(tmp_path / "kontrak.json", [
        kontrak(), kontrak(kd_tender="9", no_kontrak="K-9", nama_paket="Pengadaan Komputer")]))
    assert (report.rows, report.inserted, report.out_of_scope) == (2, 1, 1) and balanced(report)
    assert report.as_dict()["out_of_scope"] == 1 and report.as_dict()["read"] == 2
    goods = next(c for c in contracts(app) if c.nomor_kontrak == "K-9")
    assert (goods.in_scope, goods.scope_guessed) == (False, False)
    assert goods.scope_reason == "jenis pengadaan 'Pengadaan Barang' bukan konstruksi"


def test_without_the_paket_the_package_name_decides_and_says_it_guessed(app: App, tmp_path: Path) -> None:
    ingest_spse(app, write_json(tmp_path / "kontrak.json", [
        kontrak(kd_tender="1", no_kontrak="K-1", nama_paket="Belanja Alat Tulis Kantor"),
        kontrak(kd_tender="2", no_kontrak="K-2", nama_paket="Pembangunan Drainase RT 14"),
        kontrak(kd_tender="3", no_kontrak="K-3", nama_paket="Pengawasan Pembangunan Puskesmas"),
    ]))
    scope = {c.nomor_kontrak: (c.in_scope, c.jenis_pekerjaan, c.scope_guessed) for c in contracts(app)}
    assert scope == {"K-1": (False, "konstruksi", True), "K-2": (True, "konstruksi", True),
                     "K-3": (True, "konsultansi", True)}


def test_an_unknown_satker_is_kept_and_reported(app: App, tmp_path: Path) -> None:
    report = ingest_spse(app, write_json(tmp_path / "kontrak.json", [
        kontrak(kd_satker_str="9.99.0.00.0.00.01.0000", nama_satker="BADAN YANG TIDAK ADA"),
        kontrak(kd_tender="2", no_kontrak="K-2", kd_satker_str=SATKER_DINKES[1], nama_satker=SATKER_DINKES[0]),
    ]))
    by_number = {c.nomor_kontrak: c for c in contracts(app)}
    assert (by_number[NOMOR].opd, by_number[NOMOR].opd_known) == ("BADAN YANG TIDAK ADA", False)
    # No code in the directory: the satker's name in capitals finds the OPD.
    assert (by_number["K-2"].opd, by_number["K-2"].opd_known) == ("DINKES", True)
    assert report.notes["unknown_opd"] == {"BADAN YANG TIDAK ADA": 1}


def test_a_later_addendum_version_is_an_addendum_not_a_duplicate(app: App, tmp_path: Path) -> None:
    base = kontrak(kd_tender=..., kd_nontender="77001", no_kontrak="K-NT", tgl_kontrak="2025-04-01T00:00:00.000000Z")
    version = {**base, "versi_addendum": 1, "apakah_addendum": "Ya", "alasan_addendum": "tambah kurang",
               "nilai_kontrak": "1300000000.00", "tgl_kontrak": "2025-06-02T00:00:00.000000Z"}
    report = ingest_spse(app, write_json(tmp_path / "kontrak_nontender.json", [base, base, version]))
    # The exact duplicate row is not kept twice, nor refused.
    assert (report.rows, report.inserted, report.unchanged, report.rejected) == (3, 2, 1, 0)
    assert report.notes["duplicate_rows"] == 1
    [contract] = contracts(app)
    assert (contract.kd_nontender, contract.nilai_kontrak) == ("77001", 1_269_963_504)
    with app.sessions() as session:
        [addendum] = session.scalars(select(Addendum))
    assert (addendum.nomor_adendum, addendum.tanggal_adendum, addendum.nilai_kontrak_baru) == (
        "versi 1", date(2025, 6, 2), 1_300_000_000)


def test_the_ppk_is_the_one_the_latest_version_names_and_none_where_e_kontrak_names_none(
        app: App, tmp_path: Path) -> None:
    first = kontrak(kd_tender=..., kd_nontender="77001", no_kontrak="K-NT")
    handed_over = {**first, "versi_addendum": 1, "apakah_addendum": "Ya", "nama_ppk": "SITI AMINAH, S.T.",
                   "nip_ppk": "198203042006042002"}
    unnamed = kontrak(kd_tender=..., kd_nontender="77002", no_kontrak="K-NT-2", nama_ppk=..., nip_ppk=...)
    ingest_spse(app, write_json(tmp_path / "kontrak_nontender.json", [first, handed_over, unnamed]))
    ppk = {c.nomor_kontrak: (c.nama_ppk, c.nip_ppk) for c in contracts(app)}
    assert ppk == {"K-NT": ("SITI AMINAH, S.T.", "198203042006042002"), "K-NT-2": (None, None)}


def test_a_row_repeated_with_other_values_is_rejected_naming_the_first(app: App, tmp_path: Path) -> None:
    report = ingest_spse(app, write_json(tmp_path / "kontrak.json", [kontrak(), kontrak(nilai_kontrak=5)]))
    assert (report.inserted, report.rejected) == (1, 1)
    assert report.errors[0].line == 2 and "sudah ada di baris 1" in report.errors[0].message


def test_a_malformed_json_file_is_refused_whole_with_nothing_changed(app: App, tmp_path: Path) -> None:
    ingest_spse(app, write_json(tmp_path / "kontrak.json", [kontrak()]))
    before = (count(app, Contract), count(app, SourceStage), count(app, ImportBatch), count(app, RejectedRow))
    text = (tmp_path / "kontrak.json").read_text(encoding="utf-8")
    broken = tmp_path / "broken.json"
    # A good first item, then the file cut off in the middle of the second.
    broken.write_text(text.replace("]", f", {text[1:len(text) // 2]}", 1)[: len(text) + len(text) // 3],
                      encoding="utf-8")
    with pytest.raises(IngestError, match="JSON rusak"):
        ingest_spse(app, broken)
    assert (count(app, Contract), count(app, SourceStage), count(app, ImportBatch), count(app, RejectedRow)) == before


def test_an_inaproc_xlsx_with_title_rows_and_a_metadata_sheet(app: App, tmp_path: Path) -> None:
    rows = [
        kontrak(kd_tender=..., kd_nontender="88001", no_kontrak="K-X1", tgl_kontrak="Nov 10, 2025, 12:00:00AM",
                nilai_kontrak="250000000.50", lingkup_pekerjaan="<ul><li>rehab</li></ul>"),
        kontrak(kd_tender=..., kd_nontender="88002", no_kontrak="K-X2", tgl_kontrak="11-11-2025",
                npwp_penyedia="tidak ada data (null)", npwp_16_penyedia="tidak ada data (null)"),
    ]
    report = ingest_spse(app, write_xlsx(tmp_path / "ekontrak_nontender.xlsx", rows))
    assert (report.rows, report.inserted, report.rejected, report.notes["format"]) == (2, 2, 0, "table")
    by_number = {c.nomor_kontrak: c for c in contracts(app)}
    assert by_number["K-X1"].tanggal_kontrak == date(2025, 11, 10)
    assert (by_number["K-X1"].nilai_kontrak_sen, by_number["K-X1"].nilai_kontrak) == (25_000_000_050, 250_000_001)
    assert by_number["K-X2"].tanggal_kontrak == date(2025, 11, 11) and by_number["K-X2"].npwp_penyedia is None
    assert by_number["K-X1"].kd_nontender == "88001"


def test_a_csv_download_reads_like_the_json(app: App, tmp_path: Path) -> None:
    ingest_spse(app, write_csv(tmp_path / "kontrak.csv", [kontrak()]))
    report = ingest_spse(app, write_csv(tmp_path / "spmk.csv", [spmk()]))
    assert report.rejected == 0
    [contract] = contracts(app)
    assert (contract.nilai_kontrak_sen, contract.tanggal_selesai) == (126_996_350_415, date(2025, 8, 20))


def test_a_file_that_is_no_spse_dataset_is_refused(app: App, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="bukan dataset SPSE"):
        ingest_spse(app, write_json(tmp_path / "lain.json", [{"nama": "x"}]))
    single = tmp_path / "obj.json"
    single.write_text('{"kd_tender": "1"}', encoding="utf-8")
    with pytest.raises(IngestError, match="harus berupa array"):
        ingest_spse(app, single)
    assert count(app, ImportBatch) == 0


def test_a_file_larger_than_a_chunk_joins_across_chunks(app: App, tmp_path: Path) -> None:
    ingest = app.settings.ingest.model_copy(update={"chunk_rows": 100})
    app.settings = app.settings.model_copy(update={"ingest": ingest})
    rows = [kontrak(kd_tender=str(n), no_kontrak=f"K-{n}") for n in range(150)]
    # The addendum version of K-7 and the SPMK rows (joined by number only) come chunks later.
    rows += [{**kontrak(kd_tender="7", no_kontrak="K-7"), "versi_addendum": 1, "nilai_kontrak": "2000000000.00"}]
    ingest_spse(app, write_json(tmp_path / "kontrak.json", rows))
    report = ingest_spse(app, write_json(tmp_path / "spmk.json", [
        spmk(kd_tender=..., no_kontrak=f"K-{n}") for n in range(150)]))
    assert (report.rows, report.inserted, report.notes["contracts"]["updated"]) == (150, 150, 150)
    stored = {c.nomor_kontrak: c for c in contracts(app)}
    assert len(stored) == 150 and all(c.complete for c in stored.values())
    with app.sessions() as session:
        [addendum] = session.scalars(select(Addendum))
    assert (addendum.nomor_kontrak, addendum.nilai_kontrak_baru) == ("K-7", 2_000_000_000)


@pytest.mark.parametrize("written", [
    "PT. KARYA ABADI; CV. MITRA JAYA",
    "PT. KARYA ABADI, CV. MITRA JAYA",
    '["PT. KARYA ABADI", "CV. MITRA JAYA"]',
    ["PT. KARYA ABADI", "CV. MITRA JAYA"],
])
def test_the_consortium_members_spse_names_are_kept_and_read_by_the_check(
        app: App, tmp_path: Path, written: object) -> None:
    path = write_json(tmp_path / "kontrak.json", [kontrak(nama_penyedia="PT. KARYA ABADI", anggota_kso=written),
                                                  kontrak(kd_tender="2", no_kontrak="K-2")])
    ingest_spse(app, path)
    assert {c.nomor_kontrak: c.anggota_kso for c in contracts(app)} == {
        NOMOR: "PT. KARYA ABADI\nCV. MITRA JAYA", "K-2": None}
    with app.sessions() as session:
        read = {c.nomor_kontrak: c.anggota_kso for c in load_records(session.connection()).contracts}
    assert read == {NOMOR: ("PT. KARYA ABADI", "CV. MITRA JAYA"), "K-2": ()}
    again = ingest_spse(app, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


@pytest.mark.parametrize("written", [None, "", "tidak ada data (null)", "-", "[]"])
def test_no_consortium_members_where_spse_names_none(app: App, tmp_path: Path, written: object) -> None:
    ingest_spse(app, write_json(tmp_path / "kontrak.json", [kontrak(anggota_kso=written)]))
    [contract] = contracts(app)
    assert contract.anggota_kso is None


def test_members_whose_legal_form_comes_last_stay_whole() -> None:
    assert parse_members("KARYA ABADI, PT, MITRA JAYA, CV") == ["KARYA ABADI, PT", "MITRA JAYA, CV"]
    assert parse_members("PT. A Satu\nCV. B Dua; CV. B Dua") == ["PT. A Satu", "CV. B Dua"]


def test_members_that_are_not_names_are_refused() -> None:
    with pytest.raises(BadValue):
        parse_members('["PT. A", 5]')
    with pytest.raises(BadValue):
        parse_members("[PT. A")


def test_a_large_file_is_parsed_by_a_worker_process_and_written_here(
        app: App, tmp_path: Path, reading: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.ingest.spse import importer

    parsers = tmp_path / "parsed-by.txt"
    real = importer.parse_row

    def parse_row(*args: Any) -> Any:
        with parsers.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return real(*args)

    monkeypatch.setattr(importer, "parse_row", parse_row)
    report = ingest_spse(app, write_json(tmp_path / "kontrak.json", [
        kontrak(), kontrak(no_kontrak="K-2", kd_tender="2"), kontrak(no_kontrak="", kd_tender="3")]))
    assert (report.rows, report.inserted, report.rejected) == (3, 2, 1)
    assert count(app, Contract) == 2
    pids = set(parsers.read_text().split())
    assert pids == ({str(os.getpid())} if reading == "here" else pids - {str(os.getpid())}) and len(pids) == 1
