"""Prometheus metrics of the daemon itself, declared once against a registry the caller owns.

Naming: prefix ``pantau_``, unit suffixes (``_seconds``, ``_rupiah``, ``_ratio``), counters end in
``_total``; labels are bounded (job, rule, severity, OPD code, status), never contract numbers.
Values that live in the database come from :class:`monitor.daemon.collector.DatabaseCollector` at
scrape time; this module holds what only the running process knows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

# From a one-minute outbox flush to a check over a million contracts.
JOB_DURATION_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


def pantau_version() -> str:
    try:
        return version("pantau")
    except PackageNotFoundError:
        return "unknown"


class DaemonMetrics:
    """Job runs, failures and durations, leadership and build info of this process; and the standard
    ``process_*`` (CPU, memory, open files) and ``python_info`` series operators expect of any exporter."""

    def __init__(self, registry: CollectorRegistry, jobs: Iterable[str] = ()) -> None:
        # prometheus_client's own instances sit on its global registry; the daemon's registry is its own.
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        self.job_runs = Counter(
            "pantau_job_runs", "Job runs finished by this daemon.", ["job"], registry=registry
        )
        self.job_failures = Counter(
            "pantau_job_failures", "Job runs by this daemon that failed.", ["job"], registry=registry
        )
        self.job_duration = Histogram(
            "pantau_job_duration_seconds", "How long each job run took.", ["job"],
            buckets=JOB_DURATION_BUCKETS, registry=registry,
        )
        self.leader = Gauge(
            "pantau_leader", "1 when this daemon is the leader that runs the jobs, 0 on a standby.",
            registry=registry,
        )
        self.start_time = Gauge(
            "pantau_daemon_start_time_seconds", "When this daemon started (Unix time).", registry=registry
        )
        self.build_info = Gauge(
            "pantau_build_info", "Pantau's version, as a label; the value is always 1.", ["version"],
            registry=registry,
        )
        self.build_info.labels(pantau_version()).set(1)
        self.start_time.set_to_current_time()
        # Every job's series exists from the start, so rate() and alert rules see zeros, not gaps.
        for job in jobs:
            self.job_runs.labels(job)
            self.job_failures.labels(job)
            self.job_duration.labels(job)

    def observe_job(self, job: str, status: str, duration_seconds: float) -> None:
        self.job_runs.labels(job).inc()
        if status != "ok":
            self.job_failures.labels(job).inc()
        self.job_duration.labels(job).observe(duration_seconds)


class SchedulerCollector(Collector):
    """When each scheduled job runs next, read from the scheduler at scrape time."""

    def __init__(self, next_runs: Callable[[], Iterable[tuple[str, datetime | None]]]) -> None:
        self._next_runs = next_runs

    def describe(self) -> Iterator[Metric]:
        yield self._family()

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        for job, when in self._next_runs():
            if when is not None:
                family.add_metric([job], when.timestamp())
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "pantau_job_next_run_timestamp_seconds",
            "When the job is next due (Unix time); absent on a standby daemon.",
            labels=["job"],
        )
