"""Metrics that live in the database, read at scrape time by a custom collector.

Two tiers keep scrapes cheap. Per-contract figures (compliance status, values, premiums, check-run
history) change only when an import or a check run lands, so they are recomputed when the newest
import batch or check run changes (and at least every ``slow_max_age`` seconds) — in a background
thread, since at a million contracts that takes seconds (bench/metrics.py): meanwhile scrapes serve
the previous figures. The small tables (findings, agreements, imports, job runs, the outbox) are
re-read when the cache is ``ttl`` seconds old.

Labels are bounded: ``opd`` is a directory code, ``unknown`` for an OPD missing from the directory
and ``none`` for city-wide subjects (agreements without an OPD, orphan registrations). Agreements
are the one exception to "no identifiers": a city holds a handful of MoU/PKS, so
``pantau_agreement_end_timestamp_seconds`` carries the agreement's ``nomor`` for the not-yet-renewed
ones that ended from 90 days ago onward, at most :data:`MAX_AGREEMENT_SERIES`, soonest first. It is a
timestamp (Prometheus's base unit), so the days left are ``(it - time()) / 86400`` in PromQL.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from monitor.bootstrap import App
from monitor.models import (
    Addendum,
    Agreement,
    CheckRun,
    Contract,
    Finding,
    ImportBatch,
    JobRun,
    MatchLink,
    OutboxMessage,
    Registration,
)
from monitor.regulation.premium_sql import premium_sql

log = logging.getLogger(__name__)

MAX_AGREEMENT_SERIES = 50
AGREEMENT_LOOKBACK_DAYS = 90
CHECK_DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
STATUSES = ("registered", "unregistered", "pending")
UNRESOLVED = ("open", "reopened", "acknowledged", "silenced")


def opd_label(value: str | None, directory: frozenset[str]) -> str:
    if not value:
        return "none"
    return value if value in directory else "unknown"


def _gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


def _counter(name: str, documentation: str, labels: list[str]) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, labels=labels)


def _aware(value: datetime | str | None) -> datetime | None:
    """Aggregates (max, min) of an aware column come back naive (or as text) from SQLite; it stores UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _int(value: Decimal | int | None) -> int:
    return int(value or 0)


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

    def describe(self) -> Iterator[Metric]:
        # Names only, so the registry can refuse a duplicate without querying the database.
        for name, kind in _FAMILIES.items():
            yield (_counter if kind == "counter" else _gauge)(name, "", [])

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        with self._lock:
            up = 1.0
            try:
                self._refresh()
            except SQLAlchemyError as exc:
                log.warning("metrics: database unreachable: %s", exc.__class__.__name__)
                up = 0.0
                self._fast, self._slow, self._slow_key = [], [], None
                self._fast_at = self._slow_at = -float("inf")
            families = [*self._slow, *self._fast]
        yield from families
        database_up = _gauge("pantau_database_up", "1 when the last metrics read of the database worked.", [])
        database_up.add_metric([], up)
        yield database_up
        cost = _gauge("pantau_metrics_collect_duration_seconds", "Time spent reading metrics from the database.", [])
        cost.add_metric([], time.perf_counter() - started)
        yield cost

    def _refresh(self) -> None:
        tick = self._clock()
        if tick - self._fast_at < self.ttl:
            return
        with self.app.sessions() as session:
            key = self._data_version(session)
            if key != self._slow_key or tick - self._slow_at >= self.slow_max_age:
                if not self.background:
                    self._slow = self._slow_families(session)
                    self._slow_key, self._slow_at = key, tick
                elif self._slow_worker is None or not self._slow_worker.is_alive():
                    self._slow_worker = threading.Thread(
                        target=self._refresh_slow, args=(key, tick), name="pantau-metrics", daemon=True
                    )
                    self._slow_worker.start()
            today = self._now().astimezone(self.app.settings.tz).date()
            self._fast = [
                *self._finding_families(session),
                *self._agreement_families(session, today),
                *self._import_families(session),
                *self._job_families(session),
            ]
        self._fast.extend(self._outbox_families())
        self._fast_at = tick

    def _slow_families(self, session: Session) -> list[Metric]:
        return [*self._contract_families(session), *self._check_run_families(session)]

    def _refresh_slow(self, key: tuple[Any, ...], tick: float) -> None:
        try:
            with self.app.sessions() as session:
                families = self._slow_families(session)
        except SQLAlchemyError as exc:
            log.warning("metrics: cannot read per-contract figures: %s", exc.__class__.__name__)
            return
        with self._lock:
            self._slow, self._slow_key, self._slow_at = families, key, tick

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

    # --- contracts: status, value, premium (the slow tier) ---------------------------------------

    def _contract_families(self, session: Session) -> list[Metric]:
        newer = aliased(Addendum)
        latest = aliased(Addendum)
        later_exists = exists().where(
            newer.opd == latest.opd,
            newer.nomor_kontrak == latest.nomor_kontrak,
            newer.nilai_kontrak_baru.is_not(None),
            or_(
                newer.tanggal_adendum > latest.tanggal_adendum,
                and_(newer.tanggal_adendum == latest.tanggal_adendum, newer.id > latest.id),
            ),
        )
        current_value = (
            select(latest.opd, latest.nomor_kontrak, latest.nilai_kontrak_baru.label("nilai"))
            .where(latest.nilai_kontrak_baru.is_not(None), ~later_exists)
            .subquery()
        )
        value = func.coalesce(current_value.c.nilai, Contract.nilai_kontrak)
        status = case(
            (Registration.id.is_not(None), "registered"),
            (Finding.id.is_not(None), "unregistered"),
            else_="pending",
        )
        per_contract = (
            select(
                Contract.opd.label("opd"),
                status.label("status"),
                value.label("value"),
                premium_sql(value).label("premium"),
                func.coalesce(Registration.iuran_dibayar, 0).label("paid"),
            )
            .select_from(Contract)
            .outerjoin(MatchLink, MatchLink.contract_id == Contract.id)
            # A cancelled (batal) registration protects nobody.
            .outerjoin(Registration, and_(Registration.id == MatchLink.registration_id, Registration.status != "batal"))
            .outerjoin(
                current_value,
                and_(current_value.c.opd == Contract.opd, current_value.c.nomor_kontrak == Contract.nomor_kontrak),
            )
            .outerjoin(
                Finding,
                and_(
                    Finding.rule == "jakon.unregistered",
                    Finding.status != "resolved",
                    Finding.subject == Contract.opd + "|" + Contract.nomor_kontrak,
                ),
            )
            .subquery()
        )
        rows = session.execute(
            select(
                per_contract.c.opd,
                per_contract.c.status,
                func.count(),
                func.sum(per_contract.c.value),
                func.sum(per_contract.c.premium),
                func.sum(per_contract.c.paid),
            ).group_by(per_contract.c.opd, per_contract.c.status)
        ).all()
        count: dict[tuple[str, str], int] = defaultdict(int)
        amount: dict[tuple[str, str], int] = defaultdict(int)
        due: dict[tuple[str, str], int] = defaultdict(int)
        paid: dict[str, int] = defaultdict(int)
        for opd, state, n, total, premium, premium_paid in rows:
            label = opd_label(opd, self._directory)
            count[label, state] += n
            amount[label, state] += _int(total)
            due[label, state] += _int(premium)
            paid[label] += _int(premium_paid)
        contracts = _gauge(
            "pantau_contracts", "Contracts by OPD and compliance status (pending: deadline not yet passed).",
            ["opd", "status"],
        )
        values = _gauge("pantau_contract_value_rupiah", "Current contract value (after addenda).", ["opd", "status"])
        premium_due = _gauge(
            "pantau_premium_due_rupiah", "Jakon premium required on the current contract values.", ["opd", "status"]
        )
        premium_paid = _gauge(
            "pantau_premium_paid_rupiah", "Jakon premium paid on the registrations linked to contracts.", ["opd"]
        )
        coverage = _gauge(
            "pantau_registration_coverage_ratio",
            "Share of contracts with a valid linked registration, by count or by value.",
            ["opd", "basis"],
        )
        opds = sorted({opd for opd, _ in count})
        for opd in opds:
            for state in STATUSES:
                contracts.add_metric([opd, state], count[opd, state])
                values.add_metric([opd, state], amount[opd, state])
                premium_due.add_metric([opd, state], due[opd, state])
            premium_paid.add_metric([opd], paid[opd])
            total_count = sum(count[opd, s] for s in STATUSES)
            total_value = sum(amount[opd, s] for s in STATUSES)
            coverage.add_metric([opd, "count"], count[opd, "registered"] / total_count if total_count else 0.0)
            if total_value:
                coverage.add_metric([opd, "value"], amount[opd, "registered"] / total_value)
        return [contracts, values, premium_due, premium_paid, coverage]

    def _check_run_families(self, session: Session) -> list[Metric]:
        runs = session.execute(
            select(CheckRun.started_at, CheckRun.finished_at, CheckRun.status)
            .where(CheckRun.finished_at.is_not(None))
            .order_by(CheckRun.finished_at)
        ).all()
        last_time = _gauge("pantau_check_run_last_timestamp_seconds", "When the last check run ended.", [])
        last_ok = _gauge(
            "pantau_check_run_last_success_timestamp_seconds", "When the last successful check run ended.", []
        )
        last_duration = _gauge("pantau_check_run_last_duration_seconds", "How long the last check run took.", [])
        last_status = _gauge(
            "pantau_check_run_last_status", "Outcome of the last check run: 1 on its status, 0 on the others.",
            ["status"],
        )
        buckets = [0] * len(CHECK_DURATION_BUCKETS)
        total = 0.0
        for started, finished, _ in runs:
            seconds = max(0.0, (finished - started).total_seconds())
            total += seconds
            for i, bound in enumerate(CHECK_DURATION_BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1
        histogram = HistogramMetricFamily(
            "pantau_check_run_duration_seconds", "Duration of every recorded check run.",
            buckets=[*((str(b), n) for b, n in zip(CHECK_DURATION_BUCKETS, buckets, strict=True)), ("+Inf", len(runs))],
            sum_value=total,
        )
        families: list[Metric] = [histogram]
        if runs:
            started, finished, state = runs[-1]
            last_time.add_metric([], finished.timestamp())
            last_duration.add_metric([], (finished - started).total_seconds())
            for outcome in ("ok", "failed"):
                last_status.add_metric([outcome], 1.0 if state == outcome else 0.0)
            families += [last_time, last_duration, last_status]
        successes = [finished for _, finished, state in runs if state == "ok"]
        if successes:
            last_ok.add_metric([], successes[-1].timestamp())
            families.append(last_ok)
        return families

    # --- the small tables (the fast tier) ------------------------------------------------------

    def _finding_families(self, session: Session) -> list[Metric]:
        rows = session.execute(
            select(
                Finding.rule, Finding.severity, Finding.opd, Finding.status,
                func.count(), func.sum(Finding.amount_at_risk),
            )
            .where(Finding.status != "resolved")
            .group_by(Finding.rule, Finding.severity, Finding.opd, Finding.status)
        ).all()
        count: dict[tuple[str, str, str, str], int] = defaultdict(int)
        at_risk: dict[tuple[str, str], int] = defaultdict(int)
        for rule, severity, opd, state, n, amount in rows:
            label = opd_label(opd, self._directory)
            count[rule, severity, label, state] += n
            at_risk[rule, label] += _int(amount)
        findings = _gauge(
            "pantau_findings_open", "Findings not resolved, by rule, severity, OPD and status.",
            ["rule", "severity", "opd", "status"],
        )
        for labels, n in sorted(count.items()):
            findings.add_metric(list(labels), n)
        risk = _gauge(
            "pantau_amount_at_risk_rupiah", "Rupiah at risk in unresolved findings (unpaid premium).", ["rule", "opd"]
        )
        for pair, amount in sorted(at_risk.items()):
            risk.add_metric(list(pair), amount)
        return [findings, risk]

    def _agreement_families(self, session: Session, today: date) -> list[Metric]:
        by_status = _gauge("pantau_agreements", "Agreements (MoU/PKS) by status.", ["status"])
        for state, n in session.execute(select(Agreement.status, func.count()).group_by(Agreement.status)):
            by_status.add_metric([state], n)
        current = session.execute(
            select(Agreement.nomor, Agreement.jenis, Agreement.tanggal_berakhir)
            .where(
                Agreement.status != "diperpanjang",
                Agreement.nomor_pengganti.is_(None),
                Agreement.tanggal_berakhir >= today - timedelta(days=AGREEMENT_LOOKBACK_DAYS),
            )
            .order_by(Agreement.tanggal_berakhir, Agreement.nomor)
            .limit(MAX_AGREEMENT_SERIES)
        ).all()
        ends = _gauge(
            "pantau_agreement_end_timestamp_seconds",
            "When an agreement without a recorded renewal stops being in force: the end of its last day "
            "(Unix time). Days left: (this - time()) / 86400.",
            ["agreement", "jenis"],
        )
        for nomor, jenis, last_day in current:
            ends.add_metric([nomor, jenis or ""], self._end_of_day(last_day))
        return [by_status, ends]

    def _end_of_day(self, day: date) -> float:
        midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=self.app.settings.tz)
        return midnight.timestamp()

    def _import_families(self, session: Session) -> list[Metric]:
        rows = session.execute(
            select(
                ImportBatch.kind,
                func.count(),
                func.sum(ImportBatch.inserted + ImportBatch.updated + ImportBatch.unchanged),
                func.sum(ImportBatch.rejected),
                func.max(ImportBatch.started_at),
            ).group_by(ImportBatch.kind)
        ).all()
        files = _counter("pantau_import_files", "Files imported, by kind of data.", ["kind"])
        accepted = _counter("pantau_import_rows_accepted", "Rows imported (new, updated or unchanged).", ["kind"])
        rejected = _counter("pantau_import_rows_rejected", "Rows rejected by the import, kept for review.", ["kind"])
        last = _gauge("pantau_import_last_timestamp_seconds", "When the last file of each kind was imported.", ["kind"])
        for kind, n, ok, bad, at in rows:
            files.add_metric([kind], n)
            accepted.add_metric([kind], _int(ok))
            rejected.add_metric([kind], _int(bad))
            when = _aware(at)
            if when is not None:
                last.add_metric([kind], when.timestamp())
        return [files, accepted, rejected, last]

    def _job_families(self, session: Session) -> list[Metric]:
        from monitor.daemon.scheduler import JOBS

        last_ok = _gauge(
            "pantau_job_last_success_timestamp_seconds", "When each job last finished successfully (any daemon).",
            ["job"],
        )
        for job in JOBS:
            # The (job, started_at) index makes this a short backwards scan per job.
            finished = session.execute(
                select(JobRun.finished_at)
                .where(JobRun.job == job, JobRun.status == "ok")
                .order_by(JobRun.started_at.desc())
                .limit(1)
            ).scalar()
            if finished is not None:
                last_ok.add_metric([job], finished.timestamp())
        return [last_ok]

    def _outbox_families(self) -> list[Metric]:
        sent = _counter("pantau_emails_sent", "Emails the mail server accepted.", [])
        failed = _counter("pantau_emails_failed", "Emails given up on (permanent error or too many attempts).", [])
        pending = _gauge("pantau_emails_pending", "Emails waiting in the outbox, including those being retried.", [])
        retrying = _gauge("pantau_emails_retrying", "Pending emails that already failed at least once.", [])
        oldest = _gauge(
            "pantau_outbox_oldest_pending_age_seconds", "Age of the oldest email still waiting (0 when none).", []
        )
        # Its own session: should the outbox table be missing (an older schema), PostgreSQL would
        # otherwise abort the transaction the other queries share.
        try:
            with self.app.sessions() as session:
                rows = session.execute(
                    select(
                        OutboxMessage.status,
                        func.count(),
                        func.sum(case((OutboxMessage.attempts > 0, 1), else_=0)),
                        func.min(OutboxMessage.created_at),
                    ).group_by(OutboxMessage.status)
                ).all()
        except SQLAlchemyError as exc:
            log.debug("metrics: outbox not readable: %s", exc)
            return []
        by_status = {state: (n, _int(tried), _aware(first)) for state, n, tried, first in rows}
        sent.add_metric([], by_status.get("sent", (0, 0, None))[0])
        failed.add_metric([], by_status.get("dead", (0, 0, None))[0])
        waiting = [by_status[s] for s in ("pending", "sending") if s in by_status]
        pending.add_metric([], sum(n for n, _, _ in waiting))
        retrying.add_metric([], sum(tried for _, tried, _ in waiting))
        firsts = [first for _, _, first in waiting if first is not None]
        oldest.add_metric([], max(0.0, (self._now() - min(firsts)).total_seconds()) if firsts else 0.0)
        return [sent, failed, pending, retrying, oldest]


_FAMILIES = {
    "pantau_contracts": "gauge",
    "pantau_contract_value_rupiah": "gauge",
    "pantau_premium_due_rupiah": "gauge",
    "pantau_premium_paid_rupiah": "gauge",
    "pantau_registration_coverage_ratio": "gauge",
    "pantau_check_run_duration_seconds": "gauge",
    "pantau_check_run_last_timestamp_seconds": "gauge",
    "pantau_check_run_last_success_timestamp_seconds": "gauge",
    "pantau_check_run_last_duration_seconds": "gauge",
    "pantau_check_run_last_status": "gauge",
    "pantau_findings_open": "gauge",
    "pantau_amount_at_risk_rupiah": "gauge",
    "pantau_agreements": "gauge",
    "pantau_agreement_end_timestamp_seconds": "gauge",
    "pantau_import_files": "counter",
    "pantau_import_rows_accepted": "counter",
    "pantau_import_rows_rejected": "counter",
    "pantau_import_last_timestamp_seconds": "gauge",
    "pantau_job_last_success_timestamp_seconds": "gauge",
    "pantau_emails_sent": "counter",
    "pantau_emails_failed": "counter",
    "pantau_emails_pending": "gauge",
    "pantau_emails_retrying": "gauge",
    "pantau_outbox_oldest_pending_age_seconds": "gauge",
    "pantau_database_up": "gauge",
    "pantau_metrics_collect_duration_seconds": "gauge",
}
