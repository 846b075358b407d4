"""What a cell may hold: rupiah within a plausible range, text within one length limit, whatever the format
(issue 16, points 1 and 2). A value outside rejects its row, naming the cell; the rest of the file is imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.ingest import ingest_file
from monitor.ingest.values import BadValue, ValueLimits, money_parser
from monitor.models import Contract, RejectedRow
from monitor.settings import IngestSettings

from .conftest import CONTRACT_HEADER, CONTRACT_ROWS, write_csv, write_xlsx_openpyxl

ONE_THOUSAND_TRILLION = 1_000_000_000_000_000  # Rp 1.000 triliun, the default ceiling


def contract(number: str, *, value: str = "Rp 1.250.000.000,-", title: str = "Rehab Jalan") -> list[str]:
    cells = dict(zip(CONTRACT_HEADER, CONTRACT_ROWS[0], strict=True))
    cells.update({"No. Kontrak": number, "Nilai Kontrak (Rp)": value, "Nama Paket": title})
    return [str(cells[h]) for h in CONTRACT_HEADER]


def stored(app: App) -> dict[str, Contract]:
    with app.sessions() as session:
        return {c.nomor_kontrak: c for c in session.scalars(select(Contract))}


def rejects(app: App) -> list[RejectedRow]:
    with app.sessions() as session:
        return list(session.scalars(select(RejectedRow).order_by(RejectedRow.line)))


def test_the_money_ceiling_is_inclusive_and_negative_stays_refused() -> None:
    parse = money_parser(ValueLimits().max_rupiah)
    assert parse("Rp 1.000.000.000.000.000,00") == ONE_THOUSAND_TRILLION
    with pytest.raises(BadValue, match="di luar rentang wajar"):
        parse("Rp 1.000.000.000.000.001")
    with pytest.raises(BadValue, match="negatif"):
        parse("-5.000")
    assert parse("") is None


def test_an_amount_too_big_for_the_database_rejects_only_its_row(app: App, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "kontrak.csv", [
        CONTRACT_HEADER,
        contract("K-OK"),                                                      # 2
        contract("K-INT64", value="Rp 9.223.372.036.854.775.808,00"),          # 3: one past SQLite's INTEGER
        contract("K-MAX", value="Rp 1.000.000.000.000.000,00"),                # 4: the ceiling itself
        contract("K-OVER", value="Rp 1.000.000.000.000.001"),                  # 5: one rupiah over
        contract("K-LATER"),                                                   # 6
    ], delimiter=";")

    report = ingest_file(app, "contracts", path)

    assert (report.rows, report.inserted, report.rejected) == (5, 3, 2)
    assert [(e.line, e.column) for e in report.errors] == [(3, "Nilai Kontrak (Rp)"), (5, "Nilai Kontrak (Rp)")]
    assert all("di luar rentang wajar" in e.message and "Rp1.000.000.000.000.000" in e.message
               for e in report.errors)
    contracts = stored(app)
    assert sorted(contracts) == ["K-LATER", "K-MAX", "K-OK"]
    assert contracts["K-MAX"].nilai_kontrak == ONE_THOUSAND_TRILLION
    assert [(r.line, r.column) for r in rejects(app)] == [(3, "Nilai Kontrak (Rp)"), (5, "Nilai Kontrak (Rp)")]


def test_the_ceiling_is_configurable(app: App, tmp_path: Path) -> None:
    app.settings = app.settings.model_copy(update={"ingest": IngestSettings(max_rupiah=2_000_000_000)})
    path = write_csv(tmp_path / "kontrak.csv", [
        CONTRACT_HEADER, contract("K-2M", value="2.000.000.000"), contract("K-OVER", value="2.000.000.001"),
    ])
    report = ingest_file(app, "contracts", path)
    assert (report.inserted, report.rejected) == (1, 1)
    assert "Rp2.000.000.000" in report.errors[0].message


def test_a_csv_cell_beyond_pythons_csv_limit_rejects_its_row_and_the_header_is_still_found(
    app: App, tmp_path: Path,
) -> None:
    huge = "x" * 200_000  # Python's csv refuses fields over 131,072 characters by default
    path = write_csv(tmp_path / "kontrak.csv", [
        CONTRACT_HEADER, contract("K-HUGE", title=huge), contract("K-OK"),
    ])

    report = ingest_file(app, "contracts", path)

    assert report.notes["header_line"] == 1
    assert (report.rows, report.inserted, report.rejected) == (2, 1, 1)
    [error] = report.errors
    assert (error.line, error.column) == (2, "Nama Paket")
    assert "terlalu panjang (200000 karakter; paling banyak 10000)" in error.message
    [kept] = rejects(app)
    # The reject keeps the row for review, not 200 KB of it.
    assert len(kept.raw["Nama Paket"]) < 1000 and kept.raw["No. Kontrak"] == "K-HUGE"


def test_an_xlsx_cell_is_held_to_the_same_limit_at_its_boundary(app: App, tmp_path: Path) -> None:
    path = write_xlsx_openpyxl(tmp_path / "kontrak.xlsx", [
        CONTRACT_HEADER,
        contract("K-10000", title="y" * 10_000),
        contract("K-10001", title="y" * 10_001),
        contract("K-TITLE", title="z" * 3_000_000),
    ])

    report = ingest_file(app, "contracts", path)

    assert (report.inserted, report.rejected) == (1, 2)
    assert [(e.line, e.column) for e in report.errors] == [(3, "Nama Paket"), (4, "Nama Paket")]
    assert len(stored(app)["K-10000"].nama_paket) == 10_000
    # What is kept of a rejected row is bounded too: the 3-million-character title does not reach the database.
    assert all(len(json.dumps(r.raw)) < 5_000 for r in rejects(app))


def test_the_text_limit_is_configurable(app: App, tmp_path: Path) -> None:
    app.settings = app.settings.model_copy(update={"ingest": IngestSettings(max_text_chars=20)})
    path = write_csv(tmp_path / "kontrak.csv", [
        CONTRACT_HEADER, contract("K-20", title="a" * 20), contract("K-21", title="a" * 21),
    ])
    report = ingest_file(app, "contracts", path)
    assert (report.inserted, report.rejected) == (1, 1)
    assert report.errors[0].line == 3
