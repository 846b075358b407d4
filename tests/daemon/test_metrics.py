from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from daemon_support import Seeded, parse_metrics, sample, seed_database
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import BigInteger, create_engine, literal, select

from monitor.bootstrap import App
from monitor.daemon.collector import DatabaseCollector, premium_sql
from monitor.daemon.metrics import DaemonMetrics
from monitor.db import make_session_factory, transaction
from monitor.models import CheckRun, Contract
from monitor.regulation.premium import required_premium


def scrape(app: App, **kwargs: object) -> dict:
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(app, **kwargs))  # type: ignore[arg-type]
    return parse_metrics(generate_latest(registry).decode())


def test_contracts_by_opd_and_compliance_status(app: App, seeded: Seeded) -> None:
    m = scrape(app)
    expected = {
        # PUPR/001 linked (registered); PUPR/002's registration is batal and an unregistered finding is open;
        # PUPR/003 has neither (deadline not yet passed).
        ("PUPR", "registered"): 1, ("PUPR", "unregistered"): 1, ("PUPR", "pending"): 1,
        # PERKIM/011's finding is acknowledged (still unresolved); PERKIM/012's was resolved: pending again.
        ("PERKIM", "registered"): 1, ("PERKIM", "unregistered"): 1, ("PERKIM", "pending"): 1,
        ("unknown", "registered"): 0, ("unknown", "unregistered"): 0, ("unknown", "pending"): 1,
    }
    for (opd, status), count in expected.items():
        assert sample(m, "pantau_contracts", opd=opd, status=status) == count, (opd, status)
    # The value after the latest addendum that sets one (Rp 2 miliar, not 1,5 or 1,8).
    assert sample(m, "pantau_contract_value_rupiah", opd="PUPR", status="unregistered") == 2_000_000_000
    assert sample(m, "pantau_contract_value_rupiah", opd="PERKIM", status="pending") == 300_000_000


def test_premium_due_and_paid(app: App, seeded: Seeded) -> None:
    m = scrape(app)
    assert sample(m, "pantau_premium_due_rupiah", opd="PUPR", status="registered") == 180_000
    assert sample(m, "pantau_premium_due_rupiah", opd="PUPR", status="unregistered") == 2_950_000
    assert sample(m, "pantau_premium_due_rupiah", opd="PUPR", status="pending") == 430_000
    assert sample(m, "pantau_premium_due_rupiah", opd="PERKIM", status="registered") == 1_000_000
    assert sample(m, "pantau_premium_due_rupiah", opd="unknown", status="pending") == 120_000
    # A cancelled registration's payment protects nothing and is not counted.
    assert sample(m, "pantau_premium_paid_rupiah", opd="PUPR") == 180_000
    assert sample(m, "pantau_premium_paid_rupiah", opd="PERKIM") == 400_000
    assert sample(m, "pantau_premium_paid_rupiah", opd="unknown") == 0


def test_registration_coverage_by_count_and_by_value(app: App, seeded: Seeded) -> None:
    m = scrape(app)
    assert sample(m, "pantau_registration_coverage_ratio", opd="PUPR", basis="count") == pytest.approx(1 / 3)
    assert sample(m, "pantau_registration_coverage_ratio", opd="PUPR", basis="value") == pytest.approx(
        75_000_000 / 2_275_000_000
    )
    assert sample(m, "pantau_registration_coverage_ratio", opd="PERKIM", basis="value") == pytest.approx(5 / 9)
    assert sample(m, "pantau_registration_coverage_ratio", opd="unknown", basis="count") == 0


def test_open_findings_and_amount_at_risk(app: App, seeded: Seeded) -> None:
    m = scrape(app)
    open_findings = {
        tuple(sorted(labels)): value for (name, labels), value in m.items() if name == "pantau_findings_open"
    }
    assert open_findings == {
        tuple(sorted(dict(rule=r, severity=s, opd=o, status=st).items())): 1.0
        for r, s, o, st in [
            ("jakon.unregistered", "high", "PUPR", "open"),
            ("jakon.unregistered", "high", "PERKIM", "acknowledged"),
            ("jakon.premium_shortfall", "medium", "PERKIM", "open"),
            ("agreement.expiring", "medium", "none", "reopened"),
            ("data.orphan_registration", "low", "none", "silenced"),
            ("jakon.payment_unregistered", "critical", "unknown", "open"),
        ]
    }
    assert sample(m, "pantau_amount_at_risk_rupiah", rule="jakon.unregistered", opd="PUPR") == 2_950_000
    # The resolved PERKIM/012 finding's Rp620.000 is no longer at risk.
    assert sample(m, "pantau_amount_at_risk_rupiah", rule="jakon.unregistered", opd="PERKIM") == 240_000
    assert sample(m, "pantau_amount_at_risk_rupiah", rule="jakon.payment_unregistered", opd="unknown") == 5_000


def _end_of(day: date, app: App) -> float:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=app.settings.tz).timestamp()


def test_agreement_end_times_only_for_those_not_renewed(app: App, seeded: Seeded) -> None:
    m = scrape(app)
    ends = {dict(labels)["agreement"]: value for (name, labels), value in m.items()
            if name == "pantau_agreement_end_timestamp_seconds"}
    # MOU-OLD was renewed (diperpanjang); MOU-0 ended more than 90 days ago.
    assert ends == {
        "MOU-1": _end_of(seeded.today + timedelta(days=20), app),
        "PKS-2": _end_of(seeded.today + timedelta(days=200), app),
        "PKS-3": _end_of(seeded.today - timedelta(days=5), app),
    }
    assert sample(m, "pantau_agreement_end_timestamp_seconds", agreement="MOU-1", jenis="MoU") is not None
    assert sample(m, "pantau_agreements", status="berlaku") == 3
    assert sample(m, "pantau_agreements", status="diperpanjang") == 1


def test_check_runs_last_outcome_and_duration_histogram(app: App, seeded: Seeded) -> None:
    m = scrape(app)
    last_finished = seeded.now - timedelta(hours=2) + timedelta(seconds=90)
    assert sample(m, "pantau_check_run_last_timestamp_seconds") == pytest.approx(last_finished.timestamp())
    assert sample(m, "pantau_check_run_last_success_timestamp_seconds") == pytest.approx(last_finished.timestamp())
    assert sample(m, "pantau_check_run_last_duration_seconds") == pytest.approx(90)
    assert sample(m, "pantau_check_run_last_status", status="ok") == 1
    assert sample(m, "pantau_check_run_last_status", status="failed") == 0
    # Durations 30 s, 3 s and 90 s.
    assert sample(m, "pantau_check_run_duration_seconds_bucket", le="1.0") == 0
    assert sample(m, "pantau_check_run_duration_seconds_bucket", le="5.0") == 1
    assert sample(m, "pantau_check_run_duration_seconds_bucket", le="30.0") == 2
    assert sample(m, "pantau_check_run_duration_seconds_bucket", le="120.0") == 3
    assert sample(m, "pantau_check_run_duration_seconds_count") == 3
    assert sample(m, "pantau_check_run_duration_seconds_sum") == pytest.approx(123)


def test_imports_emails_and_job_runs(app: App, seeded: Seeded) -> None:
    m = scrape(app)
    assert sample(m, "pantau_import_rows_accepted_total", kind="contracts") == 8
    assert sample(m, "pantau_import_rows_rejected_total", kind="contracts") == 2
    assert sample(m, "pantau_import_rows_rejected_total", kind="registrations") == 1
    assert sample(m, "pantau_import_files_total", kind="contracts") == 2
    assert sample(m, "pantau_emails_sent_total") == 3
    assert sample(m, "pantau_emails_failed_total") == 1
    assert sample(m, "pantau_emails_pending") == 3  # pending and being sent
    assert sample(m, "pantau_emails_retrying") == 1
    assert sample(m, "pantau_outbox_oldest_pending_age_seconds") == pytest.approx(2 * 3600, abs=60)
    # The latest inbox run failed; the last success is the one before it.
    last_ok = seeded.now - timedelta(hours=1) + timedelta(seconds=1)
    assert sample(m, "pantau_job_last_success_timestamp_seconds", job="inbox") == pytest.approx(last_ok.timestamp())
    assert sample(m, "pantau_database_up") == 1


def test_no_label_carries_a_contract_number(app: App, seeded: Seeded) -> None:
    m = scrape(app)
    values = {value for (_, labels) in m for _, value in labels}
    assert not any("/" in value for value in values), sorted(values)


def test_an_empty_database_gives_zeros_not_errors(app: App) -> None:
    m = scrape(app)
    assert sample(m, "pantau_database_up") == 1
    assert sample(m, "pantau_emails_pending") == 0
    assert sample(m, "pantau_check_run_duration_seconds_count") == 0


def test_values_are_cached_for_the_ttl_then_reread(app: App, seeded: Seeded) -> None:
    tick = [0.0]
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(app, ttl=5.0, clock=lambda: tick[0]))

    def pending() -> float | None:
        samples = parse_metrics(generate_latest(registry).decode())
        return sample(samples, "pantau_contracts", opd="PUPR", status="pending")

    assert pending() == 1
    with transaction(app.sessions) as session:
        session.add(Contract(opd="PUPR", nomor_kontrak="PUPR/004", tanggal_kontrak=seeded.today, nama_paket="P",
                             penyedia="CV", nilai_kontrak=1, tanggal_selesai=seeded.today, row_hash="x"))
        # A new check run is what tells the collector that per-contract figures changed.
        session.add(CheckRun(as_of=seeded.today, started_at=seeded.now, finished_at=seeded.now, status="ok"))
    tick[0] = 4.0
    assert pending() == 1
    tick[0] = 5.5
    assert pending() == 2


def test_an_unreachable_database_reports_down_instead_of_failing_the_scrape(app: App) -> None:
    # Nothing listens on port 1. (A dropped table is one part that cannot be read, not a database that is
    # down: tests/daemon/test_collector.py.)
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/nothing", connect_args={"connect_timeout": 2})
    broken = App(settings=app.settings, engine=engine, sessions=make_session_factory(engine))
    m = parse_metrics(_render(DatabaseCollector(broken)))
    assert sample(m, "pantau_database_up") == 0


def _render(collector: DatabaseCollector) -> str:
    registry = CollectorRegistry()
    registry.register(collector)
    return generate_latest(registry).decode()


# Every band edge, one rupiah each side, and values whose premium ends in exactly half a rupiah.
PREMIUM_VALUES = (
    0, 1, 75_000_000, 99_999_999, 100_000_000, 100_000_001, 499_999_999, 500_000_000, 500_000_001,
    999_999_999, 1_000_000_000, 1_000_000_001, 1_500_000_000, 4_999_999_999, 5_000_000_000, 5_000_000_001,
    12_345_678_901, 98_765_432_109_876, 2_083, 4_166, 4_167, 6_250,
)


def test_premium_in_sql_equals_the_python_premium(app: App) -> None:
    with app.sessions() as session:
        got = [session.execute(select(premium_sql(literal(v, BigInteger)))).scalar() for v in PREMIUM_VALUES]
    assert got == [required_premium(v) for v in PREMIUM_VALUES]


def test_daemon_metrics_have_every_job_from_the_start() -> None:
    registry = CollectorRegistry()
    metrics = DaemonMetrics(registry, ["inbox", "check"])
    metrics.observe_job("check", "failed", 2.0)
    m = parse_metrics(generate_latest(registry).decode())
    assert sample(m, "pantau_job_runs_total", job="inbox") == 0
    assert sample(m, "pantau_job_runs_total", job="check") == 1
    assert sample(m, "pantau_job_failures_total", job="check") == 1
    assert sample(m, "pantau_job_duration_seconds_count", job="check") == 1
    assert sample(m, "pantau_leader") == 0


def test_agreements_count_days_in_the_configured_time_zone(app: App) -> None:
    # 20:00 UTC is already the next day in Jakarta: "today" and the end of a day are Jakarta's.
    late = datetime(2026, 3, 25, 20, 0, tzinfo=UTC)
    seeded = seed_database(app, now=late)
    assert seeded.today == date(2026, 3, 26)
    m = scrape(app, now=lambda: late)
    end = sample(m, "pantau_agreement_end_timestamp_seconds", agreement="MOU-1", jenis="MoU")
    # MOU-1's last day is 15 April 2026: in force until midnight WIB (17:00 UTC).
    assert end == datetime(2026, 4, 15, 17, 0, tzinfo=UTC).timestamp()


def test_in_the_background_a_scrape_serves_the_last_figures_while_new_ones_are_computed(
    app: App, seeded: Seeded
) -> None:
    collector = DatabaseCollector(app, ttl=0.0, background=True)
    registry = CollectorRegistry()
    registry.register(collector)
    # The very first scrape has no per-contract figures yet; they are on their way.
    first = parse_metrics(generate_latest(registry).decode())
    collector.wait_for_background(10)
    assert sample(first, "pantau_findings_open", rule="jakon.unregistered", severity="high", opd="PUPR",
                  status="open") == 1
    assert sample(parse_metrics(generate_latest(registry).decode()), "pantau_contracts", opd="PUPR",
                  status="pending") == 1
