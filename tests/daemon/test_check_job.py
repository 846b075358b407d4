"""The check job: in the daemon (a process with other threads) the check runs in a process of its own
(monitor.check.process), where it may fork to use the second core; elsewhere in the caller's process."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.check import process as check_process
from monitor.check import run as engine
from monitor.check.run import CheckFailed
from monitor.daemon import jobs
from monitor.db import transaction
from monitor.models import CheckRun, Finding
from monitor.settings import DatabaseSettings
from tests.check.helpers import add_contract

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


@pytest.fixture
def other_thread() -> Iterator[None]:
    """Another thread running, as the daemon's HTTP server does."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="http")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@pytest.fixture
def unregistered(app: App) -> None:
    with transaction(app.sessions) as session:
        add_contract(session.connection(), "027/14/SPK-PUPR/III/2026", tanggal_kontrak=date(2026, 3, 2))


def _not_here(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the check ran in the daemon's own process")


def test_in_the_daemon_the_check_runs_in_a_process_of_its_own(
    app: App, unregistered: None, other_thread: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "run_check", _not_here)  # replaced here only: a new process imports its own

    result = jobs.check(app, NOW)

    assert result.follow_up == ("alerts",) and result.summary["status"] == "ok"
    with app.sessions() as session:
        run = session.scalars(select(CheckRun)).one()
        rules = set(session.scalars(select(Finding.rule)))
    assert (run.id, run.status, run.as_of) == (result.summary["run_id"], "ok", date(2026, 11, 22))
    assert "jakon.unregistered" in rules


def test_a_check_failing_in_its_own_process_fails_the_job_with_its_error(
    app: App, other_thread: None, tmp_path: Path
) -> None:
    # A database without the schema: the run fails, and cannot even record that it did.
    empty = app.settings.model_copy(update={"database": DatabaseSettings(url=f"sqlite:///{tmp_path / 'empty.db'}")})

    with pytest.raises(CheckFailed, match="no such table") as failed:
        jobs.check(App(settings=empty, engine=app.engine, sessions=app.sessions), NOW)

    assert failed.value.as_of == date(2026, 11, 22) and failed.value.run_id is None


def test_without_other_threads_the_check_runs_here(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[date] = []

    def here(app_: App, as_of: date) -> Any:
        called.append(as_of)
        return engine.CheckRunResult(run_id=7, as_of=as_of, started_at=NOW, finished_at=NOW)

    monkeypatch.setattr(engine, "run_check", here)

    assert jobs.check(app, NOW).summary["run_id"] == 7 and called == [date(2026, 11, 22)]


def test_a_failed_check_crosses_processes_whole() -> None:
    import pickle

    failed = pickle.loads(pickle.dumps(CheckFailed(3, date(2026, 11, 22), "ValueError: rusak")))
    assert (failed.run_id, failed.as_of, failed.error, str(failed)) == (
        3, date(2026, 11, 22), "ValueError: rusak", "pemeriksaan per 2026-11-22 gagal: ValueError: rusak")


def test_a_check_process_that_dies_without_a_word_fails_the_job(
    app: App, other_thread: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check_process.sys, "executable", shutil.which("false") or "/bin/false")

    with pytest.raises(RuntimeError, match="ended with status 1 without a result"):
        jobs.check(app, NOW)
