"""``pantau ingest spse``, ``pantau rejects`` and ``pantau contracts`` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.check.context import load_records
from monitor.cli import cli
from monitor.models import Contract, ScopeDecision
from monitor.regulation.wording import tanggal

from .conftest import KD_TENDER, NOMOR, kontrak, paket, spmk, write_json

SUMMARY_KEYS = {"read", "inserted", "updated", "unchanged", "rejected", "out_of_scope"}


def pantau(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "pantau.toml"), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_the_json_summary_counts_every_row_read(app: App, tmp_path: Path) -> None:
    rows = [kontrak(), kontrak(kd_tender="9", no_kontrak="K-9", nama_paket="Pengadaan Komputer Kantor"),
            kontrak(kd_tender="8", no_kontrak="K-8", tgl_kontrak="kemarin")]
    code, out, _ = pantau(tmp_path, "ingest", "spse", str(write_json(tmp_path / "kontrak.json", rows)),
                          "--format", "json")
    assert code == 0
    summary = json.loads(out)
    assert set(summary) >= SUMMARY_KEYS
    assert {k: summary[k] for k in SUMMARY_KEYS} == {"read": 3, "inserted": 1, "updated": 0, "unchanged": 0,
                                                      "rejected": 1, "out_of_scope": 1}
    assert summary["errors"] == [{"line": 3, "column": "$[2].tgl_kontrak", "message": summary["errors"][0]["message"]}]


def test_the_file_kinds_summary_carries_the_same_keys(app: App, tmp_path: Path) -> None:
    path = tmp_path / "kontrak.csv"
    path.write_text("No. Kontrak;Tgl Kontrak;Satker;Nama Paket;Nama Penyedia;Nilai Kontrak;Tgl Selesai\n"
                    "K-1;02/03/2026;Dinas PUPR;Rehab Jalan;CV A;1.000.000;30/09/2026\n", encoding="utf-8")
    code, out, _ = pantau(tmp_path, "ingest", "contracts", str(path), "--format", "json")
    summary = json.loads(out)
    assert code == 0 and {k: summary[k] for k in SUMMARY_KEYS} == {
        "read": 1, "inserted": 1, "updated": 0, "unchanged": 0, "rejected": 0, "out_of_scope": 0}


def test_rejects_list_the_json_path_and_the_text_report_says_out_of_scope(app: App, tmp_path: Path) -> None:
    rows = [kontrak(), kontrak(kd_tender="8", no_kontrak="K-8", nilai_kontrak="1.269.963.504,15")]
    code, out, _ = pantau(tmp_path, "ingest", "spse", str(write_json(tmp_path / "kontrak.json", rows)))
    assert code == 0
    assert "2 baris: 1 baru, 0 diperbarui, 0 tidak berubah, 1 ditolak, 0 di luar lingkup Jakon (disimpan)" in out
    assert "1 belum lengkap (tanggal selesai belum diketahui)" in out
    code, out, _ = pantau(tmp_path, "rejects", "--kind", "spse", "--format", "json")
    [reject] = json.loads(out)
    assert (reject["line"], reject["column"], reject["kind"]) == (2, "$[1].nilai_kontrak", "spse")
    assert reject["raw"]["no_kontrak"] == "K-8" and reject["raw"]["nilai_kontrak"] == "1.269.963.504,15"


def test_a_malformed_file_exits_1_and_names_the_problem(app: App, tmp_path: Path) -> None:
    broken = tmp_path / "kontrak.json"
    broken.write_text('[{"kd_tender": "1", "no_kontrak": "K-1", "tgl_kontrak": "2025-01-02"}, {"kd_te',
                      encoding="utf-8")
    code, _, err = pantau(tmp_path, "ingest", "spse", str(broken))
    assert code == 1 and "JSON rusak" in err and "tidak ada yang diubah" in err


def test_contracts_lists_them_as_they_stand_with_their_scope_and_source(app: App, tmp_path: Path) -> None:
    pantau(tmp_path, "ingest", "spse", str(write_json(tmp_path / "paket.json", [
        paket(), paket(kd_tender="9", jenis_pengadaan="Pengadaan Barang")])))
    pantau(tmp_path, "ingest", "spse", str(write_json(tmp_path / "kontrak.json", [
        kontrak(), kontrak(kd_tender="9", no_kontrak="K-9", nama_paket="Pengadaan Komputer")])))
    pantau(tmp_path, "ingest", "spse", str(write_json(tmp_path / "spmk.json", [spmk()])))

    code, out, _ = pantau(tmp_path, "contracts", "--format", "json")
    assert code == 0
    listed = {row["nomor_kontrak"]: row for row in json.loads(out)}
    assert set(listed) == {NOMOR, "K-9"}
    works = listed[NOMOR]
    assert {k: works[k] for k in ("opd", "nilai_kontrak", "tanggal_kontrak", "tanggal_selesai", "jenis_pekerjaan",
                                  "in_scope", "complete", "source", "kd_tender", "npwp_penyedia")} == {
        "opd": "PUPR", "nilai_kontrak": 1_269_963_504, "tanggal_kontrak": "2025-03-21",
        "tanggal_selesai": "2025-08-20", "jenis_pekerjaan": "konstruksi", "in_scope": True, "complete": True,
        "source": "spse", "kd_tender": KD_TENDER, "npwp_penyedia": "735934051443000"}
    assert (works["nama_ppk"], works["nip_ppk"]) == ("Ir. BUDI SANTOSO", "197001011995031001")  # e-Kontrak's PPK
    assert listed["K-9"]["in_scope"] is False and listed["K-9"]["complete"] is False
    assert listed["K-9"]["anggota_kso"] == []

    _, out, _ = pantau(tmp_path, "contracts", "--scope", "out", "--format", "csv")
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert (row["nomor_kontrak"], row["in_scope"]) == ("K-9", "False")
    _, out, _ = pantau(tmp_path, "contracts", "--incomplete", "--format", "json")
    assert [r["nomor_kontrak"] for r in json.loads(out)] == ["K-9"]
    _, out, _ = pantau(tmp_path, "contracts", "--opd", "PUPR")
    assert "belum diketahui" in out and "2 kontrak." in out and f"kd_tender {KD_TENDER}" in out


def test_a_scope_override_puts_a_contract_back_and_survives_a_reimport(app: App, tmp_path: Path) -> None:
    path = write_json(tmp_path / "kontrak.json", [
        kontrak(nama_paket="Belanja Alat Tulis Kantor"), ])
    pantau(tmp_path, "ingest", "spse", str(path))
    pantau(tmp_path, "ingest", "spse", str(write_json(tmp_path / "spmk.json", [spmk()])))
    with app.sessions() as session:
        assert len(load_records(session.connection()).contracts) == 0
    code, _, err = pantau(tmp_path, "contracts", "scope", "PUPR", NOMOR, "--in")
    assert code == 2 and "--reason wajib" in err
    code, out, _ = pantau(tmp_path, "contracts", "scope", "PUPR", NOMOR, "--in", "--reason",
                          "  ATK untuk  proyek jalan ", "--actor", "monev.bpkad")
    assert code == 0 and "dalam lingkup" in out
    pantau(tmp_path, "ingest", "spse", str(path))
    with app.sessions() as session:
        assert [c.nomor_kontrak for c in load_records(session.connection()).contracts] == [NOMOR]
    _, out, _ = pantau(tmp_path, "contracts", "--format", "json")
    [listed] = json.loads(out)
    assert (listed["in_scope"], listed["scope_override"]) == (True, True)
    today = datetime.now(app.settings.tz).date()  # the configured zone's day, as the command writes it
    assert listed["scope_reason"] == (
        f"ditetapkan manual: dalam lingkup (monev.bpkad, {tanggal(today)}): ATK untuk proyek jalan")
    _, out, _ = pantau(tmp_path, "contracts", "--scope", "in", "--format", "json")
    assert [r["nomor_kontrak"] for r in json.loads(out)] == [NOMOR]
    code, _, err = pantau(tmp_path, "contracts", "scope", "PUPR", "TIDAK-ADA", "--out", "--reason", "x")
    assert code == 1 and "tidak ada" in err


def test_every_scope_decision_is_kept_with_who_and_why(app: App, tmp_path: Path) -> None:
    pantau(tmp_path, "ingest", "spse", str(write_json(tmp_path / "kontrak.json", [kontrak()])))
    pantau(tmp_path, "ingest", "spse", str(write_json(tmp_path / "spmk.json", [spmk()])))
    _, out, _ = pantau(tmp_path, "contracts", "--format", "json")
    from_source = json.loads(out)[0]["scope_reason"]
    for flag, why in (("--out", "dibiayai hibah, bukan APBD"), ("--clear", "salah tetapkan")):
        code, _, _ = pantau(tmp_path, "contracts", "scope", "PUPR", NOMOR, flag, "--reason", why, "--actor", "ani")
        assert code == 0
    with app.sessions() as session:
        events = session.execute(select(ScopeDecision.actor, ScopeDecision.before, ScopeDecision.decision,
                                        ScopeDecision.reason).order_by(ScopeDecision.id)).all()
        override = session.scalar(select(Contract.scope_override))
    assert [tuple(e) for e in events] == [("ani", None, False, "dibiayai hibah, bukan APBD"),
                                          ("ani", False, None, "salah tetapkan")]
    assert override is None
    _, out, _ = pantau(tmp_path, "contracts", "--format", "json")
    assert json.loads(out)[0]["scope_reason"] == from_source and from_source.startswith("tebakan dari nama paket")
    code, out, _ = pantau(tmp_path, "contracts", "scope", "PUPR", NOMOR, "--history")
    assert code == 0
    assert [line.split(None, 3)[3] for line in out.splitlines()] == [
        "menurut sumber → di luar lingkup (dibiayai hibah, bukan APBD)",
        "di luar lingkup → menurut sumber (salah tetapkan)"]


def test_contracts_show_the_consortium_members_spse_names(app: App, tmp_path: Path) -> None:
    pantau(tmp_path, "ingest", "spse", str(write_json(tmp_path / "kontrak.json", [
        kontrak(nama_penyedia="PT. KARYA ABADI", anggota_kso="PT. KARYA ABADI; CV. MITRA JAYA")])))
    _, out, _ = pantau(tmp_path, "contracts", "--format", "json")
    [listed] = json.loads(out)
    assert listed["anggota_kso"] == ["PT. KARYA ABADI", "CV. MITRA JAYA"]
    _, out, _ = pantau(tmp_path, "contracts", "--format", "csv")
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert row["anggota_kso"] == "PT. KARYA ABADI; CV. MITRA JAYA"
