"""``pantau demo-data``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli


def test_it_writes_the_demo_year_and_says_what_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo-data", str(out), "--contracts", "120", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "contracts.csv" in result.output and "registrations.xlsx" in result.output
    assert "120 baris kontrak + 5 baris rusak" in result.output
    assert "ground_truth.json" in result.output
    truth = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 5 and truth["contracts"] == 120 and truth["as_of"] == "2026-11-22"
    assert (out / "opd.toml").exists()


def test_format_and_demo_date_are_options(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo-data", str(out), "-n", "30", "--format", "csv", "--as-of", "2026-07-01"])
    assert result.exit_code == 0, result.output
    assert sorted(p.suffix for p in out.iterdir()) == [".csv"] * 6 + [".json", ".toml"]
    assert json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))["as_of"] == "2026-07-01"


def test_the_same_seed_writes_the_same_files(tmp_path: Path) -> None:
    for name in ("a", "b"):
        result = CliRunner().invoke(cli, ["demo-data", str(tmp_path / name), "-n", "50", "--format", "csv"])
        assert result.exit_code == 0
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_bad_usage_exits_with_2(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["demo-data", str(tmp_path), "--format", "ods"]).exit_code == 2
    assert runner.invoke(cli, ["demo-data", str(tmp_path), "--contracts", "-3"]).exit_code == 2
    assert runner.invoke(cli, ["demo-data", str(tmp_path), "--as-of", "22/11/2026"]).exit_code == 2
    assert runner.invoke(cli, ["demo-data"]).exit_code == 2
