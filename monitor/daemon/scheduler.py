"""Which jobs the daemon runs and when: the job registry, their schedules from ``[scheduler.<job>]``,
and the runner that executes one job at a time and records every run.

Each job is named by the import path of a plain function (:mod:`monitor.daemon.jobs`), so the registry is
data a persistent job store could save. Triggers come from config::

    [scheduler.check]
    cron = "0 6 * * *"        # crontab, in the configured time zone
    [scheduler.outbox]
    interval = "1m"           # s, m, h, d; combined as "1h30m"
    [scheduler.monev]
    cron = "0 8 1 * *"        # the monev report, monthly
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import re
import socket
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import ref_to_obj
from pydantic import ValidationError
from sqlalchemy import delete, func, select

from monitor.bootstrap import App
from monitor.daemon.jobs import JobResult, as_job_result
from monitor.daemon.metrics import DaemonMetrics
from monitor.db import transaction
from monitor.models import JobRun, aware, utcnow
from monitor.settings import JobSchedule, Settings, SettingsError
from monitor.settings_errors import describe_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: str  # import path, "module:function"
    default: JobSchedule
    description: str


JOBS: Mapping[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec("inbox", "monitor.daemon.jobs:inbox", JobSchedule(interval="1m"), "import files dropped in the inbox"),
        JobSpec("check", "monitor.daemon.jobs:check", JobSchedule(cron="0 6 * * *"), "run the compliance check"),
        # Also after every check; the daily run catches up checks run by hand with `pantau check`.
        JobSpec("alerts", "monitor.daemon.jobs:alerts", JobSchedule(cron="0 7 * * *"), "send the due digests"),
        JobSpec("outbox", "monitor.daemon.jobs:outbox", JobSchedule(interval="1m"), "deliver pending emails"),
        # A cron job that never ran waits for its time: a fresh install does not write a report at start.
        JobSpec("monev", "monitor.daemon.jobs:monev", JobSchedule(cron="0 8 1 * *"),
                "monthly monev report: files and e-mail"),
    )
}

# Job runs older than this are deleted (at most once a day, after a run).
JOB_RUN_RETENTION = timedelta(days=90)

# The order `pantau run --once` runs the jobs in: data in, then check, then tell people.
ONCE_ORDER = ("inbox", "check", "alerts", "outbox", "monev")

_INTERVAL_PART = re.compile(r"\s*(\d+)\s*([smhd])", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> timedelta:
    """``"90s"``, ``"5m"``, ``"1h30m"``, ``"1d"`` -> a positive timedelta; anything else is an error."""
    pos, seconds = 0, 0
    while pos < len(text.rstrip()):
        match = _INTERVAL_PART.match(text, pos)
        if match is None:
            raise ValueError(f"bukan interval: {text!r} (tulis mis. '30s', '5m', '1h30m', '1d')")
        seconds += int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        pos = match.end()
    if seconds <= 0:
        raise ValueError(f"bukan interval: {text!r} (tulis mis. '30s', '5m', '1h30m', '1d')")
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class ScheduledJob:
    """A job as this daemon runs it: its function, its trigger, and whether it is enabled."""

    name: str
    func: Callable[..., Any]
    schedule: JobSchedule
    trigger: BaseTrigger | None  # None when disabled


def _schedule(settings: Settings, spec: JobSpec) -> JobSchedule:
    """The job's default, overlaid with its ``[scheduler.<job>]`` table: naming a cron replaces a
    default interval and vice versa, so ``enabled = false`` alone is enough to switch a job off."""
    raw = (settings.scheduler.model_extra or {}).get(spec.name)
    if raw is None:
        return spec.default
    if isinstance(raw, JobSchedule):
        return raw
    if not isinstance(raw, Mapping):
        raise SettingsError(f"{settings.source}: scheduler.{spec.name}: harus tabel")
    merged = spec.default.model_dump()
    if "cron" in raw or "interval" in raw:
        merged.update(cron=None, interval=None)
    merged.update(raw)
    try:
        return JobSchedule.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(
            (".".join(str(p) for p in err["loc"]) + ": " if err["loc"] else "") + describe_error(err)
            for err in exc.errors()
        )
        raise SettingsError(f"{settings.source}: scheduler.{spec.name}: {problems}") from exc


def _trigger(settings: Settings, name: str, schedule: JobSchedule) -> BaseTrigger | None:
    if not schedule.enabled:
        return None
    try:
        if schedule.cron is not None:
            return CronTrigger.from_crontab(schedule.cron, timezone=settings.tz)
        assert schedule.interval is not None
        return IntervalTrigger(seconds=parse_interval(schedule.interval).total_seconds(), timezone=settings.tz)
    except ValueError as exc:
        key = "cron" if schedule.cron is not None else "interval"
        raise SettingsError(f"{settings.source}: scheduler.{name}.{key}: jadwal tidak sah: {exc}") from exc


def scheduled_jobs(settings: Settings, registry: Mapping[str, JobSpec] = JOBS) -> dict[str, ScheduledJob]:
    """Every job of ``registry`` with its trigger from config; an unknown job name is an error."""
    extra = settings.scheduler.model_extra or {}
    unknown = sorted(set(extra) - set(registry))
    if unknown:
        raise SettingsError(
            f"{settings.source}: scheduler.{unknown[0]}: tidak ada tugas bernama ini (tugas: {', '.join(registry)})"
        )
    jobs = {}
    for name, spec in registry.items():
        schedule = _schedule(settings, spec)
        jobs[name] = ScheduledJob(name, ref_to_obj(spec.func), schedule, _trigger(settings, name, schedule))
    return jobs


def missed_run(job: ScheduledJob, last_started: datetime | None, now: datetime) -> bool:
    """Whether ``job`` missed a run while no daemon was up, so it should run once right away.

    Interval jobs (inbox, outbox) are cheap and also run at start; a cron job that never ran waits
    for its time."""
    if isinstance(job.trigger, IntervalTrigger):
        return last_started is None or last_started + job.trigger.interval <= now
    if job.trigger is None or last_started is None:
        return False
    next_fire = job.trigger.get_next_fire_time(None, last_started + timedelta(seconds=1))
    return next_fire is not None and next_fire <= now


def last_started(app: App) -> dict[str, datetime]:
    with app.sessions() as session:
        rows = session.execute(select(JobRun.job, func.max(JobRun.started_at)).group_by(JobRun.job)).all()
    # max() over an aware column comes back naive from SQLite; the column stores UTC.
    return {job: aware(at) for job, at in rows if at is not None}


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _call(function: Callable[..., Any], app: App, now: datetime) -> Any:
    """Run a job function in a worker thread; a coroutine it returns runs on that thread's own loop,
    so a slow job never stalls /metrics."""
    result = function(app, now)
    if inspect.isawaitable(result):
        awaitable = result

        async def wait() -> Any:
            return await awaitable

        result = asyncio.run(wait())
    return result


class JobRunner:
    """Runs jobs one at a time — never two at once, whichever triggered them — and records each
    run as a :class:`~monitor.models.JobRun` row, a log line and metrics."""

    def __init__(
        self,
        app: App,
        jobs: Mapping[str, ScheduledJob],
        metrics: DaemonMetrics,
        *,
        instance: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.app = app
        self.jobs = jobs
        self.metrics = metrics
        self.instance = instance or instance_name()
        self.clock = clock
        self.stopping = False
        self.current: asyncio.Task[tuple[str, tuple[str, ...]]] | None = None
        self.current_job: str | None = None
        self.current_run_id: int | None = None
        # Jobs whose next scheduled run makes up for one missed while no daemon ran.
        self.catching_up: set[str] = set()
        self._lock = asyncio.Lock()
        self._pruned_at: datetime | None = None

    async def run(self, name: str, trigger: str = "schedule", *, follow: bool = True) -> str:
        """Run job ``name`` (waiting for a running job to end first) and then its follow-ups.
        Returns the run's status: ok, failed, skipped when the daemon is stopping, or stopping when it
        began to stop during the run (which then finishes within the grace period, or is abandoned)."""
        async with self._lock:
            if self.stopping:
                return "skipped"
            if trigger == "schedule" and name in self.catching_up:
                self.catching_up.discard(name)
                trigger = "catch-up"
            # Shielded: a scheduler shutting down cancels its tasks, but a started job finishes
            # (or the daemon abandons it, rolled back, when the grace period is over).
            self.current = asyncio.create_task(self._execute(name, trigger))
            try:
                status, follow_ups = await asyncio.shield(self.current)
            except asyncio.CancelledError:
                if not self.stopping:
                    raise
                # A clean stop: the scheduler cancels its wrapper of this run, not the job, which goes on
                # (drain() waits for it through self.current). Nothing went wrong: no exception to report.
                return "stopping"
            self.current = None
        if follow:
            for follow_up in follow_ups:
                if self._enabled(follow_up):
                    await self.run(follow_up, f"after:{name}")
        return status

    def _enabled(self, name: str) -> bool:
        job = self.jobs.get(name)
        return job is not None and job.schedule.enabled and not self.stopping

    async def _execute(self, name: str, trigger: str) -> tuple[str, tuple[str, ...]]:
        job = self.jobs[name]
        started = self.clock()
        run_id = await asyncio.to_thread(self._record_start, name, trigger, started)
        self.current_job, self.current_run_id = name, run_id
        clock_start = time.monotonic()
        status, error, result = "ok", None, JobResult()
        try:
            result = as_job_result(await asyncio.to_thread(_call, job.func, self.app, started))
        except Exception as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            log.error(
                "job %s failed: %s", name, error,
                extra={"job": name, "run_id": run_id, "traceback": traceback.format_exc(limit=8)},
            )
        duration = time.monotonic() - clock_start
        try:
            await asyncio.to_thread(self._record_end, run_id, status, error, result.summary)
        finally:
            self.current_job = self.current_run_id = None
            self.metrics.observe_job(name, status, duration)
        if status == "ok":
            log.info(
                "job %s ok in %.1f s", name, duration,
                extra={"job": name, "run_id": run_id, "trigger": trigger, "summary": result.summary},
            )
        return status, result.follow_up if status == "ok" else ()

    def _record_start(self, name: str, trigger: str, started: datetime) -> int:
        with transaction(self.app.sessions) as session:
            run = JobRun(job=name, trigger=trigger, started_at=started, status="running", instance=self.instance)
            session.add(run)
            session.flush()
            return run.id

    def _record_end(self, run_id: int, status: str, error: str | None, summary: dict[str, Any]) -> None:
        finished = self.clock()
        with transaction(self.app.sessions) as session:
            run = session.get(JobRun, run_id)
            if run is not None:
                run.finished_at = finished
                run.status = status
                run.error = error
                run.summary = _jsonable(summary)
            # The outbox job alone records half a million runs a year: keep a few months.
            if self._pruned_at is None or finished - self._pruned_at >= timedelta(days=1):
                session.execute(delete(JobRun).where(JobRun.started_at < finished - JOB_RUN_RETENTION))
                self._pruned_at = finished

    def mark_interrupted(self) -> None:
        """The daemon is leaving with a job still running: its work rolls back with the process;
        say so on its run record."""
        if self.current_run_id is not None:
            self._record_end(self.current_run_id, "interrupted", "stopped by SIGTERM before it finished", {})

    async def drain(self, timeout: float) -> bool:
        """Stop taking work and wait up to ``timeout`` s for the running job; False if it is still running."""
        self.stopping = True
        task = self.current
        if task is None or task.done():
            return True
        done, _ = await asyncio.wait({task}, timeout=timeout)
        return bool(done)


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))
