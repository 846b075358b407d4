"""The fast tier: the small tables (findings, agreements, imports, job runs, the outbox), re-read when the
collector's cache is a few seconds old."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo

from prometheus_client.core import Metric
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from monitor.daemon.collector.families import Scrape, counter, gauge, opd_label, whole
from monitor.db import exact_sum, exact_total
from monitor.models import Agreement, Finding, ImportBatch, JobRun, OutboxMessage, aware

MAX_AGREEMENT_SERIES = 50
AGREEMENT_LOOKBACK_DAYS = 90


def finding_families(session: Session, scrape: Scrape) -> list[Metric]:
    rows = session.execute(
        select(
            Finding.rule, Finding.severity, Finding.opd, Finding.status,
            func.count(), *exact_sum(Finding.amount_at_risk),
        )
        .where(Finding.status != "resolved")
        .group_by(Finding.rule, Finding.severity, Finding.opd, Finding.status)
    ).all()
    count: dict[tuple[str, str, str, str], int] = defaultdict(int)
    at_risk: dict[tuple[str, str], int] = defaultdict(int)
    for rule, severity, opd, state, n, high, low in rows:
        label = opd_label(opd, scrape.directory)
        count[rule, severity, label, state] += n
        at_risk[rule, label] += exact_total(high, low)
    findings = gauge(
        "pantau_findings_open", "Findings not resolved, by rule, severity, OPD and status.",
        ["rule", "severity", "opd", "status"],
    )
    for labels, n in sorted(count.items()):
        findings.add_metric(list(labels), n)
    risk = gauge(
        "pantau_amount_at_risk_rupiah", "Rupiah at risk in unresolved findings (unpaid premium).", ["rule", "opd"]
    )
    for pair, amount in sorted(at_risk.items()):
        risk.add_metric(list(pair), amount)
    return [findings, risk]


def agreement_families(session: Session, scrape: Scrape) -> list[Metric]:
    by_status = gauge("pantau_agreements", "Agreements (MoU/PKS) by status.", ["status"])
    for state, n in session.execute(select(Agreement.status, func.count()).group_by(Agreement.status)):
        by_status.add_metric([state], n)
    current = session.execute(
        select(Agreement.nomor, Agreement.jenis, Agreement.tanggal_berakhir)
        .where(
            Agreement.status != "diperpanjang",
            Agreement.nomor_pengganti.is_(None),
            Agreement.tanggal_berakhir >= scrape.today - timedelta(days=AGREEMENT_LOOKBACK_DAYS),
        )
        .order_by(Agreement.tanggal_berakhir, Agreement.nomor)
        .limit(MAX_AGREEMENT_SERIES)
    ).all()
    ends = gauge(
        "pantau_agreement_end_timestamp_seconds",
        "When an agreement without a recorded renewal stops being in force: the end of its last day "
        "(Unix time). Days left: (this - time()) / 86400.",
        ["agreement", "jenis"],
    )
    for nomor, jenis, last_day in current:
        ends.add_metric([nomor, jenis or ""], end_of_day(last_day, scrape.tz))
    return [by_status, ends]


def end_of_day(day: date, tz: tzinfo) -> float:
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return midnight.timestamp()


def import_families(session: Session, scrape: Scrape) -> list[Metric]:
    rows = session.execute(
        select(
            ImportBatch.kind,
            func.count(),
            func.sum(ImportBatch.inserted + ImportBatch.updated + ImportBatch.unchanged),
            func.sum(ImportBatch.rejected),
            func.max(ImportBatch.started_at),
        ).group_by(ImportBatch.kind)
    ).all()
    files = counter("pantau_import_files", "Files imported, by kind of data.", ["kind"])
    accepted = counter("pantau_import_rows_accepted", "Rows imported (new, updated or unchanged).", ["kind"])
    rejected = counter("pantau_import_rows_rejected", "Rows rejected by the import, kept for review.", ["kind"])
    last = gauge("pantau_import_last_timestamp_seconds", "When the last file of each kind was imported.", ["kind"])
    for kind, n, ok, bad, at in rows:
        files.add_metric([kind], n)
        accepted.add_metric([kind], whole(ok))
        rejected.add_metric([kind], whole(bad))
        if at is not None:
            last.add_metric([kind], aware(at).timestamp())
    return [files, accepted, rejected, last]


def job_families(session: Session, scrape: Scrape) -> list[Metric]:
    from monitor.daemon.scheduler import JOBS

    last_ok = gauge(
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


def outbox_families(session: Session, scrape: Scrape) -> list[Metric]:
    sent = counter("pantau_emails_sent", "Emails the mail server accepted.", [])
    failed = counter("pantau_emails_failed", "Emails given up on (permanent error or too many attempts).", [])
    pending = gauge("pantau_emails_pending", "Emails waiting in the outbox, including those being retried.", [])
    retrying = gauge("pantau_emails_retrying", "Pending emails that already failed at least once.", [])
    oldest = gauge(
        "pantau_outbox_oldest_pending_age_seconds", "Age of the oldest email still waiting (0 when none).", []
    )
    rows = session.execute(
        select(
            OutboxMessage.status,
            func.count(),
            func.sum(case((OutboxMessage.attempts > 0, 1), else_=0)),
            func.min(OutboxMessage.created_at),
        ).group_by(OutboxMessage.status)
    ).all()
    by_status = {state: (n, whole(tried), None if first is None else aware(first)) for state, n, tried, first in rows}
    sent.add_metric([], by_status.get("sent", (0, 0, None))[0])
    failed.add_metric([], by_status.get("dead", (0, 0, None))[0])
    waiting = [by_status[s] for s in ("pending", "sending") if s in by_status]
    pending.add_metric([], sum(n for n, _, _ in waiting))
    retrying.add_metric([], sum(tried for _, tried, _ in waiting))
    firsts = [first for _, _, first in waiting if first is not None]
    oldest.add_metric([], max(0.0, (scrape.now - min(firsts)).total_seconds()) if firsts else 0.0)
    return [sent, failed, pending, retrying, oldest]


# The fast tier's parts, each read in a session of its own: one that fails (on PostgreSQL, a failed
# statement aborts its transaction) leaves the others' figures.
FAST_PARTS: dict[str, Callable[[Session, Scrape], list[Metric]]] = {
    "findings": finding_families,
    "agreements": agreement_families,
    "imports": import_families,
    "jobs": job_families,
    "outbox": outbox_families,
}
