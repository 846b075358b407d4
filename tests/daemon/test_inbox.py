from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.bootstrap import App
from monitor.daemon.jobs import inbox
from monitor.models import Contract, ImportBatch

NOW = datetime(2026, 3, 25, 1, 0, tzinfo=UTC)
CONTRACTS = (
    "nomor_kontrak;tanggal_kontrak;opd;nama_paket;penyedia;nilai_kontrak;tanggal_selesai\n"
    "027/14/SPK-PUPR/III/2026;02/03/2026;PUPR;Rehab Jalan Kenali Asam;CV Karya Abadi;Rp 1.250.000.000,00;30/09/2026\n"
    "028/14/SPK-PUPR/III/2026;31/02/2026;PUPR;Drainase;CV Maju;75.000.000;30/09/2026\n"
)


def drop(app: App, name: str, content: str | bytes, *, age: float = 60.0) -> Path:
    folder = app.settings.scheduler.inbox_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    past = time.time() - age
    os.utime(path, (past, past))
    return path


@pytest.fixture
def app(app: App, tmp_path: Path) -> App:
    scheduler = app.settings.scheduler.model_copy(update={"inbox_dir": tmp_path / "inbox"})
    app.settings = app.settings.model_copy(update={"scheduler": scheduler})
    return app


def test_an_imported_file_moves_to_processed_with_its_report_and_asks_for_a_check(app: App) -> None:
    drop(app, "kontrak_maret.csv", CONTRACTS)
    result = inbox(app, NOW)
    assert result.summary == {"imported": ["kontrak_maret.csv"], "failed": []}
    assert result.follow_up == ("check",)
    folder = app.settings.scheduler.inbox_dir
    assert not (folder / "kontrak_maret.csv").exists()
    [moved] = (folder / "processed").glob("*_kontrak_maret.csv")
    assert moved.read_text(encoding="utf-8") == CONTRACTS
    report = json.loads(moved.with_name(moved.name + ".report.json").read_text(encoding="utf-8"))
    # The ingest's own report (its counts are tested in tests/ingest); here: it is the one beside the file.
    assert (report["kind"], report["file"], report["rejected"]) == ("contracts", "kontrak_maret.csv", 1)
    assert report["errors"][0]["line"] == 3
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Contract)) == 1


def test_a_bad_file_goes_to_failed_with_the_reason_and_changes_nothing(app: App) -> None:
    drop(app, "contracts_rusak.csv", "ini bukan tabel\n")
    drop(app, "laporan.pdf", b"%PDF-1.4 not data")
    result = inbox(app, NOW)
    assert result.summary["imported"] == [] and result.follow_up == ()
    assert sorted(result.summary["failed"]) == ["contracts_rusak.csv", "laporan.pdf"]
    failed = app.settings.scheduler.inbox_dir / "failed"
    reports = {p.name.split("_", 1)[1]: json.loads(p.read_text(encoding="utf-8")) for p in failed.glob("*.report.json")}
    assert reports["contracts_rusak.csv.report.json"]["kind"] == "contracts"
    assert reports["contracts_rusak.csv.report.json"]["error"]
    assert "jenis data tidak dikenali" in reports["laporan.pdf.report.json"]["error"]
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_a_file_still_being_written_waits_and_hidden_files_are_left_alone(app: App) -> None:
    drop(app, "contracts_new.csv", CONTRACTS, age=0)
    drop(app, "~$contracts.xlsx", b"lock", age=60)
    drop(app, ".contracts.csv.part", CONTRACTS, age=60)
    assert inbox(app, NOW).summary == {"imported": [], "failed": []}
    assert inbox(app, NOW, settle_seconds=0).summary["imported"] == ["contracts_new.csv"]
    assert sorted(p.name for p in app.settings.scheduler.inbox_dir.iterdir() if p.is_file()) == [
        ".contracts.csv.part", "~$contracts.xlsx",
    ]


def test_the_same_name_dropped_twice_keeps_both_copies(app: App) -> None:
    drop(app, "contracts.csv", CONTRACTS)
    inbox(app, NOW)
    drop(app, "contracts.csv", CONTRACTS)
    result = inbox(app, NOW)
    assert result.summary["imported"] == ["contracts.csv"]
    processed = app.settings.scheduler.inbox_dir / "processed"
    assert len(list(processed.glob("*contracts.csv"))) == 2
    [second] = processed.glob("*-1_contracts.csv.report.json")
    assert json.loads(second.read_text(encoding="utf-8"))["kind"] == "contracts"
    # The re-import changed nothing.
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Contract)) == 1


POISON = CONTRACTS.replace("Rp 1.250.000.000,00", "Rp 9.223.372.036.854.775.808,00")
GOOD = CONTRACTS.replace("027/14/", "031/14/").replace("028/14/", "032/14/")


def test_a_poisoned_file_does_not_stop_the_good_one_dropped_after_it(app: App) -> None:
    # The probe's file: a rupiah value one past the largest 64-bit integer, once a traceback that failed
    # the job every minute and kept every later file waiting.
    drop(app, "kontrak_1_poison.csv", POISON)
    drop(app, "kontrak_2_good.csv", GOOD)
    result = inbox(app, NOW)
    assert result.summary == {"imported": ["kontrak_1_poison.csv", "kontrak_2_good.csv"], "failed": []}
    processed = app.settings.scheduler.inbox_dir / "processed"
    [poison_report] = processed.glob("*_kontrak_1_poison.csv.report.json")
    report = json.loads(poison_report.read_text(encoding="utf-8"))
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(2, "nilai_kontrak"), (3, "tanggal_kontrak")]
    assert "di luar rentang wajar" in report["errors"][0]["message"]
    with app.sessions() as session:
        assert sorted(session.scalars(select(Contract.nomor_kontrak))) == ["031/14/SPK-PUPR/III/2026"]


def test_an_exception_nobody_foresaw_files_the_file_as_failed_and_the_next_is_imported(
    app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    from monitor.ingest.rows import RowConverter

    convert = RowConverter.convert

    def bug(self: RowConverter, cells: object) -> object:  # a defect in Pantau, met by one file's content
        if "BOOM" in str(cells):
            raise ZeroDivisionError("division by zero\nsecond line")
        return convert(self, cells)  # type: ignore[arg-type]

    monkeypatch.setattr(RowConverter, "convert", bug)
    drop(app, "kontrak_1_boom.csv", CONTRACTS.replace("Drainase", "BOOM"))
    drop(app, "kontrak_2_good.csv", GOOD)

    result = inbox(app, NOW)

    assert result.summary == {"imported": ["kontrak_2_good.csv"], "failed": ["kontrak_1_boom.csv"]}
    assert result.follow_up == ("check",)
    failed = app.settings.scheduler.inbox_dir / "failed"
    [moved] = failed.glob("*_kontrak_1_boom.csv")
    report = json.loads(moved.with_name(moved.name + ".report.json").read_text(encoding="utf-8"))
    assert report["error"] == "kesalahan tak terduga saat impor: ZeroDivisionError: division by zero second line"
    [logged] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "kontrak_1_boom.csv" in logged.getMessage() and logged.exc_info is not None
    with app.sessions() as session:
        # The failed file's transaction rolled back: its first (good) row is not there, nor its batch.
        assert sorted(session.scalars(select(Contract.nomor_kontrak))) == ["031/14/SPK-PUPR/III/2026"]
        assert session.scalar(select(func.count()).select_from(ImportBatch)) == 1


def test_when_the_database_does_not_answer_the_file_stays_for_the_next_run(app: App, tmp_path: Path) -> None:
    from monitor.bootstrap import bootstrap

    not_a_database = tmp_path / "a-directory.db"
    not_a_database.mkdir()
    gone = app.settings.model_copy(update={
        "database": app.settings.database.model_copy(update={"url": f"sqlite:///{not_a_database}"}),
    })
    down = bootstrap(gone, migrate=False)
    try:
        drop(down, "kontrak_maret.csv", CONTRACTS)
        with pytest.raises(Exception, match="unable to open database"):
            inbox(down, NOW)
    finally:
        down.dispose()
    assert (app.settings.scheduler.inbox_dir / "kontrak_maret.csv").exists()
    assert not (app.settings.scheduler.inbox_dir / "failed").exists()


def test_spse_and_ocds_files_are_imported_by_their_source(app: App) -> None:
    spse = ('[{"kd_tender": "1001", "no_kontrak": "K-1", "tgl_kontrak": "2026-03-02T00:00:00.000000Z", '
            '"nama_satker": "DINAS PEKERJAAN UMUM DAN PENATAAN RUANG", "nama_paket": "Pembangunan Drainase", '
            '"nama_penyedia": "CV A", "nilai_kontrak": "75000000.00"}]')
    drop(app, "spse_kontrak.json", spse)
    drop(app, "ocds_2026.jsonl", '{"ocid": "ocds-x-1", "id": "r1", "date": "2026-03-05T00:00:00Z", '
                                 '"buyer": {"name": "Dinas PUPR"}, '
                                 '"tender": {"mainProcurementCategory": "works"}, "contracts": [{"id": "K-2", '
                                 '"dateSigned": "2026-03-05T00:00:00Z", "value": {"amount": 5, "currency": "IDR"}}]}\n')
    result = inbox(app, NOW)
    assert sorted(result.summary["imported"]) == ["ocds_2026.jsonl", "spse_kontrak.json"]
    folder = app.settings.scheduler.inbox_dir / "processed"
    kinds = {json.loads(p.read_text(encoding="utf-8"))["kind"] for p in folder.glob("*.report.json")}
    assert kinds == {"spse", "ocds"}
    with app.sessions() as session:
        assert set(session.scalars(select(Contract.source))) == {"spse", "ocds"}
