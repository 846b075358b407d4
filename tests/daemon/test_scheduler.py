from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.daemon.scheduler import JOBS, missed_run, parse_interval, scheduled_jobs
from monitor.ingest import kind_from_name
from monitor.settings import Settings, SettingsError, load_settings


def settings_from(tmp_path: Path, text: str) -> Settings:
    config = tmp_path / "pantau.toml"
    config.write_text(text, encoding="utf-8")
    return load_settings(config, environ={}, required=True)


def test_default_jobs_and_their_triggers(tmp_path: Path) -> None:
    jobs = scheduled_jobs(settings_from(tmp_path, ""))
    assert list(jobs) == ["inbox", "check", "alerts", "outbox", "monev"]
    check = jobs["check"].trigger
    assert isinstance(check, CronTrigger)
    # Daily at 06:00 WIB.
    after = datetime(2026, 3, 25, 0, 0, tzinfo=UTC)  # 07:00 WIB
    assert check.get_next_fire_time(None, after) == datetime(2026, 3, 25, 23, 0, tzinfo=UTC)
    outbox = jobs["outbox"].trigger
    assert isinstance(outbox, IntervalTrigger) and outbox.interval == timedelta(minutes=1)
    # The monev report: monthly, the first of the month at 08:00 WIB.
    monev = jobs["monev"].trigger
    assert isinstance(monev, CronTrigger)
    assert monev.get_next_fire_time(None, datetime(2026, 3, 2, tzinfo=UTC)) == datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
    assert jobs["check"].func.__name__ == "check" and JOBS["check"].func == "monitor.daemon.jobs:check"


def test_config_switches_jobs_off_and_between_cron_and_interval(tmp_path: Path) -> None:
    jobs = scheduled_jobs(settings_from(tmp_path, """
timezone = "Asia/Makassar"
[scheduler.check]
interval = "12h"
[scheduler.outbox]
cron = "*/5 * * * *"
[scheduler.inbox]
enabled = false
[scheduler.monev]
enabled = true
"""))
    assert isinstance(jobs["check"].trigger, IntervalTrigger)
    assert jobs["check"].trigger.interval == timedelta(hours=12)
    outbox = jobs["outbox"].trigger
    assert isinstance(outbox, CronTrigger) and str(outbox.timezone) == "Asia/Makassar"
    assert jobs["inbox"].trigger is None
    # Enabling monev keeps its default monthly cron: the first of the month, 08:00 WITA.
    monev = jobs["monev"].trigger
    assert isinstance(monev, CronTrigger)
    assert monev.get_next_fire_time(None, datetime(2026, 3, 2, tzinfo=UTC)) == datetime(2026, 4, 1, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[scheduler.check]\ncron = "0 25 * * *"', "scheduler.check.cron"),
        ('[scheduler.outbox]\ninterval = "often"', "scheduler.outbox.interval"),
        ('[scheduler.check]\ncron = "0 6 * * *"\ninterval = "1h"', "scheduler.check: isi tepat satu"),
        ('[scheduler.chek]\ncron = "0 6 * * *"', "scheduler.chek: tidak ada tugas bernama ini"),
        ('[scheduler.check]\ncorn = "0 6 * * *"', "scheduler.check: corn: kunci tidak dikenal"),
    ],
)
def test_a_bad_schedule_is_an_error_naming_the_key(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        scheduled_jobs(settings_from(tmp_path, table))
    assert "pantau.toml" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("1m", 60), ("5 m", 300), ("1h30m", 5400), ("1d", 86400), ("2H", 7200)]
)
def test_intervals(text: str, seconds: int) -> None:
    assert parse_interval(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "0s", "5", "1 minute", "m", "-1m", "1m 5x"])
def test_bad_intervals(text: str) -> None:
    with pytest.raises(ValueError, match="bukan interval"):
        parse_interval(text)


def test_a_cron_job_missed_while_down_runs_once_at_start(tmp_path: Path) -> None:
    check = scheduled_jobs(settings_from(tmp_path, ""))["check"]
    yesterday_run = datetime(2026, 3, 24, 23, 0, 5, tzinfo=UTC)  # 06:00:05 WIB on 25 March
    # Up again at 05:59 WIB on the 26th: nothing missed. At 06:01: the 06:00 run was missed.
    assert not missed_run(check, yesterday_run, datetime(2026, 3, 25, 22, 59, tzinfo=UTC))
    assert missed_run(check, yesterday_run, datetime(2026, 3, 25, 23, 1, tzinfo=UTC))
    # A week down still means one catch-up run (the scheduler coalesces), and never-run cron jobs wait.
    assert missed_run(check, yesterday_run, datetime(2026, 4, 1, tzinfo=UTC))
    assert not missed_run(check, None, datetime(2026, 4, 1, tzinfo=UTC))


def test_interval_jobs_run_at_start_unless_they_just_ran(tmp_path: Path) -> None:
    outbox = scheduled_jobs(settings_from(tmp_path, ""))["outbox"]
    now = datetime(2026, 3, 25, tzinfo=UTC)
    assert missed_run(outbox, None, now)
    assert missed_run(outbox, now - timedelta(minutes=2), now)
    assert not missed_run(outbox, now - timedelta(seconds=20), now)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("contracts_2026.csv", "contracts"),
        ("Kontrak-PUPR.xlsx", "contracts"),
        ("registrations.xlsx", "registrations"),
        ("jakon_export.xlsx", "registrations"),
        ("adendum maret.csv", "addenda"),
        ("SP2D_2026-03.csv", "payments"),
        ("mou-bpjs.csv", "agreements"),
        ("kampung_bahagia.xlsx", "kampung"),
        ("laporan.csv", None),
        ("adendum_kontrak.csv", "addenda"),
        ("rt_05_kenali.csv", "kampung"),
        ("rtlh_2026.csv", None),
    ],
)
def test_inbox_file_names_say_the_kind(name: str, kind: str | None) -> None:
    assert kind_from_name(Path(name).name) == kind
