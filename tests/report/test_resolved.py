"""Resolved in the period is counted by when the finding was resolved (the as-of of the check run that
resolved it, from its history), not by when it was last seen."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import select

from monitor.check.findings import FINDING
from monitor.check.run import run_check
from monitor.db import transaction
from monitor.report import MonevParams, write_monev
from monitor.report.model import MonevReport
from tests.check.helpers import add_registration
from tests.report.conftest import City
from tests.report.test_monev import _Ringkasan, _table_rows

RESOLVED_ON = date(2026, 4, 27)  # the check that sees the registration of PUPR's unregistered contract


def _register_the_unregistered(city: City) -> None:
    with transaction(city.app.sessions) as session:
        add_registration(session.connection(), "JK-3", nomor_kontrak="027/03/SPK-PUPR/II/2026", penyedia="HOSTILE, CV",
                         npwp="001234567890000", nilai=75_000_000, iuran=180_000, tanggal_daftar=date(2026, 4, 22),
                         nama_proyek="X")
    run_check(city.app, RESOLVED_ON)


def _monev(city: City, as_of: date, period_start: date) -> tuple[MonevReport, str]:
    out = io.BytesIO()
    report = write_monev(city.app, MonevParams(as_of=as_of, period_start=period_start), {"html": out})
    return report, out.getvalue().decode()


def test_a_finding_last_seen_before_the_period_but_resolved_in_it_counts(city: City) -> None:
    _register_the_unregistered(city)
    with city.app.sessions() as session:
        [(last_seen,)] = session.execute(select(FINDING.c.last_seen).where(
            FINDING.c.rule == "jakon.unregistered", FINDING.c.status == "resolved")).all()
    assert last_seen == date(2026, 4, 20)  # last seen before the period below starts

    report, html = _monev(city, RESOLVED_ON, period_start=date(2026, 4, 21))
    assert report.headline.resolved == 1 and report.opd_headlines["PUPR"]["resolved"] == 1
    page = _Ringkasan()
    page.feed(html)
    assert page.rows["resolved"][1] == "1"
    [row] = _table_rows(html, "lampiran-selesai")  # section 7, with the day it was resolved
    assert row[2] == "PUPR" and row[4] == "27 April 2026"


def test_a_finding_resolved_before_the_period_does_not_count(city: City) -> None:
    _register_the_unregistered(city)
    run_check(city.app, date(2026, 5, 4))
    on_the_first_day, _ = _monev(city, date(2026, 5, 4), period_start=RESOLVED_ON)
    assert on_the_first_day.headline.resolved == on_the_first_day.resolved_count == 1
    report, html = _monev(city, date(2026, 5, 4), period_start=date(2026, 4, 28))
    assert report.headline.resolved == 0 and report.opd_headlines["PUPR"]["resolved"] == 0
    assert report.resolved_count == 0 and _table_rows(html, "lampiran-selesai") == []
