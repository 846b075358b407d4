"""The follow-up store (monitor.check.followup) and ``pantau followup`` through the real CLI, on both engines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from monitor.bootstrap import App
from monitor.check import followup
from monitor.check.run import run_check
from monitor.db import transaction
from monitor.models import FollowupEvent
from tests.check.helpers import Script, finding, findings_by_subject
from tests.check.test_cli import pantau

NOW = datetime(2026, 4, 21, 3, 0, tzinfo=UTC)


def _one(app: App, script: Script, rule: str = "test.scripted") -> int:
    script.findings = [finding("PUPR|K-1", severity="high", title="Kontrak K-1 belum didaftarkan")]
    run_check(app, date(2026, 4, 20), registry=script.registry())
    return int(findings_by_subject(app)["PUPR|K-1"].id)


def _events(app: App, finding_id: int) -> list[dict[str, object]]:
    with app.sessions() as session:
        return followup.history(session.connection(), finding_id)


def test_a_finding_without_follow_up_is_belum_with_the_rules_default_due(app: App, script: Script) -> None:
    fid = _one(app, script)
    with app.sessions() as session:
        found = followup.followups(session.connection(), [fid], app.settings.report)[fid]
    assert found.status == followup.BELUM
    assert found.due == date(2026, 5, 20) and found.due_is_default  # first_seen + 30 days
    assert found.pic is None and _events(app, fid) == []


def test_per_rule_default_days_come_from_the_settings(app: App, script: Script) -> None:
    fid = _one(app, script)
    rule = findings_by_subject_rule(app)
    report = app.settings.report.model_copy(update={"followup_days": {rule: 7}})
    with app.sessions() as session:
        assert followup.followups(session.connection(), [fid], report)[fid].due == date(2026, 4, 27)


def findings_by_subject_rule(app: App) -> str:
    return str(findings_by_subject(app)["PUPR|K-1"].rule)


def test_every_change_is_one_history_row_and_an_unchanged_request_writes_nothing(app: App, script: Script) -> None:
    fid = _one(app, script)
    with transaction(app.sessions) as session:
        first = followup.set_followup(session, fid, status="Dalam  Proses", pic="PPK PUPR", due=date(2026, 5, 1),
                                      actor="sekretariat", now=NOW)
    assert first.changes == {"status": [followup.BELUM, followup.PROSES], "due": [None, "2026-05-01"],
                             "pic": [None, "PPK PUPR"]}
    with transaction(app.sessions) as session:
        again = followup.set_followup(session, fid, status="dalam proses", pic=" PPK PUPR ", actor="x", now=NOW)
    assert not again.changed
    [event] = _events(app, fid)
    assert event["actor"] == "sekretariat" and event["source"] == "cli"
    with app.sessions() as session:
        found = followup.followups(session.connection(), [fid], app.settings.report)[fid]
    assert (found.status, found.due, found.due_is_default, found.pic) == (followup.PROSES, date(2026, 5, 1), False,
                                                                          "PPK PUPR")


@pytest.mark.parametrize(("fields", "message"), [
    ({"status": "selesai banget"}, "status 'selesai banget' tidak dikenal"),
    ({"due": date(2026, 4, 19)}, "sebelum temuan dibuka"),
    ({"status": "tidak dapat ditindaklanjuti"}, "wajib disertai catatan"),
    ({"pic": "a\r\nBcc: x@y"}, "PIC harus satu baris"),
])
def test_it_refuses_bad_changes_in_indonesian_and_writes_nothing(
    app: App, script: Script, fields: dict[str, object], message: str,
) -> None:
    fid = _one(app, script)
    with pytest.raises(followup.FollowupError, match=message), transaction(app.sessions) as session:
        followup.set_followup(session, fid, actor="x", now=NOW, **fields)  # type: ignore[arg-type]
    assert _events(app, fid) == []


def test_due_on_the_day_the_finding_opened_is_accepted(app: App, script: Script) -> None:
    fid = _one(app, script)
    with transaction(app.sessions) as session:
        assert followup.set_followup(session, fid, due=date(2026, 4, 20), actor="x", now=NOW).changed


def test_an_unknown_finding_is_refused(app: App) -> None:
    with pytest.raises(followup.FollowupError, match="temuan #999 tidak ada"), transaction(app.sessions) as session:
        followup.set_followup(session, 999, status="sesuai", actor="x", now=NOW)


def test_a_finding_the_data_resolves_keeps_its_follow_up(app: App, script: Script) -> None:
    fid = _one(app, script)
    with transaction(app.sessions) as session:
        followup.set_followup(session, fid, status="dalam proses", actor="x", now=NOW)
    script.findings = []
    run_check(app, date(2026, 4, 22), registry=script.registry())
    assert findings_by_subject(app)["PUPR|K-1"].status == "resolved"
    with app.sessions() as session:
        assert followup.followups(session.connection(), [fid], app.settings.report)[fid].status == followup.PROSES


def test_followup_set_through_the_cli(app: App, script: Script) -> None:
    fid = _one(app, script)
    result = pantau(app, "followup", "set", str(fid), "--status", "sesuai", "--note", "sudah didaftarkan",
                    "--actor", "rapat monev")
    assert result.exit_code == 0, result.output
    assert "belum ditindaklanjuti → sesuai" in result.output
    shown = pantau(app, "followup", "show", str(fid))
    assert f"Temuan #{fid}: sesuai" in shown.output and "rapat monev (cli)" in shown.output
    bad = pantau(app, "followup", "set", str(fid), "--status", "beres")
    assert bad.exit_code == 2 and "tidak dikenal" in bad.output
    bad_date = pantau(app, "followup", "set", str(fid), "--due", "2026-02-30")
    assert bad_date.exit_code == 2
    with app.sessions() as session:
        assert session.execute(select(func.count()).select_from(FollowupEvent)).scalar() == 1
