"""A contract release that arrives before the release naming its buyer waits (is kept as a stage) and is
compiled when the buyer arrives: in the same file, a later chunk, or a later file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.cli import cli
from monitor.ingest.ocds import importer
from monitor.ingest.ocds.importer import ingest_ocds
from monitor.models import Contract, SourceStage
from tests.ingest.spse.conftest import balanced, count

from .conftest import OCID, release, write_json_lines, write_record_package, write_release_package

NOMOR = "027/14/SPK-PUPR/III/2025"


def contract_only(ocid: str = OCID) -> dict[str, Any]:
    """The contract release as a publisher splitting the stages writes it: the supplier, no buyer."""
    value = release(ocid)
    del value["buyer"]
    value["parties"] = [party for party in value["parties"] if "buyer" not in party["roles"]]
    return value


def tender(ocid: str = OCID) -> dict[str, Any]:
    """The earlier tender release: the buyer and the tender, no award or contract yet."""
    full = release(ocid)
    return {"ocid": ocid, "id": f"{ocid}-tender-01", "date": "2025-02-10T00:00:00Z", "tag": ["tender"],
            "parties": full["parties"][:1], "buyer": full["buyer"], "tender": full["tender"]}


def staged(app: App) -> int:
    with app.sessions() as session:
        return len(session.scalars(select(SourceStage.id).where(SourceStage.source == "ocds")).all())


def test_a_contract_release_without_its_buyer_waits_and_is_counted(app: App, tmp_path: Path) -> None:
    report = ingest_ocds(app, write_release_package(tmp_path / "kontrak.json", [contract_only()]))
    assert (report.rows, report.rejected, report.unchanged, report.inserted) == (1, 0, 1, 0) and balanced(report)
    assert report.notes["waiting_for_buyer"] == 1 and report.notes["waiting_ocids"] == [OCID]
    assert count(app, Contract) == 0 and staged(app) == 1
    again = ingest_ocds(app, write_release_package(tmp_path / "kontrak.json", [contract_only()]))
    assert (again.rejected, again.notes["waiting_for_buyer"], staged(app)) == (0, 1, 1)  # still waiting


def test_the_buyer_arriving_in_a_later_file_compiles_the_waiting_contract(app: App, tmp_path: Path) -> None:
    ingest_ocds(app, write_release_package(tmp_path / "kontrak.json", [contract_only()]))
    report = ingest_ocds(app, write_release_package(tmp_path / "tender.json", [tender()]))
    assert (report.rows, report.inserted, report.rejected) == (1, 1, 0) and balanced(report)
    assert "waiting_for_buyer" not in report.notes
    [contract] = count_contracts(app)
    assert (contract.opd, contract.opd_known, contract.nomor_kontrak, contract.penyedia) == (
        "PUPR", True, NOMOR, "CV KARYA ABADI")


def test_the_buyer_later_in_the_same_file_compiles_it(app: App, tmp_path: Path) -> None:
    report = ingest_ocds(app, write_json_lines(tmp_path / "rilis.jsonl", [contract_only(), tender()]))
    assert (report.rows, report.inserted, report.rejected) == (2, 2, 0) and balanced(report)
    assert "waiting_for_buyer" not in report.notes and count(app, Contract) == 1


def test_a_release_waiting_in_an_earlier_chunk_counts_with_its_contract(
        app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "CHUNK_RELEASES", 1)
    other = contract_only("ocds-jmb001-2")
    report = ingest_ocds(app, write_release_package(tmp_path / "paket.json", [contract_only(), other, tender()]))
    # The first release was counted waiting in its chunk; its buyer came two chunks later.
    assert (report.rows, report.inserted, report.unchanged, report.rejected) == (3, 2, 1, 0) and balanced(report)
    assert (report.notes["waiting_for_buyer"], report.notes["waiting_ocids"]) == (1, ["ocds-jmb001-2"])
    assert count(app, Contract) == 1


def test_a_compiled_release_without_a_buyer_is_still_rejected(app: App, tmp_path: Path) -> None:
    """A record package's compiled release is final: no later release of it is compiled here."""
    report = ingest_ocds(app, write_record_package(tmp_path / "record.json", [contract_only()]))
    assert (report.rows, report.rejected) == (1, 1) and balanced(report)
    assert report.errors[0].column == "$.records[0].compiledRelease.buyer"


def count_contracts(app: App) -> list[Contract]:
    with app.sessions() as session:
        return list(session.scalars(select(Contract)))


def test_the_text_summary_says_which_releases_wait(app: App, tmp_path: Path) -> None:
    path = write_release_package(tmp_path / "kontrak.json", [contract_only()])
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "pantau.toml"), "ingest", "ocds", str(path)],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert "1 baris: 0 baru, 0 diperbarui, 1 tidak berubah, 0 ditolak" in result.stdout
    assert "Menunggu pembeli (buyer): 1 rilis disimpan" in result.stdout and OCID in result.stdout
