"""The demo year written as SPSE datasets (``pantau demo-data --format spse``) and imported that way
gives the same contracts, and the same findings, as the year's contract and addendum files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from monitor.bootstrap import App, bootstrap
from monitor.check.context import load_records
from monitor.check.run import run_check
from monitor.cli import cli
from monitor.demo import build_year, write_year
from monitor.demo.spse import FILES, write_spse
from monitor.ingest import ingest_file
from monitor.ingest.spse.importer import ingest_spse
from monitor.models import Contract, Finding
from monitor.settings import load_settings

AS_OF = date(2026, 11, 22)
OTHER_KINDS = ("registrations", "payments", "agreements", "kampung")


def _app(directory: Path, database_url: str, *, migrate: bool = False) -> App:
    config = directory / "pantau.toml"
    config.write_text(f'opd_file = "{directory / "opd.toml"}"\n[database]\nurl = "{database_url}"\n',
                      encoding="utf-8")
    return bootstrap(load_settings(config, environ={}, required=True), migrate=migrate)


@pytest.fixture
def demo_dirs(tmp_path: Path) -> tuple[Path, Path, dict[str, Path], dict[str, Path]]:
    year = build_year(contracts=300, seed=11, as_of=AS_OF)
    files, spse = tmp_path / "files", tmp_path / "spse"
    files.mkdir()
    spse.mkdir()
    return files, spse, write_year(year, files), {**write_year(year, spse), **write_spse(year, spse)}


@pytest.fixture
def spse_app(demo_dirs: tuple[Path, Path, dict[str, Path], dict[str, Path]], database_url: str) -> Iterator[App]:
    app = _app(demo_dirs[1], database_url)
    yield app
    app.dispose()


def _findings(app: App) -> dict[tuple[str, str], tuple[str, int]]:
    with app.sessions() as session:
        return {(f.rule, f.subject): (f.severity, f.amount_at_risk) for f in session.scalars(select(Finding))}


def _contracts(app: App) -> dict[tuple[str, str], Any]:
    with app.sessions() as session:
        return {(c.opd, c.nomor_kontrak): (c.nilai, c.tanggal_kontrak, c.tanggal_selesai, c.npwp_penyedia, c.penyedia)
                for c in load_records(session.connection()).contracts}


def test_the_spse_datasets_import_to_the_same_contracts_and_findings(
        demo_dirs: tuple[Path, Path, dict[str, Path], dict[str, Path]], spse_app: App) -> None:
    files_dir, _, files, spse = demo_dirs
    reference = _app(files_dir, f"sqlite:///{files_dir / 'files.db'}", migrate=True)
    for kind in ("contracts", "addenda", *OTHER_KINDS):
        ingest_file(reference, kind, files[kind])
    run_check(reference, AS_OF)

    # Stages in an unusual order: the contracts first, then the SPMKs, the packages last.
    for name in (FILES[1], FILES[4], FILES[2], FILES[5], FILES[0], FILES[3]):
        report = ingest_spse(spse_app, spse[name])
        assert report.rows == (report.inserted + report.updated + report.unchanged + report.rejected
                               + report.out_of_scope), name
    for kind in OTHER_KINDS:
        ingest_file(spse_app, kind, spse[kind])
    result = run_check(spse_app, AS_OF)

    assert _contracts(spse_app) == _contracts(reference)
    assert _findings(spse_app) == _findings(reference)
    with spse_app.sessions() as session:
        stored = list(session.scalars(select(Contract)))
    goods = [c for c in stored if not c.in_scope]
    assert goods and all(c.nama_paket.startswith("Pengadaan Komputer") for c in goods)
    assert all(c.source == "spse" and c.complete for c in stored if c.in_scope)
    assert {c.sumber_tanggal_selesai for c in stored if c.in_scope} == {"spmk", "waktu_penyelesaian"}
    assert result.counts["contracts_left_out"]["out_of_scope"] == len(goods)
    reference.dispose()


def test_demo_data_writes_the_spse_datasets(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo-data", str(out), "--format", "spse", "-n", "50"], catch_exceptions=False)
    assert result.exit_code == 0
    assert {p.name for p in out.iterdir()} >= {f"spse_{name}" for name in FILES}
    assert not (out / "contracts.csv").exists() and not (out / "addenda.csv").exists()
    kontrak = json.loads((out / "spse_tender_kontrak.json").read_text(encoding="utf-8"))
    row = kontrak[0]
    assert row["tgl_kontrak"].endswith("T00:00:00.000000Z") and row["tgl_kontrak_akhir"] == row["tgl_kontrak"]
    assert "." in row["nilai_kontrak"] and "," not in row["nilai_kontrak"]
    assert (out / "spse_nontender_kontrak.csv").read_text(encoding="utf-8").count("12:00:00AM") > 0
