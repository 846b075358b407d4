"""``pantau match confirm|reject`` and ``pantau matches`` through the real CLI, on both engines."""

from __future__ import annotations

import csv
import io
import json
from types import MappingProxyType

import pytest
from click.testing import CliRunner, Result

from monitor.bootstrap import App
from monitor.cli import cli
from monitor.db import transaction
from monitor.matching import load_decisions, save_links
from monitor.records import Link
from tests.matching.test_store import add_contract, add_registration


def pantau(app: App, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", app.settings.source, *args])


@pytest.fixture
def ids(app: App) -> dict[str, int]:
    with transaction(app.sessions) as session:
        conn = session.connection()
        found = {
            "c1": add_contract(conn, "027/14/SPK-PUPR/III/2026"),
            "c2": add_contract(conn, "=HYPERLINK(\"x\")", opd="PERKIM"),
            "r1": add_registration(conn, "JK-2026-0000001"),
            "r2": add_registration(conn, "JK-2026-0000002"),
        }
        save_links(session, [
            Link(found["c1"], found["r1"], "exact", 1.0,
                 MappingProxyType({"reason": "exact", "evidence": ["number", "value", "dates", "npwp"]})),
            Link(found["c2"], found["r2"], "fuzzy", 0.8312,
                 MappingProxyType({"reason": "fuzzy", "evidence": ["value", "dates", "consortium_member", "title"]})),
        ])
    return found


def test_confirm_records_the_decision_and_links_at_once(app: App, ids: dict[str, int]) -> None:
    # OPD by alias, the number as typed at BPJS: both resolved.
    result = pantau(app, "match", "confirm", "Dinas PUPR", "No. 27-14-SPK-PUPR-3-2026", "JK-2026-0000002",
                    "--note", "dicek ke PPK", "--actor", "budi")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "Dikonfirmasi: kontrak PUPR|027/14/SPK-PUPR/III/2026 ↔ registrasi JK-2026-0000002."
    )
    with app.sessions() as session:
        [decision] = load_decisions(session)
    assert (decision.opd, decision.decision, decision.actor, decision.note) == ("PUPR", "confirm", "budi",
                                                                                "dicek ke PPK")
    rows = json.loads(pantau(app, "matches", "--format", "json").output)
    assert rows == [{"opd": "PUPR", "nomor_kontrak": "027/14/SPK-PUPR/III/2026",
                     "nomor_registrasi": "JK-2026-0000002", "method": "manual", "score": 1.0, "evidence": [],
                     "other_name": False}]


def test_reject_removes_the_link(app: App, ids: dict[str, int]) -> None:
    result = pantau(app, "match", "reject", "PUPR", "027/14/SPK-PUPR/III/2026", "JK-2026-0000001")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Ditolak: kontrak PUPR|027/14/SPK-PUPR/III/2026 ↔ registrasi JK-2026-0000001.")
    rows = json.loads(pantau(app, "matches", "--format", "json").output)
    assert [row["nomor_registrasi"] for row in rows] == ["JK-2026-0000002"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("PUPR", "404/SPK/2026", "JK-2026-0000001"), "Kontrak '404/SPK/2026' tidak ditemukan di OPD PUPR."),
        (("PUPR", "027/14/SPK-PUPR/III/2026", "JK-404"), "Registrasi Jakon 'JK-404' tidak ditemukan."),
    ],
)
def test_an_unknown_contract_or_registration_fails_with_exit_code_1(
    app: App, ids: dict[str, int], args: tuple[str, ...], message: str
) -> None:
    result = pantau(app, "match", "confirm", *args)
    assert result.exit_code == 1
    assert message in result.output
    with app.sessions() as session:
        assert load_decisions(session) == []


def test_matches_exports_json_csv_and_a_table(app: App, ids: dict[str, int]) -> None:
    rows = json.loads(pantau(app, "matches", "--format", "json").output)
    assert rows == [
        {"opd": "PERKIM", "nomor_kontrak": '=HYPERLINK("x")', "nomor_registrasi": "JK-2026-0000002",
         "method": "fuzzy", "score": 0.831, "evidence": ["value", "dates", "consortium_member", "title"],
         "other_name": False},
        {"opd": "PUPR", "nomor_kontrak": "027/14/SPK-PUPR/III/2026", "nomor_registrasi": "JK-2026-0000001",
         "method": "exact", "score": 1.0, "evidence": ["number", "value", "dates", "npwp"], "other_name": False},
    ]
    result = pantau(app, "matches", "--format", "csv")
    assert result.exit_code == 0
    table = list(csv.reader(io.StringIO(result.output)))
    assert table[0] == ["opd", "nomor_kontrak", "nomor_registrasi", "method", "score", "evidence", "other_name"]
    assert table[1] == ["PERKIM", "'=HYPERLINK(\"x\")", "JK-2026-0000002", "fuzzy", "0.831",  # no formula
                        "value+dates+consortium_member+title", "False"]
    assert table[2] == ["PUPR", "027/14/SPK-PUPR/III/2026", "JK-2026-0000001", "exact", "1.0",
                        "number+value+dates+npwp", "False"]
    result = pantau(app, "matches")
    assert result.exit_code == 0
    assert "027/14/SPK-PUPR/III/2026" in result.output and result.output.rstrip().endswith("2 tautan.")
    assert "nomor, nilai, tanggal, NPWP" in result.output and "nilai, tanggal, anggota KSO, nama paket" in result.output
    weakest = json.loads(pantau(app, "matches", "--format", "json", "--weakest-first").output)
    assert [row["score"] for row in weakest] == [0.831, 1.0]
    filtered = json.loads(pantau(app, "matches", "--format", "json", "--opd", "dinas perkim").output)
    assert [row["opd"] for row in filtered] == ["PERKIM"]
    by_method = json.loads(pantau(app, "matches", "--format", "json", "--method", "exact").output)
    assert [row["method"] for row in by_method] == ["exact"]


def test_matches_on_an_empty_database_is_an_empty_list(app: App) -> None:
    assert json.loads(pantau(app, "matches", "--format", "json").output) == []
    assert pantau(app, "matches", "--format", "csv").output == (
        "opd,nomor_kontrak,nomor_registrasi,method,score,evidence,other_name\n")
