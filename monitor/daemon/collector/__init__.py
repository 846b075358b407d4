"""Metrics that live in the database, read at scrape time by a custom collector.

Two tiers keep scrapes cheap. Per-contract figures (compliance status, values, premiums, check-run
history: :mod:`.slow`) change only when an import or a check run lands, so they are recomputed when the
newest import batch or check run changes (and at least every ``slow_max_age`` seconds) — in a background
thread, since at a million contracts that takes seconds (bench/metrics.py): meanwhile scrapes serve
the previous figures. The small tables (findings, agreements, imports, job runs, the outbox: :mod:`.fast`)
are re-read when the cache is ``ttl`` seconds old.

Each tier is made of parts (:data:`PARTS`), each read on its own. A part that cannot be read (a query
that fails, a bug) costs only its own figures, and says so where operators look: the counter
``pantau_collector_errors_total{part}``, a WARNING naming the error, and :meth:`DatabaseCollector.degraded`,
which ``/readyz`` reports (:mod:`monitor.daemon.health`). ``pantau_database_up`` is 0 only when the
database does not answer at all.

Labels are bounded: ``opd`` is a directory code, ``unknown`` for an OPD missing from the directory
and ``none`` for city-wide subjects (agreements without an OPD, orphan registrations). Agreements
are the one exception to "no identifiers": a city holds a handful of MoU/PKS, so
``pantau_agreement_end_timestamp_seconds`` carries the agreement's ``nomor`` for the not-yet-renewed
ones that ended from 90 days ago onward, at most :data:`MAX_AGREEMENT_SERIES`, soonest first. It is a
timestamp (Prometheus's base unit), so the days left are ``(it - time()) / 86400`` in PromQL. Sums of
rupiah cannot overflow on either engine (:func:`monitor.db.exact_sum`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from monitor.bootstrap import App
from monitor.daemon.collector.families import FAMILIES, Scrape, counter, gauge, opd_label
from monitor.daemon.collector.fast import AGREEMENT_LOOKBACK_DAYS, FAST_PARTS, MAX_AGREEMENT_SERIES
from monitor.daemon.collector.slow import CHECK_DURATION_BUCKETS, SLOW_PARTS, STATUSES, premium_sql
from monitor.models import CheckRun, ImportBatch

log = logging.getLogger(__name__)

Part = Callable[[Session, Scrape], list[Metric]]
PARTS: tuple[str, ...] = (*SLOW_PARTS, *FAST_PARTS)

__all__ = [
    "AGREEMENT_LOOKBACK_DAYS",
    "CHECK_DURATION_BUCKETS",
    "MAX_AGREEMENT_SERIES",
    "PARTS",
    "STATUSES",
    "DatabaseCollector",
    "opd_label",
    "premium_sql",
]

_DESCRIBED = {"counter": CounterMetricFamily, "gauge": GaugeMetricFamily, "histogram": HistogramMetricFamily}


def _why(exc: BaseException) -> str:
    """The error in one line, as a log line or /readyz can show it."""
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


class DatabaseCollector(Collector):
    """Reads Pantau's state from the database when Prometheus scrapes; see the module docstring."""

    def __init__(
        self,
        app: App,
        *,
        ttl: float = 5.0,
        slow_max_age: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
        background: bool = False,
    ) -> None:
        """``background``: recompute the per-contract figures off the scrape (the daemon does);
        without it a scrape waits for them (tests, one-off reads)."""
        self.app = app
        self.ttl = ttl
        self.slow_max_age = slow_max_age
        self._clock = clock
        self._now = now or (lambda: datetime.now(UTC))
        self._directory = frozenset(opd.code for opd in app.settings.opd)
        self._lock = threading.Lock()
        self._fast: list[Metric] = []
        self._fast_at = -float("inf")
        self._slow: list[Metric] = []
        self._slow_key: tuple[Any, ...] | None = None
        self._slow_at = -float("inf")
        self.background = background
        self._slow_worker: threading.Thread | None = None
        self._errors: Counter[str] = Counter({part: 0 for part in PARTS})
        self._degraded: dict[str, str] = {}  # part -> why its last read failed

    def describe(self) -> Iterator[Metric]:
        # Names only, so the registry can refuse a duplicate without querying the database.
        for name, kind in FAMILIES.items():
            yield _DESCRIBED[kind](name, "", labels=[])

    def degraded(self) -> dict[str, str]:
        """The parts whose last read failed, each with why (empty when every figure is read)."""
        with self._lock:
            return dict(self._degraded)

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        with self._lock:
            up = 1.0
            try:
                self._refresh()
            except SQLAlchemyError as exc:
                log.warning("metrics: database unreachable: %s", _why(exc))
                up = 0.0
                self._fast, self._slow, self._slow_key = [], [], None
                self._fast_at = self._slow_at = -float("inf")
            families = [*self._slow, *self._fast]
            errors = counter(
                "pantau_collector_errors", "Failed reads of a part of the database figures, by part.", ["part"],
            )
            for part in PARTS:
                errors.add_metric([part], self._errors[part])
        yield from families
        yield errors
        database_up = gauge("pantau_database_up", "1 when the last metrics read of the database worked.", [])
        database_up.add_metric([], up)
        yield database_up
        cost = gauge("pantau_metrics_collect_duration_seconds", "Time spent reading metrics from the database.", [])
        cost.add_metric([], time.perf_counter() - started)
        yield cost

    def _scrape(self) -> Scrape:
        return Scrape(directory=self._directory, now=self._now(), tz=self.app.settings.tz)

    def _refresh(self) -> None:
        tick = self._clock()
        if tick - self._fast_at < self.ttl:
            return
        with self.app.sessions() as session:
            key = self._data_version(session)  # raises when the database does not answer at all
        if key != self._slow_key or tick - self._slow_at >= self.slow_max_age:
            if not self.background:
                self._slow_done(*self._read(SLOW_PARTS), key, tick)
            elif self._slow_worker is None or not self._slow_worker.is_alive():
                self._slow_worker = threading.Thread(
                    target=self._refresh_slow, args=(key, tick), name="pantau-metrics", daemon=True
                )
                self._slow_worker.start()
        families, failures = self._read(FAST_PARTS)
        self._record(FAST_PARTS, failures)
        self._fast = families
        self._fast_at = tick

    def _read(self, parts: Mapping[str, Part]) -> tuple[list[Metric], dict[str, str]]:
        """Every part's families, each part in a session of its own; and why those that failed did."""
        scrape = self._scrape()
        families: list[Metric] = []
        failures: dict[str, str] = {}
        for part, read in parts.items():
            try:
                with self.app.sessions() as session:
                    families.extend(read(session, scrape))
            except Exception as exc:  # one part's failure must not blind the others
                failures[part] = _why(exc)
                log.warning("metrics: cannot read the %s figures: %s", part, failures[part],
                            extra={"part": part}, exc_info=not isinstance(exc, SQLAlchemyError))
        return families, failures

    def _record(self, parts: Mapping[str, Part], failures: Mapping[str, str]) -> None:
        """Count the failed parts and keep them as degraded; a part that read again is no longer. (Lock held.)"""
        for part in parts:
            if part in failures:
                self._errors[part] += 1
                self._degraded[part] = failures[part]
            else:
                self._degraded.pop(part, None)

    def _slow_done(self, families: list[Metric], failures: dict[str, str], key: tuple[Any, ...], tick: float) -> None:
        """(Lock held.) With a part failed, the previous figures stay and the next scrape tries again."""
        self._record(SLOW_PARTS, failures)
        if not failures:
            self._slow, self._slow_key, self._slow_at = families, key, tick
        elif not self._slow:
            self._slow = families

    def _refresh_slow(self, key: tuple[Any, ...], tick: float) -> None:
        families, failures = self._read(SLOW_PARTS)
        with self._lock:
            self._slow_done(families, failures, key, tick)

    def wait_for_background(self, timeout: float | None = None) -> None:
        """Let a running background recomputation finish (for tests and benchmarks)."""
        worker = self._slow_worker
        if worker is not None:
            worker.join(timeout)

    @staticmethod
    def _data_version(session: Session) -> tuple[Any, ...]:
        batch = session.execute(select(func.max(ImportBatch.id))).scalar()
        run = session.execute(select(func.max(CheckRun.id), func.max(CheckRun.finished_at))).one()
        return (batch, run[0], str(run[1]))
