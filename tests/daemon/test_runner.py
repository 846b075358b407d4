from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import CollectorRegistry
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.daemon.jobs import JobResult
from monitor.daemon.metrics import DaemonMetrics
from monitor.daemon.scheduler import JobRunner, ScheduledJob
from monitor.daemon.service import JOB_DEFAULTS
from monitor.models import JobRun
from monitor.settings import JobSchedule


class Recorder:
    """Job functions that note when they run, to prove runs never overlap."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, float, float]] = []
        self.active = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def job(self, name: str, seconds: float = 0.0, result: Any = None, fail: bool = False) -> Callable[..., Any]:
        def run(app: App, now: datetime) -> Any:
            assert now.tzinfo is not None
            with self._lock:
                self.active += 1
                self.most_at_once = max(self.most_at_once, self.active)
            start = time.monotonic()
            time.sleep(seconds)
            with self._lock:
                self.active -= 1
            self.spans.append((name, start, time.monotonic()))
            if fail:
                raise RuntimeError(f"{name} broke")
            return result

        return run


def jobs(**functions: Callable[..., Any]) -> dict[str, ScheduledJob]:
    return {name: ScheduledJob(name, f, JobSchedule(interval="1m"), None) for name, f in functions.items()}


def runner_for(app: App, scheduled: dict[str, ScheduledJob]) -> JobRunner:
    return JobRunner(app, scheduled, DaemonMetrics(CollectorRegistry(), scheduled), instance="test:1")


def runs(app: App) -> list[JobRun]:
    with app.sessions() as session:
        return list(session.scalars(select(JobRun).order_by(JobRun.id)))


def test_two_jobs_triggered_together_run_one_after_the_other(app: App) -> None:
    rec = Recorder()
    runner = runner_for(app, jobs(a=rec.job("a", 0.3), b=rec.job("b", 0.3)))

    async def both() -> list[str]:
        return list(await asyncio.gather(runner.run("a"), runner.run("b"), runner.run("a")))

    assert asyncio.run(both()) == ["ok", "ok", "ok"]
    assert rec.most_at_once == 1
    recorded = runs(app)
    assert [r.job for r in recorded] == ["a", "b", "a"]
    for earlier, later in itertools.pairwise(recorded):
        assert earlier.finished_at is not None and earlier.finished_at <= later.started_at


def test_a_run_is_recorded_with_its_outcome_and_a_failure_does_not_stop_the_next(app: App) -> None:
    rec = Recorder()
    runner = runner_for(app, jobs(bad=rec.job("bad", fail=True), good=rec.job("good", result={"files": 2})))

    async def go() -> tuple[str, str]:
        return await runner.run("bad"), await runner.run("good", "catch-up")

    assert asyncio.run(go()) == ("failed", "ok")
    bad, good = runs(app)
    assert (bad.status, bad.error, bad.instance) == ("failed", "RuntimeError: bad broke", "test:1")
    assert (good.status, good.trigger, good.summary) == ("ok", "catch-up", {"files": 2})
    assert good.finished_at is not None and good.finished_at >= good.started_at
    assert runner.metrics.job_failures.labels("bad")._value.get() == 1
    assert runner.metrics.job_runs.labels("good")._value.get() == 1


def test_follow_ups_run_after_success_only_and_only_when_enabled(app: App) -> None:
    rec = Recorder()
    scheduled = jobs(
        inbox=rec.job("inbox", result=JobResult({"imported": ["k.csv"]}, follow_up=("check",))),
        check=rec.job("check", result=JobResult(follow_up=("alerts",))),
        alerts=rec.job("alerts", fail=True),
    )
    runner = runner_for(app, scheduled)
    assert asyncio.run(runner.run("inbox")) == "ok"
    assert [(r.job, r.trigger, r.status) for r in runs(app)] == [
        ("inbox", "schedule", "ok"), ("check", "after:inbox", "ok"), ("alerts", "after:check", "failed"),
    ]
    scheduled["check"] = ScheduledJob("check", rec.job("check"), JobSchedule(enabled=False), None)
    asyncio.run(runner_for(app, scheduled).run("inbox"))
    assert [r.job for r in runs(app)][3:] == ["inbox"]


def test_coroutine_jobs_are_awaited(app: App) -> None:
    async def send(app: App, now: datetime) -> dict[str, int]:
        await asyncio.sleep(0.01)
        return {"sent": 3}

    def returns_coroutine(app: App, now: datetime) -> Any:
        return send(app, now)

    runner = runner_for(app, jobs(outbox=returns_coroutine, direct=send))
    assert asyncio.run(runner.run("outbox")) == "ok"
    assert asyncio.run(runner_for(app, jobs(direct=send)).run("direct")) == "ok"
    assert [r.summary for r in runs(app)] == [{"sent": 3}, {"sent": 3}]


def test_a_job_slower_than_its_interval_never_overlaps_itself_under_the_scheduler(app: App) -> None:
    rec = Recorder()
    scheduled = jobs(slow=rec.job("slow", 0.35), fast=rec.job("fast", 0.05))
    runner = runner_for(app, scheduled)

    async def scenario() -> None:
        scheduler = AsyncIOScheduler(job_defaults=JOB_DEFAULTS)
        scheduler.add_job(runner.run, IntervalTrigger(seconds=0.1), args=["slow"], id="slow")
        scheduler.add_job(runner.run, IntervalTrigger(seconds=0.1), args=["fast"], id="fast")
        scheduler.start()
        await asyncio.sleep(1.6)
        scheduler.shutdown(wait=False)
        await runner.drain(5)

    asyncio.run(scenario())
    assert rec.most_at_once == 1
    recorded = runs(app)
    assert {r.job for r in recorded} == {"slow", "fast"}
    assert all(r.status == "ok" for r in recorded)
    ordered = sorted(rec.spans, key=lambda span: span[1])
    for (_, _, end), (_, start, _) in itertools.pairwise(ordered):
        assert end <= start


def test_drain_waits_for_the_running_job_then_takes_no_more(app: App) -> None:
    rec = Recorder()
    runner = runner_for(app, jobs(a=rec.job("a", 0.4)))

    async def scenario() -> tuple[bool, str]:
        task = asyncio.create_task(runner.run("a"))
        await asyncio.sleep(0.1)
        finished = await runner.drain(5)
        await task
        return finished, await runner.run("a")

    assert asyncio.run(scenario()) == (True, "skipped")
    assert [r.status for r in runs(app)] == ["ok"]


def test_drain_gives_up_after_the_grace_period(app: App) -> None:
    rec = Recorder()
    runner = runner_for(app, jobs(a=rec.job("a", 1.0)))

    async def scenario() -> bool:
        task = asyncio.create_task(runner.run("a"))
        await asyncio.sleep(0.1)
        finished = await runner.drain(0.2)
        assert runner.current_job == "a"
        await asyncio.to_thread(runner.mark_interrupted)
        await task
        return finished

    assert asyncio.run(scenario()) is False


def test_job_runs_older_than_the_retention_are_pruned(app: App) -> None:
    from datetime import UTC, timedelta

    from monitor.daemon.scheduler import JOB_RUN_RETENTION
    from monitor.db import transaction

    now = datetime.now(UTC)
    with transaction(app.sessions) as session:
        for age in (JOB_RUN_RETENTION + timedelta(days=1), JOB_RUN_RETENTION - timedelta(days=1)):
            session.add(JobRun(job="a", trigger="schedule", started_at=now - age, finished_at=now - age,
                               status="ok", instance="old:1"))
    rec = Recorder()
    runner = runner_for(app, jobs(a=rec.job("a")))
    asyncio.run(runner.run("a"))
    assert [r.instance for r in runs(app)] == ["old:1", "test:1"]
