"""``pantau run``: the long-running process.

It serves /metrics, /healthz and /readyz from the start. The leader (see :mod:`monitor.daemon.leader`)
also runs the scheduled jobs: after downtime each job that missed its time runs once, then on its
trigger; jobs never overlap. SIGTERM or SIGINT: no new work; the running job gets
``[scheduler] shutdown_grace_seconds`` to finish, otherwise it is abandoned — its transaction rolls
back with the process — and the daemon exits 0 either way, within 30 s.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client import CollectorRegistry

from monitor.bootstrap import App
from monitor.daemon.collector import DatabaseCollector
from monitor.daemon.http import HttpServer
from monitor.daemon.leader import Leadership
from monitor.daemon.metrics import DaemonMetrics, SchedulerCollector
from monitor.daemon.scheduler import ONCE_ORDER, JobRunner, ScheduledJob, last_started, missed_run, scheduled_jobs

log = logging.getLogger(__name__)

JOB_DEFAULTS = {
    "coalesce": True,  # runs missed while the loop was busy collapse into one
    "max_instances": 1,
    "misfire_grace_time": None,  # however late, a due run still runs (once)
}


class Daemon:
    def __init__(
        self,
        app: App,
        leadership: Leadership,
        *,
        registry: CollectorRegistry | None = None,
        jobs: dict[str, ScheduledJob] | None = None,
    ) -> None:
        self.app = app
        self.settings = app.settings
        self.leadership = leadership
        self.jobs = jobs if jobs is not None else scheduled_jobs(app.settings)
        self.registry = registry or CollectorRegistry()
        self.metrics = DaemonMetrics(self.registry, self.jobs)
        from alerts.outbox import install_delivery_metrics  # the alerts area, imported when a daemon is made

        install_delivery_metrics(app, self.registry)  # the outbox job's flushes say when the server refuses Pantau
        self.collector = DatabaseCollector(app, background=True)
        self.registry.register(self.collector)
        self.runner = JobRunner(app, self.jobs, self.metrics)
        self.scheduler = AsyncIOScheduler(timezone=self.settings.tz, job_defaults=JOB_DEFAULTS)
        self.registry.register(SchedulerCollector(self._next_runs))
        self.http = HttpServer(app, self.registry, self.collector)
        self.is_leader = False
        self.stop_requested = asyncio.Event()
        self.address: tuple[str, int] | None = None

    def _next_runs(self) -> Iterable[tuple[str, datetime | None]]:
        if not self.is_leader:
            return []
        return [(job.id, job.next_run_time) for job in self.scheduler.get_jobs()]

    def request_stop(self) -> None:
        self.stop_requested.set()

    async def run(self) -> int:
        """Serve until SIGTERM/SIGINT (or :meth:`request_stop`); returns the exit code."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._on_signal, signum)
        inbox = self.jobs.get("inbox")
        if inbox is not None and inbox.schedule.enabled:
            # The folder people drop files into is there from the start, not from the inbox job's
            # first run (which waits for leadership and may come after the first scrape).
            self.settings.scheduler.inbox_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.address = await self.http.start(self.settings.http.host, self.settings.http.port)
        except OSError as exc:
            log.error("cannot listen on %s:%d: %s", self.settings.http.host, self.settings.http.port, exc)
            print(
                f"Pantau tidak dijalankan: tidak bisa mendengarkan di {self.settings.http.host}:"
                f"{self.settings.http.port} ({exc.strerror or exc}); ubah [http] port.",
                file=sys.stderr, flush=True,
            )
            await asyncio.to_thread(self.leadership.release)
            return 1
        host, port = self.address
        url = f"http://{host}:{port}/metrics"
        log.info("serving metrics at %s", url, extra={"url": url})
        # On stdout for the person who started it (and for tests that asked for any free port).
        print(f"Pantau berjalan: metrik di {url} (Ctrl-C untuk berhenti)", flush=True)
        self._announce_web(host, port)
        # Start computing the per-contract figures now (in the background), so early scrapes have them.
        await asyncio.to_thread(lambda: list(self.collector.collect()))
        self.scheduler.start(paused=True)
        leading = asyncio.create_task(self._lead())
        try:
            await self.stop_requested.wait()
        finally:
            leading.cancel()
            await self._shutdown()
        return 0

    def _announce_web(self, host: str, port: int) -> None:
        web = self.settings.web
        if web.enabled:
            print(f"Halaman web: http://{host}:{port}/ (untuk pengguna: {web.base_url or 'base_url belum diisi'})",
                  flush=True)
        if web.enabled and not web.base_url:
            # Said at start, not in each digest: an OPD only learns of its page through the link.
            log.warning("[web] base_url is not set: the digests carry no OPD link")

    def _on_signal(self, signum: int) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        self.request_stop()

    async def _lead(self) -> None:
        """Become the leader when possible, stay it while the lock holds, step down when it is lost."""
        retry = self.settings.scheduler.leader_retry_seconds
        announced_standby = False
        while not self.stop_requested.is_set():
            if not self.is_leader:
                if await asyncio.to_thread(self.leadership.try_acquire):
                    await self._take_over()
                elif not announced_standby:
                    log.info("another daemon is the leader: standing by, serving metrics only")
                    announced_standby = True
            elif not await asyncio.to_thread(self.leadership.still_held):
                self._step_down()
                announced_standby = False
            await asyncio.sleep(retry)

    async def _take_over(self) -> None:
        self.is_leader = True
        self.metrics.leader.set(1)
        last = await asyncio.to_thread(last_started, self.app)
        now = datetime.now(UTC)
        for job in self.jobs.values():
            if job.trigger is None:
                continue
            catch_up = missed_run(job, last.get(job.name), now)
            if catch_up:
                self.runner.catching_up.add(job.name)
            self.scheduler.add_job(
                self.runner.run,
                job.trigger,
                args=[job.name],
                id=job.name,
                name=job.name,
                replace_existing=True,
                # A job that missed its time while no daemon ran runs once now, then on its trigger.
                **({"next_run_time": now} if catch_up else {}),
            )
        self.scheduler.resume()
        enabled = [name for name, job in self.jobs.items() if job.trigger is not None]
        log.info("leader: running jobs %s", ", ".join(enabled), extra={"jobs": enabled})

    def _step_down(self) -> None:
        log.error("leader: lock lost, no longer running jobs")
        self.is_leader = False
        self.metrics.leader.set(0)
        self.scheduler.pause()
        self.scheduler.remove_all_jobs()

    async def _shutdown(self) -> None:
        grace = self.settings.scheduler.shutdown_grace_seconds
        self.runner.stopping = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        finished = await self.runner.drain(grace)
        if not finished:
            job = self.runner.current_job
            log.error(
                "job %s still running after %.0f s: abandoning it; its work is rolled back", job, grace,
                extra={"job": job},
            )
            await asyncio.to_thread(self.runner.mark_interrupted)
            await self.http.close()
            logging.shutdown()
            # The job's thread cannot be stopped; leaving the process ends its transaction uncommitted.
            os._exit(0)
        await self.http.close()
        await asyncio.to_thread(self.leadership.release)
        log.info("stopped")


async def run_once(app: App, leadership: Leadership, registry: CollectorRegistry | None = None) -> int:
    """Run every enabled job once, in order (``pantau run --once``); 1 if any failed."""
    jobs = scheduled_jobs(app.settings)
    try:
        if not await asyncio.to_thread(leadership.try_acquire):
            log.error("another daemon is the leader of this database; not running jobs")
            return 1
        runner = JobRunner(app, jobs, DaemonMetrics(registry or CollectorRegistry(), jobs))
        failed = [
            name for name in ONCE_ORDER
            if jobs[name].schedule.enabled and await runner.run(name, "once", follow=False) != "ok"
        ]
    finally:
        await asyncio.to_thread(leadership.release)
    return 1 if failed else 0


def main_loop(app: App, leadership: Leadership, *, once: bool = False) -> int:
    """Run the daemon (or one pass of every job) to the end; returns the process exit code."""
    if once:
        return asyncio.run(run_once(app, leadership))

    async def serve() -> int:
        return await Daemon(app, leadership).run()

    return asyncio.run(serve())
