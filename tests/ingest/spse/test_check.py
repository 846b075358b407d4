"""An SPSE contract whose SPMK has not arrived is checked by the rules that do not need its end of works,
and completed when the SPMK arrives: its findings keep their fingerprints."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from monitor.bootstrap import App
from monitor.check.context import load_records
from monitor.check.run import run_check
from monitor.db import transaction
from monitor.ingest.spse.importer import ingest_spse
from tests.check.helpers import add_registration, all_findings

from .conftest import NOMOR, kontrak, spmk, write_json

AFTER_DEADLINE = date(2025, 6, 2)
SUBJECT = f"PUPR|{NOMOR}"


def _rules(app: App) -> dict[str, object]:
    return {row.rule: row for row in all_findings(app) if row.subject == SUBJECT}


def test_a_contract_without_its_spmk_is_reported_unregistered_and_keeps_the_finding(app: App, tmp_path: Path) -> None:
    ingest_spse(app, write_json(tmp_path / "kontrak.json", [kontrak()]))
    with app.sessions() as session:
        records = load_records(session.connection())
    [checked] = records.contracts
    assert (checked.nomor_kontrak, checked.tanggal_selesai) == (NOMOR, None)
    assert records.left_out == {"out_of_scope": 0, "incomplete": 0, "end_unknown": 1}

    result = run_check(app, AFTER_DEADLINE)
    assert result.counts["contracts_left_out"]["end_unknown"] == 1
    found = _rules(app)
    assert set(found) == {"jakon.unregistered"}
    before = found["jakon.unregistered"]
    assert before.details["tanggal_selesai"] is None
    assert "belum diketahui (SPMK belum diimpor)" in before.details["tindakan"]

    ingest_spse(app, write_json(tmp_path / "spmk.json", [spmk()]))
    run_check(app, date(2025, 6, 3))
    after = _rules(app)["jakon.unregistered"]
    assert (after.id, after.fingerprint, after.status) == (before.id, before.fingerprint, "open")
    assert after.details["tanggal_selesai"] == "2025-08-20" and "20 Agustus 2025" in after.details["tindakan"]


def test_coverage_gap_waits_for_the_end_of_works(app: App, tmp_path: Path) -> None:
    ingest_spse(app, write_json(tmp_path / "kontrak.json", [kontrak()]))
    with transaction(app.sessions) as session:
        add_registration(session.connection(), nomor_kontrak=NOMOR, penyedia="CV KARYA ABADI",
                         npwp="735934051443000", nilai=1_269_963_504, iuran=5_000_000,
                         tanggal_daftar=date(2025, 3, 25), masa_awal=date(2025, 3, 24), masa_akhir=date(2025, 6, 30),
                         nama_proyek="REHABILITASI JALAN LINGKUNGAN KENALI ASAM")
    run_check(app, AFTER_DEADLINE)
    assert _rules(app) == {}  # registered in time; whether the cover lasts is not known yet

    ingest_spse(app, write_json(tmp_path / "spmk.json", [spmk()]))  # works end 20 August 2025
    run_check(app, date(2025, 6, 3))
    assert set(_rules(app)) == {"jakon.coverage_gap"}
