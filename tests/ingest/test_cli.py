"""``pantau ingest`` and ``pantau rejects`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from monitor.bootstrap import App
from monitor.cli import cli
from monitor.ingest import guess_kind
from monitor.models import Contract, ImportBatch

from .conftest import CONTRACT_HEADER, CONTRACT_ROWS, write_csv, write_xlsx_xlsxwriter
from .test_kinds import BPJS_HEADER


def pantau(app: App, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "pantau.toml"), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def stored(app: App) -> tuple[int, int]:
    with app.sessions() as session:
        return (int(session.scalar(select(func.count()).select_from(ImportBatch)) or 0),
                int(session.scalar(select(func.count()).select_from(Contract)) or 0))


def bad_file(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "kontrak_buruk.csv", [
        CONTRACT_HEADER,
        CONTRACT_ROWS[0],
        [*CONTRACT_ROWS[1][:1], "31/02/2026", "Dinas Kebersihan", *CONTRACT_ROWS[1][3:]],
        [*CONTRACT_ROWS[1][:2], "Dinas Kebersihan", *CONTRACT_ROWS[1][3:]],
    ], delimiter=";")


def test_json_output_is_one_object_per_file(app: App, tmp_path: Path, contracts_csv: Path) -> None:
    code, out, _ = pantau(app, tmp_path, "ingest", "contracts", str(contracts_csv), str(bad_file(tmp_path)),
                          "--format", "json")
    assert code == 0
    first, second = (json.loads(line) for line in out.splitlines())
    assert {"kind", "file", "rows", "inserted", "updated", "unchanged", "rejected", "errors"} <= set(first)
    assert (first["kind"], first["file"], first["rows"], first["inserted"], first["errors"]) == (
        "contracts", str(contracts_csv), 2, 2, [])
    assert (second["rows"], second["inserted"], second["updated"], second["unchanged"], second["rejected"]) == (
        3, 1, 0, 1, 1)
    assert second["errors"] == [
        {"line": 3, "column": "Tgl Kontrak", "message": "tanggal '31/02/2026' tidak ada di kalender"}]
    assert second["notes"]["unknown_opd"] == {"Dinas Kebersihan": 1}


def test_text_output_summarizes_in_indonesian_and_lists_rejects(app: App, tmp_path: Path) -> None:
    code, out, err = pantau(app, tmp_path, "ingest", "contracts", str(bad_file(tmp_path)))
    assert code == 0 and err == ""
    assert "3 baris: 2 baru, 0 diperbarui, 0 tidak berubah, 1 ditolak" in out
    assert "baris 3, kolom Tgl Kontrak: tanggal '31/02/2026' tidak ada di kalender" in out
    assert "'Dinas Kebersihan' (1 baris)" in out


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"Ini surat, bukan tabel.\n", "bukan tabel"),
     (b"No. Kontrak;Satker;Nama Paket\nK1;PUPR;Jalan\n", "tidak ditemukan: tanggal_kontrak, penyedia, "
                                                                  "nilai_kontrak, tanggal_selesai")],
)
def test_a_file_that_fails_as_a_whole_exits_1_and_changes_nothing(
    app: App, tmp_path: Path, contracts_csv: Path, content: bytes, says: str
) -> None:
    broken = tmp_path / "rusak.csv"
    broken.write_bytes(content)
    code, out, err = pantau(app, tmp_path, "ingest", "contracts", str(broken))
    assert code == 1
    assert says in err and str(broken) in err
    assert stored(app) == (0, 0)
    # The good file beside it is still imported; the exit code still reports the failure.
    code, out, err = pantau(app, tmp_path, "ingest", "contracts", str(broken), str(contracts_csv), "--format", "json")
    assert code == 1
    failed, done = (json.loads(line) for line in out.splitlines())
    assert says in failed["failed"] and failed["rows"] == 0
    assert done["inserted"] == 2
    assert stored(app) == (1, 2)


def test_a_missing_file_exits_1(app: App, tmp_path: Path) -> None:
    code, _, err = pantau(app, tmp_path, "ingest", "contracts", str(tmp_path / "hilang.csv"))
    assert code == 1 and "tidak dapat dibuka" in err


def test_sheet_option_picks_the_sheet(app: App, tmp_path: Path) -> None:
    path = write_xlsx_xlsxwriter(tmp_path / "k.xlsx", [CONTRACT_HEADER, CONTRACT_ROWS[0]], sheet="2026",
                                 first_sheet="Ringkasan")
    code, out, _ = pantau(app, tmp_path, "ingest", "contracts", str(path), "--sheet", "2026")
    assert code == 0 and "1 baru" in out


def test_rejects_lists_the_latest_import_of_each_file(app: App, tmp_path: Path) -> None:
    path = bad_file(tmp_path)
    pantau(app, tmp_path, "ingest", "contracts", str(path))
    code, out, _ = pantau(app, tmp_path, "ingest", "contracts", str(path), "--format", "json")
    batch = json.loads(out)["batch_id"]

    code, out, _ = pantau(app, tmp_path, "rejects")
    assert code == 0
    assert f"Batch {batch} · contracts · {path}" in out
    assert out.count("baris 3, kolom Tgl Kontrak") == 1

    code, out, _ = pantau(app, tmp_path, "rejects", "--all", "--kind", "contracts", "--format", "json")
    listed = json.loads(out)
    assert [(r["batch_id"], r["line"], r["column"]) for r in listed] == [
        (batch - 1, 3, "Tgl Kontrak"), (batch, 3, "Tgl Kontrak")]
    assert listed[0]["raw"]["Satker"] == "Dinas Kebersihan"

    code, out, _ = pantau(app, tmp_path, "rejects", "--kind", "registrations")
    assert "Tidak ada baris yang ditolak" in out
    code, _, err = pantau(app, tmp_path, "rejects", "--batch", "999")
    assert code == 1 and "999" in err


def test_guess_kind_reads_the_header_and_the_file_name(tmp_path: Path, contracts_csv: Path) -> None:
    assert guess_kind(contracts_csv) == "contracts"
    registrations = write_xlsx_xlsxwriter(tmp_path / "export.xlsx", [BPJS_HEADER], title=["LAPORAN JAKON"])
    assert guess_kind(registrations) == "registrations"
    payments = write_csv(tmp_path / "x.csv", [["No. SP2D", "Tgl SP2D", "No. Kontrak", "SKPD", "Nilai"]])
    assert guess_kind(payments) == "payments"
    letter = tmp_path / "surat.txt"
    letter.write_text("Kepada Yth. Kepala Dinas\n", encoding="utf-8")
    assert guess_kind(letter) is None
