"""Large files are parsed by a forked worker process: same results, same atomicity."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.bootstrap import App
from monitor.ingest import IngestError, importer, ingest_file, pipeline
from monitor.models import Contract, ImportBatch, RejectedRow
from monitor.settings import IngestSettings

from .conftest import CONTRACT_HEADER, write_csv
from .test_ingest import row


@pytest.fixture
def worker_used(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Every file goes to the worker; records whether it did."""
    if not pipeline.can_fork():
        pytest.skip("this process has threads: the importer would not fork")
    used: list[bool] = []
    real = pipeline.parse_in_worker

    def spy(*args: Any) -> Any:
        used.append(True)
        return real(*args)

    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(importer, "parse_in_worker", spy)
    yield used


def small_chunks(app: App) -> App:
    return App(app.settings.model_copy(update={"ingest": IngestSettings(chunk_rows=100)}), app.engine, app.sessions)


def counts(app: App) -> tuple[int, int, int]:
    with app.sessions() as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (ImportBatch, Contract, RejectedRow)
        )


def test_the_worker_gives_the_same_report_as_parsing_here(app: App, tmp_path: Path, worker_used: list[bool]) -> None:
    rows = [CONTRACT_HEADER] + [row(**{"No. Kontrak": f"K{i}"}) for i in range(230)]
    rows += [row(**{"No. Kontrak": "K5"}), row(**{"No. Kontrak": "KX", "Tgl Kontrak": "31/02/2026"}),
             row(**{"No. Kontrak": "KY", "Satker": "Dinas Kebersihan"})]
    path = write_csv(tmp_path / "besar.csv", rows, delimiter=";", encoding="cp1252")
    seen: list[int] = []

    report = ingest_file(small_chunks(app), "contracts", path, progress=seen.append)

    assert worker_used == [True]
    assert (report.rows, report.inserted, report.rejected) == (233, 231, 2)
    assert [(e.line, e.column) for e in report.errors] == [(232, "No. Kontrak"), (233, "Tgl Kontrak")]
    assert "sudah ada di baris 7" in report.errors[0].message
    assert report.notes["unknown_opd"] == {"Dinas Kebersihan": 1}
    assert seen == [100, 200, 233]
    assert counts(app) == (1, 231, 2)
    with app.sessions() as session:
        k5 = session.scalars(select(Contract).where(Contract.nomor_kontrak == "K5")).one()
    assert k5.source_line == 7 and len(k5.row_hash) == 40

    again = ingest_file(small_chunks(app), "contracts", path)
    assert (again.inserted, again.updated, again.unchanged, again.rejected) == (0, 0, 231, 2)


def test_a_file_breaking_in_the_worker_changes_nothing(app: App, tmp_path: Path, worker_used: list[bool]) -> None:
    rows = [CONTRACT_HEADER] + [row(**{"No. Kontrak": f"K{i}"}) for i in range(250)]
    path = write_csv(tmp_path / "k.csv", rows)
    path.write_bytes(path.read_bytes() + b"K999,\x00 rusak\r\n")
    with pytest.raises(IngestError, match="baris 252"):
        ingest_file(small_chunks(app), "contracts", path)
    assert worker_used == [True]
    assert counts(app) == (0, 0, 0)


def test_a_database_failure_ends_the_worker_and_rolls_back(
    app: App, tmp_path: Path, worker_used: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor.ingest.loader import Stage

    real_merge = Stage.merge
    merged: list[int] = []

    def failing_merge(self: Stage, records: list[list[Any]]) -> tuple[int, int, int]:
        merged.append(len(records))
        if len(merged) == 2:
            raise RuntimeError("disk full")
        return real_merge(self, records)

    monkeypatch.setattr(Stage, "merge", failing_merge)
    rows = [CONTRACT_HEADER] + [row(**{"No. Kontrak": f"K{i}"}) for i in range(450)]
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_file(small_chunks(app), "contracts", write_csv(tmp_path / "k.csv", rows))
    assert worker_used == [True]
    assert multiprocessing.active_children() == []
    assert counts(app) == (0, 0, 0)


def test_the_worker_reports_cells_beyond_the_header_too(app: App, tmp_path: Path, worker_used: list[bool]) -> None:
    rows = [CONTRACT_HEADER, row(**{"No. Kontrak": "K1"}), [*row(**{"No. Kontrak": "K2"}), "geser"]]
    report = ingest_file(app, "contracts", write_csv(tmp_path / "besar.csv", rows))
    assert worker_used == [True]
    assert report.notes["extra_cells"] == {"rows": 1, "lines": [3]}
