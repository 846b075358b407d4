"""``pantau check``, ``pantau findings``, ``pantau ack``, ``pantau silence`` through the real CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.bootstrap import App
from monitor.check.run import run_check
from monitor.cli import cli
from monitor.db import transaction
from tests.check.helpers import Script, add_contract, events_of, finding, findings_by_subject

K = "027/14/SPK-PUPR/X/2026"


def pantau(app: App, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", app.settings.source, *args], catch_exceptions=False)


def _seed(app: App, script: Script) -> None:
    script.findings = [
        finding("PUPR|K-1", severity="high", title="Kontrak K-1 belum didaftarkan", amount=2_350_000),
        finding("PERKIM|K-2", opd="PERKIM", severity="low", title="Kontrak K-2 terlambat", amount=0),
    ]
    script.other = [finding("SP2D-9", rule="test.other", opd=None, severity="critical", title="SP2D tanpa Jakon",
                            details={"nomor_sp2d": "SP2D-9", "tanggal": "2026-04-15"})]
    run_check(app, date(2026, 4, 20), registry=script.registry())


def test_check_prints_an_indonesian_summary_and_exits_0(app: App) -> None:
    with transaction(app.sessions) as session:
        add_contract(session.connection(), K, tanggal_kontrak=date(2026, 10, 5))

    result = pantau(app, "check", "--as-of", "2026-10-26")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Pemeriksaan #1 per 26 Oktober 2026 selesai dalam ")
    assert lines[1] == "Data: 1 kontrak, 0 registrasi, 0 tertaut, 0 ambigu."
    assert lines[2] == "Temuan: 1 terdeteksi — 1 baru, 0 muncul lagi, 0 selesai, 0 naik tingkat."
    header = lines[4].split()
    assert header[0] == "aturan" and "terbuka" in header
    [row] = [line for line in lines if line.startswith("jakon.unregistered")]
    assert row.split()[1] == "1"


def test_check_says_which_contracts_it_left_out_or_read_without_their_end(app: App) -> None:
    with transaction(app.sessions) as session:
        conn = session.connection()
        add_contract(conn, K, tanggal_kontrak=date(2026, 10, 5))
        add_contract(conn, "K-ATK", in_scope=False)
        add_contract(conn, "K-NILAI", complete=False)  # a source's contract whose value is not known
        add_contract(conn, "K-SPMK", tanggal_selesai=None, complete=False, nilai_kontrak_sen=150_000_000_000)
    lines = pantau(app, "check", "--as-of", "2026-10-26").output.splitlines()
    assert lines[1] == "Data: 2 kontrak, 0 registrasi, 0 tertaut, 0 ambigu."
    assert lines[2] == ("Tidak diperiksa: 1 di luar lingkup Jakon, 1 belum lengkap (nilai belum diketahui); "
                        "1 diperiksa tanpa tanggal selesai (SPMK belum diimpor).")


def test_check_with_a_bad_rule_configuration_exits_2(app: App, tmp_path: Path) -> None:
    config = Path(app.settings.source)
    bad = tmp_path / "bad.toml"
    bad.write_text(config.read_text(encoding="utf-8") + '\n[rules."jakon.nonexistent"]\nenabled = false\n',
                   encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(bad), "check"])
    assert result.exit_code == 2
    assert "rules.jakon.nonexistent" in result.output


def test_findings_json_has_exactly_the_documented_shape(app: App, script: Script) -> None:
    _seed(app, script)

    result = pantau(app, "findings", "--format", "json")

    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [list(row) for row in rows] == [[
        "id", "rule", "severity", "status", "opd", "subject", "title", "amount_at_risk", "first_seen", "last_seen",
        "details"]] * 3
    # Most severe first.
    assert [row["subject"] for row in rows] == ["SP2D-9", "PUPR|K-1", "PERKIM|K-2"]
    assert rows[0] == {
        "id": rows[0]["id"], "rule": "test.other", "severity": "critical", "status": "open", "opd": None,
        "subject": "SP2D-9", "title": "SP2D tanpa Jakon", "amount_at_risk": 1_000, "first_seen": "2026-04-20",
        "last_seen": "2026-04-20", "details": {"nomor_sp2d": "SP2D-9", "tanggal": "2026-04-15"},
    }
    assert isinstance(rows[0]["id"], int) and rows[2]["amount_at_risk"] == 0


def test_findings_filters_by_status_rule_opd_and_severity(app: App, script: Script) -> None:
    _seed(app, script)

    def subjects(*args: str) -> list[str]:
        result = pantau(app, "findings", "--format", "json", *args)
        assert result.exit_code == 0, result.output
        return [row["subject"] for row in json.loads(result.output)]

    assert subjects("--rule", "test.other") == ["SP2D-9"]
    assert subjects("--rule", "test.*", "--opd", "perkim") == ["PERKIM|K-2"]
    assert subjects("--severity", "high", "--severity", "low") == ["PUPR|K-1", "PERKIM|K-2"]
    assert subjects("--status", "resolved") == []
    assert subjects("--limit", "2") == ["SP2D-9", "PUPR|K-1"]
    script.findings = []
    run_check(app, date(2026, 4, 21), registry=script.registry())
    assert subjects() == ["SP2D-9"]
    assert subjects("--status", "resolved") == ["PUPR|K-1", "PERKIM|K-2"]
    assert subjects("--status", "all") == ["SP2D-9", "PUPR|K-1", "PERKIM|K-2"]
    assert pantau(app, "findings", "--status", "closed").exit_code == 2


def test_findings_csv_neutralizes_spreadsheet_formulas(app: App, script: Script) -> None:
    script.findings = [finding("=HYPERLINK(\"http://x\")", title="+62 811 hubungi", opd="@PUPR",
                               details={"catatan": "-1"})]
    run_check(app, date(2026, 4, 20), registry=script.registry())

    result = pantau(app, "findings", "--format", "csv")

    assert result.exit_code == 0, result.output
    [header, row] = list(csv.reader(io.StringIO(result.output)))
    assert header == ["id", "rule", "severity", "status", "opd", "subject", "title", "amount_at_risk",
                      "first_seen", "last_seen", "details"]
    cells = dict(zip(header, row, strict=True))
    assert cells["subject"] == "'=HYPERLINK(\"http://x\")"
    assert cells["title"] == "'+62 811 hubungi"
    assert cells["opd"] == "'@PUPR"
    assert cells["amount_at_risk"] == "1000" and cells["details"] == '{"catatan": "-1"}'


def test_findings_table_is_readable(app: App, script: Script) -> None:
    _seed(app, script)
    result = pantau(app, "findings")
    assert result.exit_code == 0, result.output
    assert "Kontrak K-1 belum didaftarkan" in result.output
    assert "Rp2.350.000" in result.output
    assert "terbuka" in result.output
    assert result.output.rstrip().endswith("3 temuan.")


def test_ack_then_history_shows_who_and_why(app: App, script: Script) -> None:
    _seed(app, script)
    finding_id = findings_by_subject(app)["PUPR|K-1"].id

    result = pantau(app, "ack", str(finding_id), "--note", "PPK sudah menyurati penyedia", "--actor", "budi")

    assert result.exit_code == 0, result.output
    assert findings_by_subject(app)["PUPR|K-1"].status == "acknowledged"
    history = json.loads(pantau(app, "findings", "history", str(finding_id), "--format", "json").output)
    assert [(e["from_status"], e["to_status"], e["actor"], e["note"]) for e in history["events"]] == [
        (None, "open", "pantau", "ditemukan pada pemeriksaan 20 April 2026"),
        ("open", "acknowledged", "budi", "PPK sudah menyurati penyedia"),
    ]
    assert history["ack_note"] == "PPK sudah menyurati penyedia"
    table = pantau(app, "findings", "history", str(finding_id))
    assert table.exit_code == 0 and "PPK sudah menyurati penyedia" in table.output


def test_ack_of_an_unknown_finding_exits_1(app: App) -> None:
    result = CliRunner().invoke(cli, ["--config", app.settings.source, "ack", "4242", "--note", "x"])
    assert result.exit_code == 1
    assert "temuan #4242 tidak ada" in result.output


def test_silence_mutes_matching_findings_and_unsilence_lifts_it(app: App, script: Script) -> None:
    _seed(app, script)

    result = pantau(app, "silence", "--opd", "PUPR", "--until", "2099-12-31", "--reason", "menunggu adendum",
                    "--actor", "sari")

    assert result.exit_code == 0, result.output
    assert "1 temuan dibungkam sampai 31 Desember 2099" in result.output
    row = findings_by_subject(app)["PUPR|K-1"]
    assert row.status == "silenced"
    assert events_of(app, row.id)[-1].actor == "sari"
    silence_id = row.silence_id

    lifted = pantau(app, "unsilence", str(silence_id), "--actor", "sari")
    assert lifted.exit_code == 0, lifted.output
    assert findings_by_subject(app)["PUPR|K-1"].status == "open"


def test_silence_needs_a_selector(app: App) -> None:
    result = CliRunner().invoke(cli, ["--config", app.settings.source, "silence", "--until", "2099-01-01",
                                      "--reason", "x"])
    assert result.exit_code == 2
    assert "minimal satu" in result.output


def test_check_as_json_gives_the_run_its_counts_per_rule_and_timings(app: App) -> None:
    with transaction(app.sessions) as session:
        add_contract(session.connection(), K, tanggal_kontrak=date(2026, 10, 5))

    result = pantau(app, "check", "--as-of", "2026-10-26", "--format", "json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["run_id"], data["as_of"], data["status"]) == (1, "2026-10-26", "ok")
    assert data["by_rule"]["jakon.unregistered"]["open"] == 1
    assert {"load", "match", "rules", "write"} <= set(data["timings"])
    assert data["duration_seconds"] >= 0


def test_check_shows_its_phases_on_a_terminal_only(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    import monitor.cli.findings as findings_cli

    with findings_cli.phase_display(True) as phases:
        assert phases is not None
        for phase in ("load", "match", "rules", "write"):
            phases(phase)
    with findings_cli.phase_display(False) as none:
        assert none is None
    # Through the CLI (not a terminal): the summary only, no progress line in the output.
    result = pantau(app, "check", "--as-of", "2026-10-26")
    assert "Memuat data" not in result.output and result.output.startswith("Pemeriksaan #")


def test_the_run_reports_each_phase_as_it_begins(app: App) -> None:
    begun: list[str] = []
    run_check(app, date(2026, 10, 26), phases=begun.append)
    assert begun == ["load", "match", "rules", "write"]


def test_findings_table_shows_the_severity_in_indonesian_and_machines_keep_the_ids(
    app: App, script: Script,
) -> None:
    _seed(app, script)
    table = pantau(app, "findings").output
    assert "kritis" in table and "tinggi" in table and "rendah" in table
    assert "critical" not in table and " high " not in table
    rows = json.loads(pantau(app, "findings", "--format", "json").output)
    assert {row["severity"] for row in rows} == {"critical", "high", "low"}
    csv_rows = list(csv.DictReader(io.StringIO(pantau(app, "findings", "--format", "csv").output)))
    assert {row["severity"] for row in csv_rows} == {"critical", "high", "low"}
