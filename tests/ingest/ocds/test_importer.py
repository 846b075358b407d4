"""``pantau ingest ocds``: release packages, record packages and JSON Lines, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.check.context import load_records
from monitor.ingest import IngestError
from monitor.ingest.ocds.importer import ingest_ocds
from monitor.models import Addendum, Contract, ImportBatch, Payment, RejectedRow
from tests.ingest.spse.conftest import balanced, count

from .conftest import OCID, release, write_json_lines, write_record_package, write_release_package

NOMOR = "027/14/SPK-PUPR/III/2025"


def rows(app: App, model: Any) -> list[Any]:
    with app.sessions() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def test_a_release_package_maps_buyer_contract_vendor_amendments_and_payments(app: App, tmp_path: Path) -> None:
    report = ingest_ocds(app, write_release_package(tmp_path / "paket.json", [release()]))
    assert (report.rows, report.inserted, report.rejected, report.notes["format"]) == (1, 1, 0, "release package")
    [contract] = rows(app, Contract)
    assert (contract.opd, contract.opd_known, contract.nomor_kontrak) == ("PUPR", True, NOMOR)
    assert (contract.tanggal_kontrak, contract.tanggal_mulai, contract.tanggal_selesai) == (
        date(2025, 3, 21), date(2025, 3, 24), date(2025, 8, 20))
    assert (contract.nilai_kontrak_sen, contract.nilai_kontrak) == (126_996_350_415, 1_269_963_504)
    assert (contract.penyedia, contract.npwp_penyedia) == ("CV KARYA ABADI", "735934051443000")
    assert (contract.source, contract.ocid, contract.complete, contract.sumber_tanggal_selesai) == (
        "ocds", OCID, True, "ocds")
    assert (contract.in_scope, contract.jenis_pekerjaan, contract.kode_paket) == (True, "konstruksi", "41234567")
    [addendum] = rows(app, Addendum)
    assert (addendum.nomor_kontrak, addendum.nomor_adendum, addendum.tanggal_adendum) == (
        NOMOR, "ADD-1", date(2025, 6, 2))
    [payment] = rows(app, Payment)
    assert (payment.nomor_sp2d, payment.tanggal_sp2d, payment.nilai, payment.opd, payment.nomor_kontrak) == (
        f"{OCID}/SP2D-0001/2025", date(2025, 5, 10), 380_989_051, "PUPR", NOMOR)
    with app.sessions() as session:
        [checked] = load_records(session.connection()).contracts
    assert checked.nomor_kontrak == NOMOR


def test_a_record_package_reads_the_compiled_releases(app: App, tmp_path: Path) -> None:
    report = ingest_ocds(app, write_record_package(tmp_path / "record.json", [
        release(), release("ocds-jmb001-2", contracts=[{**release()["contracts"][0], "id": "K-2"}])]))
    assert (report.rows, report.inserted, report.notes["format"]) == (2, 2, "record package")
    assert {c.nomor_kontrak for c in rows(app, Contract)} == {NOMOR, "K-2"}


def test_a_record_without_a_compiled_release_is_rejected(app: App, tmp_path: Path) -> None:
    report = ingest_ocds(app, write_record_package(tmp_path / "record.json", [release()], compiled=False))
    assert (report.rows, report.rejected) == (1, 1) and balanced(report)
    assert report.errors[0].column == "$.records[0]" and "compiledRelease" in report.errors[0].message


def test_json_lines_import_and_a_truncated_last_line_loses_only_itself(app: App, tmp_path: Path) -> None:
    path = write_json_lines(tmp_path / "releases.jsonl", [
        release(), release("ocds-jmb001-2", contracts=[{**release()["contracts"][0], "id": "K-2"}])])
    text = path.read_text(encoding="utf-8")
    path.write_text(text + text.splitlines()[0][:120], encoding="utf-8")  # cut off mid-release
    report = ingest_ocds(app, path)
    assert (report.rows, report.inserted, report.rejected, report.notes["format"]) == (3, 2, 1, "json lines")
    assert report.errors[0].line == 3 and "terpotong" in report.errors[0].message
    assert count(app, Contract) == 2


def test_another_currency_is_rejected_with_ocid_release_id_and_path(app: App, tmp_path: Path) -> None:
    usd = release("ocds-jmb001-usd", contracts=[{**release()["contracts"][0], "id": "K-USD",
                                                  "value": {"amount": 80000, "currency": "USD"}}])
    report = ingest_ocds(app, write_release_package(tmp_path / "paket.json", [release(), usd]))
    assert (report.rows, report.inserted, report.rejected) == (2, 1, 1) and balanced(report)
    [error] = report.errors
    assert (error.line, error.column) == (2, "$.releases[1].contracts[0].value.currency")
    assert "ocid ocds-jmb001-usd, release id ocds-jmb001-usd-contract-01" in error.message
    assert "USD" in error.message and "tidak dikonversi" in error.message
    [reject] = rows(app, RejectedRow)
    assert (reject.kind, reject.raw["ocid"], reject.raw["contracts"]) == ("ocds", "ocds-jmb001-usd", ["K-USD"])


def test_a_release_without_a_signing_date_is_rejected_one_without_a_buyer_waits(app: App, tmp_path: Path) -> None:
    unsigned = release("ocds-jmb001-3", contracts=[{**release()["contracts"][0], "dateSigned": None}])
    orphan = release("ocds-jmb001-4", buyer=None, parties=[])
    report = ingest_ocds(app, write_release_package(tmp_path / "paket.json", [unsigned, orphan]))
    assert (report.rejected, report.unchanged, report.notes["waiting_for_buyer"]) == (1, 1, 1) and balanced(report)
    assert count(app, Contract) == 0
    assert [e.column for e in report.errors] == ["$.releases[0].contracts[0].dateSigned"]


def test_goods_are_kept_out_of_scope_and_counted(app: App, tmp_path: Path) -> None:
    goods = release("ocds-jmb001-5",
                    tender={"id": "5", "title": "Pengadaan Komputer", "mainProcurementCategory": "goods"},
                    contracts=[{**release()["contracts"][0], "id": "K-5", "title": "Pengadaan Komputer"}])
    design = release("ocds-jmb001-6", tender={"id": "6", "title": "Perencanaan Gedung Puskesmas",
                                              "mainProcurementCategory": "services",
                                              "additionalProcurementCategories": ["consultingServices"]},
                     contracts=[{**release()["contracts"][0], "id": "K-6", "title": "Perencanaan Gedung Puskesmas"}])
    report = ingest_ocds(app, write_release_package(tmp_path / "paket.json", [release(), goods, design]))
    assert (report.rows, report.inserted, report.out_of_scope) == (3, 2, 1) and balanced(report)
    scope = {c.nomor_kontrak: (c.in_scope, c.jenis_pekerjaan) for c in rows(app, Contract)}
    assert scope == {NOMOR: (True, "konstruksi"), "K-5": (False, "konstruksi"), "K-6": (True, "konsultansi")}


def test_a_buyer_known_by_name_only_and_an_unknown_buyer(app: App, tmp_path: Path) -> None:
    dinkes = release("ocds-jmb001-7", buyer={"id": "X", "name": "DINAS KESEHATAN"}, parties=[],
                     awards=[], contracts=[{**release()["contracts"][0], "id": "K-7"}])
    unknown = release("ocds-jmb001-8", buyer={"id": "Y", "name": "BADAN ENTAH"}, parties=[],
                      contracts=[{**release()["contracts"][0], "id": "K-8"}])
    report = ingest_ocds(app, write_release_package(tmp_path / "paket.json", [dinkes, unknown]))
    by_number = {c.nomor_kontrak: c for c in rows(app, Contract)}
    assert (by_number["K-7"].opd, by_number["K-7"].opd_known, by_number["K-7"].penyedia) == ("DINKES", True, "")
    assert (by_number["K-8"].opd, by_number["K-8"].opd_known) == ("BADAN ENTAH", False)
    assert report.notes["unknown_opd"] == {"BADAN ENTAH": 1}


def test_a_later_release_updates_the_contract_and_a_reimport_changes_nothing(app: App, tmp_path: Path) -> None:
    period = {"startDate": "2025-03-24T00:00:00Z", "endDate": "2025-10-31T00:00:00Z"}
    later = release(release_id=f"{OCID}-contract-02", contracts=[{**release()["contracts"][0], "period": period}])
    ingest_ocds(app, write_release_package(tmp_path / "a.json", [release()]))
    second = ingest_ocds(app, write_release_package(tmp_path / "b.json", [later]))
    assert (second.updated, count(app, Contract)) == (1, 1)
    assert rows(app, Contract)[0].tanggal_selesai == date(2025, 10, 31)
    again = ingest_ocds(app, write_release_package(tmp_path / "b.json", [later]))
    assert (again.rows, again.unchanged, again.inserted, again.updated) == (1, 1, 0, 0)


def test_a_release_without_contracts_imports_nothing_and_is_counted(app: App, tmp_path: Path) -> None:
    tender_only = release("ocds-jmb001-9", tag=["tender"], contracts=[], awards=[])
    report = ingest_ocds(app, write_release_package(tmp_path / "paket.json", [tender_only]))
    assert (report.rows, report.unchanged, report.notes["without_contract"]) == (1, 1, 1) and balanced(report)


def test_a_malformed_package_is_refused_whole_with_nothing_changed(app: App, tmp_path: Path) -> None:
    good = write_release_package(tmp_path / "paket.json", [release(), release("ocds-jmb001-2")])
    broken = tmp_path / "broken.json"
    broken.write_text(good.read_text(encoding="utf-8")[:-200], encoding="utf-8")
    with pytest.raises(IngestError, match="JSON rusak"):
        ingest_ocds(app, broken)
    assert (count(app, Contract), count(app, ImportBatch), count(app, Payment)) == (0, 0, 0)


def test_an_award_to_several_suppliers_is_a_consortium_led_by_the_first(app: App, tmp_path: Path) -> None:
    consortium = release()
    consortium["parties"].append({"id": "ID-NPWP-029998887331000", "name": "CV MITRA JAYA", "roles": ["supplier"]})
    consortium["awards"][0]["suppliers"].append({"id": "ID-NPWP-029998887331000"})  # its name from the party
    single = release(ocid="ocds-afzrfb-0002", contracts=[{**release()["contracts"][0], "id": "K-2"}])
    ingest_ocds(app, write_release_package(tmp_path / "paket.json", [consortium, single]))
    found = {c.nomor_kontrak: (c.penyedia, c.npwp_penyedia, c.anggota_kso) for c in rows(app, Contract)}
    assert found == {NOMOR: ("CV KARYA ABADI", "735934051443000", "CV KARYA ABADI\nCV MITRA JAYA"),
                     "K-2": ("CV KARYA ABADI", "735934051443000", None)}
    again = ingest_ocds(app, write_release_package(tmp_path / "paket.json", [consortium, single]))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


def test_a_large_package_is_read_by_a_worker_process_and_written_here(
        app: App, tmp_path: Path, reading: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.ingest.ocds import importer

    readers = tmp_path / "read-by.txt"
    real = importer.release_hash

    def release_hash(value: bytes) -> str:
        with readers.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return real(value)

    monkeypatch.setattr(importer, "release_hash", release_hash)
    report = ingest_ocds(app, write_release_package(tmp_path / "p.json", [release(), release(ocid="")]))
    assert (report.rows, report.inserted, report.rejected) == (2, 1, 1)
    assert report.errors[0].line == 2 and report.errors[0].column == "$.releases[1].ocid"
    assert count(app, Contract) == 1
    pids = set(readers.read_text().split())
    assert pids == ({str(os.getpid())} if reading == "here" else pids - {str(os.getpid())}) and len(pids) == 1
