"""The monev report's coverage per OPD (:func:`monitor.report.figures.coverage`) against figures worked out by
hand from the rows: the value after the latest addendum that sets one, a ``batal`` registration that covers
nothing, a resolved finding that leaves a contract pending, the premium on the tariff's breakpoints."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from monitor.bootstrap import App
from monitor.check.findings import FINDING, OPEN, RESOLVED
from monitor.db import transaction
from monitor.models import MatchLink
from monitor.regulation.premium import required_premium
from monitor.report.figures import Coverage, coverage
from tests.check.helpers import add_addendum, add_contract, add_registration


def _link(conn: Connection, contract_id: int, registration_id: int) -> None:
    conn.execute(insert(MatchLink), {"contract_id": contract_id, "registration_id": registration_id,
                                     "method": "exact", "score": 1.0, "details": {}})


def _unregistered(conn: Connection, opd: str, nomor: str, status: str) -> None:
    conn.execute(insert(FINDING), {
        "fingerprint": f"fp-{opd}-{nomor}", "rule": "jakon.unregistered", "severity": "high", "status": status,
        "opd": opd, "subject": f"{opd}|{nomor}", "title": "t", "amount_at_risk": 0, "details": {},
        "content_hash": "x" * 40, "first_seen": date(2026, 3, 20), "last_seen": date(2026, 4, 20),
        "opened_at": datetime(2026, 3, 20, tzinfo=UTC)})


def test_coverage_per_opd_is_the_sum_of_each_contracts_status_value_and_premium(app: App) -> None:
    with transaction(app.sessions) as session:
        conn = session.connection()
        # PUPR K-1: two addenda on one day (the later row wins), a later one that changes only the end date.
        k1 = add_contract(conn, "K-1", nilai=1_500_000_000)
        add_addendum(conn, "A-1", date(2026, 4, 1), nomor="K-1", nilai=2_000_000_000)
        add_addendum(conn, "A-2", date(2026, 5, 1), nomor="K-1", nilai=1_800_000_000)
        add_addendum(conn, "A-3", date(2026, 5, 1), nomor="K-1", nilai=1_700_000_000)
        add_addendum(conn, "A-4", date(2026, 6, 1), nomor="K-1", tanggal_selesai=date(2026, 12, 1))
        add_addendum(conn, "A-0", date(2026, 3, 15), nomor="K-1", nilai=3_000_000_000)  # entered last, dated first
        _link(conn, k1, add_registration(conn, "JK-1", nomor_kontrak="K-1", iuran=2_000_000))
        # PUPR K-2: linked to a cancelled registration, and still unregistered past the deadline.
        k2 = add_contract(conn, "K-2", nilai=75_000_000)
        _link(conn, k2, add_registration(conn, "JK-2", nomor_kontrak="K-2", iuran=500, status="batal"))
        _unregistered(conn, "PUPR", "K-2", OPEN)
        # PUPR K-3: its unregistered finding was resolved (the deadline moved): pending.
        add_contract(conn, "K-3", nilai=100_000_000)
        _unregistered(conn, "PUPR", "K-3", RESOLVED)
        # DINKES K-4: pending; PUPR's addendum of a contract with the same number is not its own.
        add_contract(conn, "K-4", opd="DINKES", nilai=500_000_001)
        add_addendum(conn, "A-5", date(2026, 4, 1), nomor="K-4", opd="PUPR", nilai=9_000_000_000)
        # DINKES K-5: registered, nothing paid yet.
        k5 = add_contract(conn, "K-5", opd="DINKES", nilai=5_000_000_000)
        _link(conn, k5, add_registration(conn, "JK-5", nomor_kontrak="K-5", iuran=0))

    with app.sessions() as session:
        found = coverage(session.connection())

    p = required_premium
    assert found == {
        "PUPR": Coverage(contracts=3, registered=1, unregistered=1, pending=1,
                         value=1_700_000_000 + 75_000_000 + 100_000_000, registered_value=1_700_000_000,
                         unregistered_value=75_000_000,
                         premium_due=p(1_700_000_000) + p(75_000_000) + p(100_000_000), premium_paid=2_000_000),
        "DINKES": Coverage(contracts=2, registered=1, unregistered=0, pending=1, value=5_500_000_001,
                           registered_value=5_000_000_000, unregistered_value=0,
                           premium_due=p(500_000_001) + p(5_000_000_000), premium_paid=0),
    }
    assert p(75_000_000) == 180_000  # the tariff's own example: the premium is the regulation's


def test_coverage_of_a_city_without_contracts_is_empty(app: App) -> None:
    with app.sessions() as session:
        assert coverage(session.connection()) == {}
