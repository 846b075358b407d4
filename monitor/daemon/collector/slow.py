"""The slow tier: per-contract figures (compliance status, values, premiums) and the check-run history.

They change only when an import or a check run lands, and at a million contracts they take seconds to
compute (bench/metrics.py), so :class:`~monitor.daemon.collector.DatabaseCollector` recomputes them when
the newest import batch or check run changes, in the background in the daemon.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from prometheus_client.core import HistogramMetricFamily, Metric
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from checks.jakon_unregistered import Unregistered
from monitor.check.context import checked_contracts, value_known
from monitor.daemon.collector.families import Scrape, gauge, opd_label
from monitor.db import exact_sum, exact_total
from monitor.models import Addendum, CheckRun, Contract, Finding, MatchLink, Registration
from monitor.regulation.premium_sql import premium_sql

CHECK_DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
STATUSES = ("registered", "unregistered", "pending")


def contract_families(session: Session, scrape: Scrape) -> list[Metric]:
    """Contracts by OPD and compliance status, their current values, premiums due and paid, coverage."""
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
                Finding.rule == Unregistered.id,
                Finding.status != "resolved",
                Finding.subject == Contract.opd + "|" + Contract.nomor_kontrak,
            ),
        )
        # The contracts the check reads (in scope, value known); the rest are counted apart.
        .where(checked_contracts())
        .subquery()
    )
    rows = session.execute(
        select(
            per_contract.c.opd,
            per_contract.c.status,
            func.count(),
            *exact_sum(per_contract.c.value),
            *exact_sum(per_contract.c.premium),
            *exact_sum(per_contract.c.paid),
        ).group_by(per_contract.c.opd, per_contract.c.status)
    ).all()
    count: dict[tuple[str, str], int] = defaultdict(int)
    amount: dict[tuple[str, str], int] = defaultdict(int)
    due: dict[tuple[str, str], int] = defaultdict(int)
    paid: dict[str, int] = defaultdict(int)
    for opd, state, n, *sums in rows:
        label = opd_label(opd, scrape.directory)
        count[label, state] += n
        amount[label, state] += exact_total(*sums[0:2])
        due[label, state] += exact_total(*sums[2:4])
        paid[label] += exact_total(*sums[4:6])
    contracts = gauge(
        "pantau_contracts", "Contracts by OPD and compliance status (pending: deadline not yet passed).",
        ["opd", "status"],
    )
    values = gauge("pantau_contract_value_rupiah", "Current contract value (after addenda).", ["opd", "status"])
    premium_due = gauge(
        "pantau_premium_due_rupiah", "Jakon premium required on the current contract values.", ["opd", "status"]
    )
    premium_paid = gauge(
        "pantau_premium_paid_rupiah", "Jakon premium paid on the registrations linked to contracts.", ["opd"]
    )
    coverage = gauge(
        "pantau_registration_coverage_ratio",
        "Share of contracts with a valid linked registration, by count or by value.",
        ["opd", "basis"],
    )
    for opd in sorted({opd for opd, _ in count}):
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
    return [contracts, values, premium_due, premium_paid, coverage, _not_checked(session, scrape)]


def _not_checked(session: Session, scrape: Scrape) -> Metric:
    in_scope = func.coalesce(Contract.scope_override, Contract.in_scope)
    # The check reads a contract whose end of works is not known yet (rules not needing it judge it);
    # one whose value is not known it leaves out.
    reason = case((~value_known(), "incomplete"), else_="out_of_scope")
    rows = session.execute(
        select(Contract.opd, reason, func.count())
        .where(or_(~value_known(), in_scope.is_(False)))
        .group_by(Contract.opd, reason)
    ).all()
    family = gauge(
        "pantau_contracts_not_checked",
        "Contracts kept but not checked: out of Jakon's scope, or incomplete (value unknown).",
        ["opd", "reason"],
    )
    counted: dict[tuple[str, str], int] = defaultdict(int)
    for opd, why, n in rows:
        counted[opd_label(opd, scrape.directory), why] += n
    for (opd, why), n in sorted(counted.items()):
        family.add_metric([opd, why], n)
    return family


def check_run_families(session: Session, scrape: Scrape) -> list[Metric]:
    """The last check run's outcome, time and duration, and a histogram of every run's duration."""
    runs = session.execute(
        select(CheckRun.started_at, CheckRun.finished_at, CheckRun.status)
        .where(CheckRun.finished_at.is_not(None))
        .order_by(CheckRun.finished_at)
    ).all()
    last_time = gauge("pantau_check_run_last_timestamp_seconds", "When the last check run ended.", [])
    last_ok = gauge(
        "pantau_check_run_last_success_timestamp_seconds", "When the last successful check run ended.", []
    )
    last_duration = gauge("pantau_check_run_last_duration_seconds", "How long the last check run took.", [])
    last_status = gauge(
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


# The slow tier's parts, each read on its own: one that fails leaves the other's figures.
SLOW_PARTS: dict[str, Callable[[Session, Scrape], list[Metric]]] = {
    "contracts": contract_families,
    "check_runs": check_run_families,
}
