"""What both tiers of the collector build their figures with: metric families, bounded OPD labels, and the
sums of rupiah that cannot overflow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily


@dataclass(frozen=True)
class Scrape:
    """What a part of the collector reads its figures against: the OPD directory and the moment."""

    directory: frozenset[str]
    now: datetime
    tz: tzinfo

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()


def opd_label(value: str | None, directory: frozenset[str]) -> str:
    """``opd`` as a bounded label: a directory code, ``unknown`` for an OPD missing from the directory,
    ``none`` for city-wide subjects."""
    if not value:
        return "none"
    return value if value in directory else "unknown"


def gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


def counter(name: str, documentation: str, labels: list[str]) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, labels=labels)


def whole(value: Decimal | int | None) -> int:
    return int(value or 0)


# Every family the collector may yield, by kind: ``describe()`` names them without querying the database.
FAMILIES = {
    "pantau_contracts": "gauge",
    "pantau_contract_value_rupiah": "gauge",
    "pantau_premium_due_rupiah": "gauge",
    "pantau_premium_paid_rupiah": "gauge",
    "pantau_registration_coverage_ratio": "gauge",
    "pantau_contracts_not_checked": "gauge",
    "pantau_check_run_duration_seconds": "histogram",
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
    "pantau_collector_errors": "counter",
    "pantau_database_up": "gauge",
    "pantau_metrics_collect_duration_seconds": "gauge",
}
