"""``pantau run`` as a real process: signals, the SQLite lock, and leadership on PostgreSQL."""

from __future__ import annotations

import itertools
import json
import signal
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from daemon_support import DaemonProcess, parse_metrics, sample, start_daemon, write_config
from sqlalchemy import select

from monitor import db
from monitor.models import JobRun

ONLY_INBOX = "".join(f"[scheduler.{job}]\nenabled = false\n" for job in ("check", "alerts", "outbox", "monev"))

SLOW_DAEMON = """
import asyncio, sys, time
from apscheduler.triggers.interval import IntervalTrigger
from monitor.bootstrap import bootstrap
from monitor.daemon.service import Daemon
from monitor.daemon.leader import leadership_for
from monitor.logs import configure_logging
from monitor.daemon.scheduler import ScheduledJob
from monitor.settings import JobSchedule, load_settings

def slow(app, now):
    print("job started", flush=True)
    time.sleep(float(sys.argv[2]))
    print("job finished", flush=True)

settings = load_settings(sys.argv[1], required=True)
configure_logging(settings.logging)
leadership = leadership_for(settings.database.url)
app = bootstrap(settings)
jobs = {"slow": ScheduledJob("slow", slow, JobSchedule(interval="1h"), IntervalTrigger(hours=1))}
sys.exit(asyncio.run(Daemon(app, leadership, jobs=jobs).run()))
"""


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


def leader_value(daemon: DaemonProcess) -> float | None:
    return sample(parse_metrics(get(daemon.url)[1]), "pantau_leader")


def job_runs(url: str) -> list[JobRun]:
    engine = db.make_engine(url)
    try:
        with db.make_session_factory(engine)() as session:
            return list(session.scalars(select(JobRun).order_by(JobRun.id)))
    finally:
        engine.dispose()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def sqlite_config(tmp_path: Path, extra: str = ONLY_INBOX) -> Path:
    return write_config(tmp_path / "pantau.toml", "sqlite:///pantau.db", extra=extra)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_daemon_cleanly_with_exit_0(
    tmp_path: Path, daemons: Callable[..., DaemonProcess], signum: int
) -> None:
    daemon = daemons(sqlite_config(tmp_path))
    assert get(daemon.base + "/healthz") == (200, "ok\n")
    wait_until(lambda: any(r.status == "ok" for r in job_runs("sqlite:///" + str(tmp_path / "pantau.db"))), 10,
               "the inbox job's first run")
    started = time.monotonic()
    daemon.signal(signum)
    assert daemon.wait(timeout=30) == 0
    assert time.monotonic() - started < 5
    logged = [json.loads(line) for line in daemon.stderr if line.startswith("{")]
    assert logged[-1]["message"] == "stopped"
    assert any(entry["message"].startswith(f"received {signal.Signals(signum).name}") for entry in logged)


def test_sigterm_lets_the_running_job_finish_within_the_grace_period(tmp_path: Path) -> None:
    config = sqlite_config(tmp_path, extra="")
    config.write_text(config.read_text().replace("[logging]", "shutdown_grace_seconds = 10\n\n[logging]"))
    script = [sys.executable, "-c", SLOW_DAEMON, str(config), "2"]
    daemon = start_daemon(config, argv=script)
    try:
        daemon.wait_for_line("job started", 20)
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
        assert any("job finished" in line for line in daemon.stdout)
        [run] = job_runs("sqlite:///" + str(tmp_path / "pantau.db"))
        assert (run.job, run.status) == ("slow", "ok")
        # A clean stop logs no ERROR (the scheduler's cancelled wrapper once logged a CancelledError traceback).
        logged = [json.loads(line) for line in daemon.stderr if line.startswith("{")]
        assert [entry for entry in logged if entry["level"] == "error"] == []
        assert not any("CancelledError" in line for line in daemon.stderr)
    finally:
        daemon.stop()


def test_sigterm_abandons_a_job_that_outlives_the_grace_period_and_still_exits_0(tmp_path: Path) -> None:
    config = sqlite_config(tmp_path, extra="")
    config.write_text(config.read_text().replace("[logging]", "shutdown_grace_seconds = 1\n\n[logging]"))
    daemon = start_daemon(config, argv=[sys.executable, "-c", SLOW_DAEMON, str(config), "120"])
    try:
        daemon.wait_for_line("job started", 20)
        started = time.monotonic()
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
        assert time.monotonic() - started < 10
        [run] = job_runs("sqlite:///" + str(tmp_path / "pantau.db"))
        assert (run.status, run.error) == ("interrupted", "stopped by SIGTERM before it finished")
        assert not any("job finished" in line for line in daemon.stdout)
    finally:
        daemon.stop()


def test_a_second_daemon_on_the_same_sqlite_file_refuses_to_start(
    tmp_path: Path, daemons: Callable[..., DaemonProcess]
) -> None:
    config = sqlite_config(tmp_path)
    first = daemons(config)
    second = daemons(config, wait_for_url=False)
    assert second.wait(timeout=30) == 1
    message = "".join(second.stderr)
    assert "sudah berjalan" in message and f"pid {first.process.pid}" in message and "PostgreSQL" in message
    # The first is unharmed; once it stops, the file is free again.
    assert get(first.base + "/healthz")[0] == 200
    first.signal()
    assert first.wait(timeout=30) == 0
    third = daemons(config)
    assert get(third.base + "/healthz")[0] == 200


def test_two_daemons_on_postgresql_one_leads_and_the_other_takes_over(
    tmp_path: Path, database_url: str, daemons: Callable[..., DaemonProcess]
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("leadership by advisory lock is PostgreSQL's (set PANTAU_TEST_POSTGRES_URL)")
    config = write_config(tmp_path / "pantau.toml", database_url, extra=ONLY_INBOX)
    first = daemons(config)
    wait_until(lambda: leader_value(first) == 1, 10, "the first daemon to lead")
    second = daemons(config)
    time.sleep(1.0)  # several leadership retries
    assert (leader_value(first), leader_value(second)) == (1, 0)
    # The standby serves the database's metrics too.
    assert sample(parse_metrics(get(second.url)[1]), "pantau_database_up") == 1
    runs_before = job_runs(database_url)
    assert runs_before and {r.instance.split(":")[-1] for r in runs_before} == {str(first.process.pid)}

    first.process.kill()  # no goodbye: PostgreSQL frees the lock when the connection drops
    first.wait(timeout=10)
    wait_until(lambda: leader_value(second) == 1, 15, "the standby to take over")
    second.signal()
    assert second.wait(timeout=30) == 0
    # Never the same job twice at once: each job's runs follow one another.
    by_job: dict[str, list[JobRun]] = {}
    for run in job_runs(database_url):
        by_job.setdefault(run.job, []).append(run)
    for runs in by_job.values():
        for earlier, later in itertools.pairwise(runs):
            assert earlier.finished_at is None or earlier.finished_at <= later.started_at


def test_once_runs_every_enabled_job_once_and_exits(tmp_path: Path) -> None:
    config = sqlite_config(tmp_path)
    (tmp_path / "inbox").mkdir()
    daemon = start_daemon(config, "--once", wait_for_url=False)
    try:
        assert daemon.wait(timeout=60) == 0
    finally:
        daemon.stop()
    runs = job_runs("sqlite:///" + str(tmp_path / "pantau.db"))
    assert [(r.job, r.trigger, r.status) for r in runs] == [("inbox", "once", "ok")]


def test_the_inbox_folder_is_there_as_soon_as_the_daemon_answers(
    tmp_path: Path, daemons: Callable[..., DaemonProcess]
) -> None:
    # The inbox job's first run waits for leadership: the folder must not wait for it.
    daemon = daemons(sqlite_config(tmp_path))
    assert get(daemon.base + "/healthz") == (200, "ok\n")
    assert (tmp_path / "inbox").is_dir()


def test_a_disabled_inbox_leaves_no_folder_behind(tmp_path: Path, daemons: Callable[..., DaemonProcess]) -> None:
    daemon = daemons(sqlite_config(tmp_path, extra=ONLY_INBOX + "[scheduler.inbox]\nenabled = false\n"))
    assert get(daemon.base + "/healthz") == (200, "ok\n")
    assert not (tmp_path / "inbox").exists()
