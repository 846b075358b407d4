"""The database collector under strain (issue 16, point 1): sums that would overflow a 64-bit integer,
and a family of figures that cannot be read — counted, logged and reported by /readyz, never silent."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from daemon_support import _contract, _finding, parse_metrics, sample, seed_database
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import text

from monitor.bootstrap import App
from monitor.daemon.collector import PARTS, DatabaseCollector
from monitor.daemon.health import readiness
from monitor.db import transaction
from monitor.models import CheckRun

HUNDRED_THOUSAND_TRILLION = 10**17  # the largest amount [ingest] max_rupiah may allow


def render(collector: DatabaseCollector) -> dict:
    registry = CollectorRegistry()
    registry.register(collector)
    return parse_metrics(generate_latest(registry).decode())


def test_sums_beyond_a_64_bit_integer_are_exact(app: App) -> None:
    with transaction(app.sessions) as session:
        # 100 x Rp 10^17 = Rp 10^19, past 2^63 - 1: SQLite's sum() raised "integer overflow".
        session.add_all(_contract("PUPR", f"PUPR/{n:03}", HUNDRED_THOUSAND_TRILLION) for n in range(100))
        session.add_all(
            _finding("jakon.unregistered", "high", "PERKIM", f"PERKIM|{n}", "open", amount=4 * 10**18)
            for n in range(3)
        )
    m = render(DatabaseCollector(app))
    assert sample(m, "pantau_database_up") == 1
    assert sample(m, "pantau_collector_errors_total", part="contracts") == 0
    assert sample(m, "pantau_contract_value_rupiah", opd="PUPR", status="pending") == 1e19
    assert sample(m, "pantau_contracts", opd="PUPR", status="pending") == 100
    assert sample(m, "pantau_amount_at_risk_rupiah", rule="jakon.unregistered", opd="PERKIM") == 1.2e19


def test_a_contract_awaiting_its_spmk_is_counted_checked_one_without_its_value_not(app: App) -> None:
    awaiting, unvalued, goods = (_contract("PUPR", nomor, 1_000_000) for nomor in ("K-SPMK", "K-NILAI", "K-ATK"))
    awaiting.tanggal_selesai, awaiting.complete, awaiting.nilai_kontrak_sen = None, False, 100_000_000
    unvalued.complete, unvalued.nilai_kontrak = False, 0  # SPSE's contract without its value yet
    goods.in_scope = False
    with transaction(app.sessions) as session:
        session.add_all([awaiting, unvalued, goods])
    m = render(DatabaseCollector(app))
    assert sample(m, "pantau_contracts", opd="PUPR", status="pending") == 1  # the one awaiting its SPMK
    assert sample(m, "pantau_contracts_not_checked", opd="PUPR", reason="incomplete") == 1
    assert sample(m, "pantau_contracts_not_checked", opd="PUPR", reason="out_of_scope") == 1


@pytest.mark.parametrize(("table", "part", "lost", "kept"), [
    ("agreement", "agreements", "pantau_agreements", "pantau_findings_open"),
    ("addendum", "contracts", "pantau_contracts", "pantau_agreements"),
])
def test_a_family_that_cannot_be_read_is_counted_logged_and_reported_by_readiness(
    app: App, caplog: pytest.LogCaptureFixture, table: str, part: str, lost: str, kept: str,
) -> None:
    seed_database(app)
    with transaction(app.sessions) as session:
        session.add(CheckRun(as_of=datetime.now(UTC).date(), started_at=datetime.now(UTC) - timedelta(minutes=2),
                             finished_at=datetime.now(UTC) - timedelta(minutes=1), status="ok"))
    collector = DatabaseCollector(app, ttl=0)
    assert readiness(app, collector)[0] is True
    with transaction(app.sessions) as session:
        session.execute(text(f"ALTER TABLE {table} RENAME TO {table}_away"))

    with caplog.at_level(logging.WARNING, logger="monitor.daemon.collector"):
        m = render(collector)
        m = render(collector)

    assert sample(m, "pantau_database_up") == 1  # the database answers; one family of figures does not
    assert sample(m, "pantau_collector_errors_total", part=part) == 2
    assert all(sample(m, "pantau_collector_errors_total", part=other) == 0 for other in PARTS if other != part)
    assert not any(name == lost for name, _ in m)
    assert any(name == kept for name, _ in m)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2 and all(part in w and table in w for w in warnings), warnings
    ready, reason = readiness(app, collector)
    assert not ready
    assert reason.startswith(f"degraded: metrics cannot read {part}") and table in reason


def test_a_part_that_reads_again_is_no_longer_degraded(app: App) -> None:
    collector = DatabaseCollector(app, ttl=0)
    with transaction(app.sessions) as session:
        session.execute(text("ALTER TABLE agreement RENAME TO agreement_away"))
    render(collector)
    assert set(collector.degraded()) == {"agreements"}
    with transaction(app.sessions) as session:
        session.execute(text("ALTER TABLE agreement_away RENAME TO agreement"))
    m = render(collector)
    assert collector.degraded() == {}
    assert sample(m, "pantau_collector_errors_total", part="agreements") == 1
