"""The findings lifecycle, driven by scripted rules: open, seen again, resolved, reopened, severity
changes, acknowledgement and silences — with their history rows."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from types import MappingProxyType

import pytest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.check import reconcile, spool
from monitor.check.findings import (
    FindingsError,
    acknowledge,
    add_silence,
    details_json,
    finding_history,
    lift_silence,
    list_findings,
)
from monitor.check.run import run_check
from monitor.db import transaction
from monitor.models import CheckRun, utcnow
from monitor.settings import RuleSettings
from tests.check.helpers import Script, StatementLog, events_of, finding, findings_by_subject

D1, D2, D3, D4 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 5)


def check(app: App, script: Script, as_of: date, **kwargs: object) -> dict[str, object]:
    result = run_check(app, as_of, registry=script.registry(), **kwargs)  # type: ignore[arg-type]
    return dict(result.counts)


def ack(app: App, finding_id: int, note: str = "PPK sedang menghubungi penyedia", actor: str = "budi") -> str:
    with transaction(app.sessions) as session:
        return acknowledge(session, finding_id, note=note, actor=actor, now=utcnow())


def silence(app: App, until: date, today: date = D1, **selector: str) -> int:
    with transaction(app.sessions) as session:
        result = add_silence(session, rule=selector.get("rule"), opd=selector.get("opd"),
                             subject=selector.get("subject"), until=until, reason="menunggu adendum",
                             actor="sari", now=utcnow(), today=today)
    return result.silence_id


def test_a_new_finding_opens_with_a_history_row(app: App, script: Script) -> None:
    script.findings = [finding("PUPR|K-1")]
    counts = check(app, script, D1)

    row = findings_by_subject(app)["PUPR|K-1"]
    assert (row.status, row.first_seen, row.last_seen, row.severity, row.amount_at_risk) == (
        "open", D1, D1, "medium", 1_000)
    assert row.details == {"nomor_kontrak": "K-1"}
    [event] = events_of(app, row.id)
    assert (event.from_status, event.to_status, event.actor) == (None, "open", "pantau")
    assert event.note == "ditemukan pada pemeriksaan 2 Maret 2026"
    assert event.check_run_id == row.last_check_run_id
    assert counts["new"] == 1 and counts["by_rule"] == {"test.scripted": {"open": 1}}


def test_a_finding_still_true_only_moves_last_seen(app: App, script: Script, statements: StatementLog) -> None:
    script.findings = [finding("PUPR|K-1"), finding("PUPR|K-2")]
    check(app, script, D1)
    statements.statements.clear()

    counts = check(app, script, D2)

    rows = findings_by_subject(app)
    assert {(r.status, r.first_seen, r.last_seen) for r in rows.values()} == {("open", D1, D2)}
    assert all(len(events_of(app, r.id)) == 1 for r in rows.values())
    # Their rows are not written (last_seen moves with the run), and no history.
    assert statements.writes_to("finding") == []
    assert statements.writes_to("finding_event") == []
    assert counts["seen_again"] == 2 and counts["new"] == 0


def test_a_finding_seen_again_and_then_resolved_keeps_the_last_day_it_was_seen(app: App, script: Script) -> None:
    """Seen again on D2 without its row being written, listed with last_seen D2; resolved on D3,
    its last_seen stays D2 for good, whatever runs come after."""
    script.findings = [finding("PUPR|K-1"), finding("PUPR|K-2")]
    check(app, script, D1)
    check(app, script, D2)
    with app.engine.connect() as conn:
        listed = {row["subject"]: row for row in list_findings(conn)}
    assert listed["PUPR|K-1"]["last_seen"] == listed["PUPR|K-2"]["last_seen"] == D2.isoformat()

    script.findings = [finding("PUPR|K-2")]
    check(app, script, D3)
    check(app, script, D4)

    rows = findings_by_subject(app)
    assert (rows["PUPR|K-1"].status, rows["PUPR|K-1"].last_seen) == ("resolved", D2)
    assert (rows["PUPR|K-2"].status, rows["PUPR|K-2"].last_seen) == ("open", D4)
    with app.engine.connect() as conn:
        assert finding_history(conn, rows["PUPR|K-1"].id).finding["last_seen"] == D2.isoformat()
        assert finding_history(conn, rows["PUPR|K-2"].id).finding["last_seen"] == D4.isoformat()


def test_new_findings_get_their_ids_up_front_and_a_first_run_looks_nothing_up(
    app: App, script: Script, statements: StatementLog
) -> None:
    script.findings = [finding("PUPR|K-1"), finding("PUPR|K-2")]
    check(app, script, D1)
    lookups = [s for s in statements.statements if s.startswith("SELECT") and "fingerprint IN" in s]
    assert lookups == []  # nothing was stored before the first run
    script.findings = [finding("PUPR|K-1"), finding("PUPR|K-2"), finding("PUPR|K-3")]

    check(app, script, D2)

    assert [s for s in statements.statements if s.startswith("SELECT") and "fingerprint IN" in s]
    rows = findings_by_subject(app)
    assert sorted(row.id for row in rows.values()) == [rows["PUPR|K-1"].id, rows["PUPR|K-2"].id, rows["PUPR|K-3"].id]
    assert len({row.id for row in rows.values()}) == 3
    for row in rows.values():  # each history row belongs to its own finding
        assert [(e.from_status, e.to_status) for e in events_of(app, row.id)] == [(None, "open")]


def test_a_rerun_with_nothing_changed_writes_nothing(app: App, script: Script, statements: StatementLog) -> None:
    script.findings = [finding("PUPR|K-1"), finding("PUPR|K-2", severity="high")]
    check(app, script, D1)
    statements.statements.clear()

    check(app, script, D1)

    assert statements.writes_to("finding", "finding_event", "match_link", "silence") == []
    # The run itself is recorded.
    assert [w.split()[0] for w in statements.writes_to("check_run")] == ["INSERT", "UPDATE"]


def test_changed_content_is_refreshed_without_a_status_change(app: App, script: Script) -> None:
    script.findings = [finding("PUPR|K-1", title="terlambat 1 hari", details={"hari": 1})]
    check(app, script, D1)
    script.findings = [finding("PUPR|K-1", title="terlambat 2 hari", details={"hari": 2}, amount=2_000)]

    counts = check(app, script, D2)

    row = findings_by_subject(app)["PUPR|K-1"]
    assert (row.title, row.details, row.amount_at_risk, row.last_seen, row.status) == (
        "terlambat 2 hari", {"hari": 2}, 2_000, D2, "open")
    assert len(events_of(app, row.id)) == 1
    assert counts["refreshed"] == 1


def test_a_finding_no_longer_true_is_resolved_with_when_and_why(app: App, script: Script) -> None:
    script.findings = [finding("PUPR|K-1"), finding("PUPR|K-2")]
    check(app, script, D1)
    script.findings = [finding("PUPR|K-2")]

    counts = check(app, script, D2)

    row = findings_by_subject(app)["PUPR|K-1"]
    assert row.status == "resolved" and row.resolved_at is not None
    assert row.resolved_reason == "tidak lagi terdeteksi pada pemeriksaan 3 Maret 2026"
    assert row.last_seen == D1  # it was last seen on the first run
    last = events_of(app, row.id)[-1]
    assert (last.from_status, last.to_status, last.note) == ("open", "resolved", row.resolved_reason)
    assert counts["resolved"] == 1
    assert counts["by_rule"] == {"test.scripted": {"open": 1, "resolved": 1}}


def test_a_resolved_finding_that_comes_back_is_reopened(app: App, script: Script) -> None:
    script.findings = [finding("PUPR|K-1")]
    check(app, script, D1)
    script.findings = []
    check(app, script, D2)
    script.findings = [finding("PUPR|K-1", severity="high")]

    counts = check(app, script, D3)

    row = findings_by_subject(app)["PUPR|K-1"]
    assert (row.status, row.first_seen, row.last_seen, row.resolved_at, row.resolved_reason, row.severity) == (
        "reopened", D1, D3, None, None, "high")
    assert [(e.from_status, e.to_status) for e in events_of(app, row.id)] == [
        (None, "open"), ("open", "resolved"), ("resolved", "reopened")]
    assert events_of(app, row.id)[-1].note == "muncul kembali pada pemeriksaan 4 Maret 2026"
    assert counts["reopened"] == 1


def test_a_severity_change_is_an_event_with_the_same_status(app: App, script: Script) -> None:
    script.findings = [finding("PUPR|K-1", severity="medium")]
    check(app, script, D1)
    script.findings = [finding("PUPR|K-1", severity="high")]

    counts = check(app, script, D2)

    row = findings_by_subject(app)["PUPR|K-1"]
    last = events_of(app, row.id)[-1]
    assert (last.from_status, last.to_status, last.note) == ("open", "open", "severity medium → high")
    assert row.severity == "high" and counts["severity_rose"] == 1

    script.findings = [finding("PUPR|K-1", severity="low")]
    counts = check(app, script, D3)
    assert events_of(app, row.id)[-1].note == "severity high → low"
    assert counts["severity_fell"] == 1


def test_acknowledged_stays_quiet_until_it_changes(app: App, script: Script) -> None:
    script.findings = [finding("PUPR|K-1", title="terlambat 1 hari")]
    check(app, script, D1)
    row = findings_by_subject(app)["PUPR|K-1"]
    assert ack(app, row.id) == "open"

    # A title refresh (a day counter moving on) does not wake it.
    script.findings = [finding("PUPR|K-1", title="terlambat 2 hari")]
    check(app, script, D2)
    assert findings_by_subject(app)["PUPR|K-1"].status == "acknowledged"

    # A higher amount at risk does.
    script.findings = [finding("PUPR|K-1", title="terlambat 3 hari", amount=5_000)]
    counts = check(app, script, D3)
    row = findings_by_subject(app)["PUPR|K-1"]
    assert row.status == "open" and counts["unacknowledged"] == 1
    events = events_of(app, row.id)
    assert [(e.from_status, e.to_status, e.actor) for e in events] == [
        (None, "open", "pantau"), ("open", "acknowledged", "budi"), ("acknowledged", "open", "pantau")]
    assert events[1].note == "PPK sedang menghubungi penyedia"
    assert events[2].note == "berubah setelah diakui: nilai berisiko Rp1.000 → Rp5.000"


def test_an_acknowledged_reopened_finding_returns_to_reopened_when_its_severity_rises(
    app: App, script: Script
) -> None:
    script.findings = [finding("PUPR|K-1")]
    check(app, script, D1)
    script.findings = []
    check(app, script, D2)
    script.findings = [finding("PUPR|K-1")]
    check(app, script, D3)
    ack(app, findings_by_subject(app)["PUPR|K-1"].id)
    script.findings = [finding("PUPR|K-1", severity="critical")]

    check(app, script, D4)

    row = findings_by_subject(app)["PUPR|K-1"]
    assert row.status == "reopened"
    notes = [e.note for e in events_of(app, row.id)[-2:]]
    assert notes == ["severity medium → critical", "berubah setelah diakui: severity medium → critical"]


def test_a_lower_severity_does_not_wake_an_acknowledged_finding(app: App, script: Script) -> None:
    script.findings = [finding("PUPR|K-1", severity="high")]
    check(app, script, D1)
    ack(app, findings_by_subject(app)["PUPR|K-1"].id)
    script.findings = [finding("PUPR|K-1", severity="medium")]
    check(app, script, D2)
    assert findings_by_subject(app)["PUPR|K-1"].status == "acknowledged"


def test_ack_refuses_unknown_and_resolved_findings_and_an_empty_note(app: App, script: Script) -> None:
    script.findings = [finding("PUPR|K-1")]
    check(app, script, D1)
    script.findings = []
    check(app, script, D2)
    row = findings_by_subject(app)["PUPR|K-1"]
    with pytest.raises(FindingsError, match="sudah selesai"):
        ack(app, row.id)
    with pytest.raises(FindingsError, match="tidak ada"):
        ack(app, 999_999)
    with pytest.raises(FindingsError, match="catatan"):
        ack(app, row.id, note="  ")


def test_silence_mutes_matching_findings_until_the_date_then_they_reopen(app: App, script: Script) -> None:
    script.findings = [finding("PUPR|K-1"), finding("PERKIM|K-9", opd="PERKIM")]
    check(app, script, D1)

    silence_id = silence(app, until=D2, opd="pupr")

    rows = findings_by_subject(app)
    assert (rows["PUPR|K-1"].status, rows["PUPR|K-1"].silence_id, rows["PUPR|K-1"].silenced_until) == (
        "silenced", silence_id, D2)
    assert rows["PERKIM|K-9"].status == "open"
    event = events_of(app, rows["PUPR|K-1"].id)[-1]
    assert (event.from_status, event.to_status, event.actor) == ("open", "silenced", "sari")
    assert event.note == "dibungkam sampai 3 Maret 2026: menunggu adendum"

    check(app, script, D2)  # the last day of the silence: still muted
    assert findings_by_subject(app)["PUPR|K-1"].status == "silenced"

    counts = check(app, script, D3)
    row = findings_by_subject(app)["PUPR|K-1"]
    assert (row.status, row.silence_id, row.silenced_until) == ("open", None, None)
    last = events_of(app, row.id)[-1]
    assert (last.from_status, last.to_status, last.actor, last.note) == (
        "silenced", "open", "pantau", "masa bungkam berakhir 3 Maret 2026")
    assert counts["unsilenced"] == 1


def test_a_new_finding_under_an_active_silence_starts_silenced(app: App, script: Script) -> None:
    silence(app, until=D3, rule="test.*")
    script.findings = [finding("PUPR|K-1")]

    counts = check(app, script, D1)

    row = findings_by_subject(app)["PUPR|K-1"]
    assert row.status == "silenced" and row.silenced_until == D3
    [event] = events_of(app, row.id)
    assert (event.from_status, event.to_status) == (None, "silenced")
    assert event.note == "ditemukan pada pemeriksaan 2 Maret 2026; dibungkam sampai 4 Maret 2026: menunggu adendum"
    assert counts["by_rule"] == {"test.scripted": {"silenced": 1}}


def test_a_silence_by_subject_leaves_other_subjects_alone(app: App, script: Script) -> None:
    script.findings = [finding("PUPR|K-1"), finding("PUPR|K-2")]
    check(app, script, D1)
    silence(app, until=D3, subject="PUPR|K-2")
    rows = findings_by_subject(app)
    assert (rows["PUPR|K-1"].status, rows["PUPR|K-2"].status) == ("open", "silenced")


def test_lifting_a_silence_reopens_its_findings_now(app: App, script: Script) -> None:
    script.findings = [finding("PUPR|K-1")]
    check(app, script, D1)
    silence_id = silence(app, until=D4, opd="PUPR")
    with transaction(app.sessions) as session:
        assert lift_silence(session, silence_id, actor="sari", now=utcnow(), today=D2) == 1
    row = findings_by_subject(app)["PUPR|K-1"]
    assert row.status == "open"
    check(app, script, D2)
    assert findings_by_subject(app)["PUPR|K-1"].status == "open"


def test_silence_refuses_no_selector_an_empty_reason_and_a_past_date(app: App) -> None:
    with pytest.raises(FindingsError, match="minimal satu"), transaction(app.sessions) as session:
        add_silence(session, rule=None, opd=None, subject=None, until=D2, reason="x", actor="a", now=utcnow(),
                    today=D1)
    with pytest.raises(FindingsError, match="sudah lewat"), transaction(app.sessions) as session:
        add_silence(session, rule="jakon.*", opd=None, subject=None, until=D1, reason="x", actor="a",
                    now=utcnow(), today=D2)
    with pytest.raises(FindingsError, match="alasan"), transaction(app.sessions) as session:
        add_silence(session, rule="jakon.*", opd=None, subject=None, until=D2, reason=" ", actor="a",
                    now=utcnow(), today=D1)


def test_a_rule_yielding_one_subject_twice_keeps_the_first(app: App, script: Script) -> None:
    script.findings = [finding("PUPR|K-1", severity="low"), finding("PUPR|K-1", severity="high"),
                       finding("PUPR|K-1", severity="medium")]
    counts = check(app, script, D1)
    assert findings_by_subject(app)["PUPR|K-1"].severity == "low"
    assert counts["duplicates"] == 2 and counts["detected"] == 1


def test_a_disabled_rule_resolves_its_findings_and_says_so(app: App, script: Script) -> None:
    script.findings = [finding("PUPR|K-1")]
    check(app, script, D1)
    settings = app.settings.model_copy(update={"rules": {"test.scripted": RuleSettings(enabled=False)}})
    disabled = App(settings=settings, engine=app.engine, sessions=app.sessions)

    run_check(disabled, D2, registry=script.registry())

    row = findings_by_subject(app)["PUPR|K-1"]
    assert row.status == "resolved"
    assert row.resolved_reason == "aturan test.scripted dinonaktifkan dalam konfigurasi"


def test_each_run_is_recorded_with_its_counts(app: App, script: Script) -> None:
    script.findings = [finding("PUPR|K-1")]
    result = run_check(app, D1, registry=script.registry())
    with app.sessions() as session:
        run = session.get(CheckRun, result.run_id)
        assert run is not None
        assert (run.as_of, run.status, run.error) == (D1, "ok", None)
        assert run.finished_at is not None and run.finished_at >= run.started_at
        assert run.counts["new"] == 1 and run.counts["by_rule"] == {"test.scripted": {"open": 1}}
        assert set(run.counts["timings"]) >= {"load", "match", "rules", "write"}
        assert session.scalars(select(CheckRun.status)).all() == ["ok"]


def test_findings_are_reconciled_chunk_by_chunk(app: App, script: Script, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spool, "CHUNK", 2)  # the spool's chunks
    monkeypatch.setattr(reconcile, "CHUNK", 2)
    script.findings = [finding(f"PUPR|K-{n}") for n in range(7)]
    assert check(app, script, D1)["new"] == 7
    script.findings = [finding(f"PUPR|K-{n}", severity="high" if n % 2 else "medium") for n in range(1, 9)]

    counts = check(app, script, D2)

    rows = findings_by_subject(app)
    assert (counts["new"], counts["resolved"], counts["severity_rose"], counts["seen_again"]) == (2, 1, 3, 3)
    assert rows["PUPR|K-0"].status == "resolved"
    assert {rows[f"PUPR|K-{n}"].last_seen for n in range(1, 9)} == {D2}
    assert len({row.id for row in rows.values()}) == 9


def test_finding_details_are_stored_as_json_in_the_rules_key_order() -> None:
    details = {"tanggal": date(2026, 3, 2), "nilai": Decimal("1500000"), "rasio": Decimal("0.5"),
               "link": MappingProxyType({"method": "exact"}), "nomor": ("K-1", "K-2"), "catatan": "batas → 14 hari",
               "adendum": None}
    text = details_json(details)

    assert list(json.loads(text)) == list(details)
    assert json.loads(text) == {"tanggal": "2026-03-02", "nilai": 1500000, "rasio": "0.5", "link": {"method": "exact"},
                                "nomor": ["K-1", "K-2"], "catatan": "batas → 14 hari", "adendum": None}
    assert "→" in text  # UTF-8, not \\u escapes
    with pytest.raises(TypeError, match="object"):
        details_json({"x": object()})
