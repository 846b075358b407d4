"""Findings past their follow-up's batas waktu: counted when the day has passed and the follow-up is not
``sesuai``; a batas waktu of the as-of day itself is not yet past."""

from __future__ import annotations

import io
from datetime import date

from monitor.check.findings import list_findings
from monitor.check.run import run_check
from monitor.report import MonevParams, write_monev
from tests.report.conftest import City, pantau

LATER = date(2026, 4, 27)


def test_only_findings_past_their_due_day_and_not_sesuai_are_overdue(city: City) -> None:
    with city.app.sessions() as session:
        found = {f["rule"]: f for f in list_findings(session.connection())}
    late, unregistered, sp2d = (found[r]["id"] for r in ("jakon.late_registration", "jakon.unregistered",
                                                          "jakon.payment_unregistered"))
    for args in ([str(late), "--due", "2026-04-26"],  # past: overdue
                 [str(unregistered), "--due", LATER.isoformat()],  # due on the as-of day: not yet
                 [str(sp2d), "--due", "2026-04-21", "--status", "sesuai", "--note", "bukti diterima"]):  # done
        result = pantau(city.app, "followup", "set", *args)
        assert result.exit_code == 0, result.output
    run_check(city.app, LATER)
    report = write_monev(city.app, MonevParams(as_of=LATER), {"html": io.BytesIO()})
    assert report.headline.overdue == 1
    assert report.opd_headlines["PERKIM"]["overdue"] == 1 and report.opd_headlines["PUPR"]["overdue"] == 0
