"""The check run end to end with the real matcher and rules: data in the tables, findings out."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from monitor.bootstrap import App
from monitor.check.run import default_as_of, run_check
from monitor.db import transaction
from monitor.models import MatchLink
from monitor.regulation.premium import required_premium
from monitor.regulation.wording import tanggal
from tests.check.helpers import (
    StatementLog,
    add_contract,
    add_registration,
    all_findings,
    events_of,
    findings_by_subject,
)

K = "027/14/SPK-PUPR/X/2026"
SUBJECT = f"PUPR|{K}"
SIGNED = date(2026, 10, 5)  # deadline: 14 working days later, Friday 23 October 2026
DEADLINE = date(2026, 10, 23)


def _contract(app: App) -> int:
    with transaction(app.sessions) as session:
        return add_contract(session.connection(), K, tanggal_kontrak=SIGNED, tanggal_selesai=date(2026, 12, 20),
                            nilai=1_500_000_000)


def _registration(app: App, registered: date) -> int:
    with transaction(app.sessions) as session:
        return add_registration(session.connection(), "JK-2026-0815", nomor_kontrak=K, tanggal_daftar=registered,
                                masa_awal=SIGNED, masa_akhir=date(2026, 12, 20), iuran=2_350_000)


def test_an_unregistered_contract_is_reported_only_after_its_deadline(app: App) -> None:
    _contract(app)
    run_check(app, DEADLINE)
    assert SUBJECT not in findings_by_subject(app, "jakon.unregistered")
    # On the deadline day the PPK is warned instead (jakon.deadline_near).
    assert findings_by_subject(app, "jakon.deadline_near")[SUBJECT].status == "open"

    result = run_check(app, date(2026, 10, 26))

    row = findings_by_subject(app, "jakon.unregistered")[SUBJECT]
    assert (row.rule, row.status, row.opd, row.amount_at_risk) == (
        "jakon.unregistered", "open", "PUPR", required_premium(1_500_000_000))
    assert result.counts["by_rule"]["jakon.unregistered"] == {"open": 1}
    warning = findings_by_subject(app, "jakon.deadline_near")[SUBJECT]
    assert warning.status == "resolved" and warning.resolved_reason.startswith(
        f"batas pendaftaran {tanggal(DEADLINE)} terlewat tanpa registrasi; kontrak kini dilaporkan sebagai "
        "jakon.unregistered")


def test_a_registration_found_resolves_the_finding_and_says_which(app: App) -> None:
    _contract(app)
    run_check(app, date(2026, 10, 26))
    registration_id = _registration(app, date(2026, 10, 27))

    run_check(app, date(2026, 10, 28))

    unregistered = findings_by_subject(app, "jakon.unregistered")[SUBJECT]
    assert unregistered.status == "resolved"
    assert unregistered.resolved_reason == (
        "registrasi ditemukan: JK-2026-0815 (didaftarkan 27 Oktober 2026); "
        "tidak lagi terdeteksi pada pemeriksaan 28 Oktober 2026")
    assert events_of(app, unregistered.id)[-1].to_status == "resolved"
    # Registered, but after the deadline: that is its own finding.
    late = [r for r in all_findings(app) if r.rule == "jakon.late_registration"]
    assert [(r.subject, r.status) for r in late] == [(SUBJECT, "open")]
    with app.sessions() as session:
        assert session.scalars(select(MatchLink.registration_id)).all() == [registration_id]


def test_a_rerun_over_unchanged_data_writes_no_finding_and_no_link(app: App, statements: StatementLog) -> None:
    _contract(app)
    _registration(app, date(2026, 10, 27))
    with transaction(app.sessions) as session:
        add_contract(session.connection(), "99/SPK/2026", opd="PERKIM", tanggal_kontrak=SIGNED,
                     penyedia="PT Lain Sekali", npwp="998877665544000", nama_paket="Gedung")
    first = run_check(app, date(2026, 11, 2))
    assert first.counts["detected"] >= 2 and first.counts["links"] == 1
    statements.statements.clear()

    second = run_check(app, date(2026, 11, 2))

    assert statements.writes_to("finding", "finding_event", "match_link") == []
    assert second.counts["new"] == second.counts["resolved"] == second.counts["refreshed"] == 0


def test_the_default_date_is_today_in_the_configured_time_zone(app: App) -> None:
    # 20:30 UTC on 22 November is already 23 November in Jambi (WIB, UTC+7).
    assert default_as_of(app.settings, datetime(2026, 11, 22, 20, 30, tzinfo=UTC)) == date(2026, 11, 23)
    assert default_as_of(app.settings, datetime(2026, 11, 22, 16, 59, tzinfo=UTC)) == date(2026, 11, 22)
