"""A check run is atomic: a failure anywhere leaves the previous state intact and is itself recorded;
two concurrent runs serialize their writes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from typing import Any, ClassVar

import pytest
from sqlalchemy import select

from checks.base import CheckContext
from monitor.bootstrap import App
from monitor.check import reconcile, spool
from monitor.check.run import CheckFailed, run_check
from monitor.db import transaction
from monitor.models import CheckRun, FindingEvent, MatchLink
from monitor.records import Finding
from tests.check.helpers import (
    DeclaredRule,
    Script,
    add_contract,
    add_registration,
    finding,
    findings_by_subject,
    snapshot,
)

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)


def _runs(app: App) -> list[tuple[str, str | None]]:
    with app.sessions() as session:
        return [(run.status, run.error) for run in session.scalars(select(CheckRun).order_by(CheckRun.id))]


@pytest.fixture
def linked_records(app: App) -> None:
    """A contract and its registration, so the run also writes a link."""
    with transaction(app.sessions) as session:
        add_contract(session.connection())
        add_registration(session.connection())


def test_a_rule_failing_midway_changes_nothing_and_the_failure_is_recorded(app: App, script: Script) -> None:
    script.findings = [finding("PUPR|K-1")]
    script.other = [finding("PUPR|K-5", rule="test.other")]
    run_check(app, D1, registry=script.registry())
    before = snapshot(app)
    # The second run would open K-2 and resolve K-1, but the second rule fails after yielding one finding.
    script.findings = [finding("PUPR|K-2")]
    script.fail_after = 1

    with pytest.raises(CheckFailed, match="aturan gagal di tengah jalan") as failed:
        run_check(app, D2, registry=script.registry())

    assert snapshot(app) == before
    assert [status for status, _ in _runs(app)] == ["ok", "failed"]
    error = _runs(app)[-1][1]
    assert error is not None and error.startswith("RuntimeError: aturan gagal di tengah jalan")
    with app.sessions() as session:
        run = session.get(CheckRun, failed.value.run_id)
        assert run is not None and run.as_of == D2 and run.finished_at is not None


def test_a_crash_while_writing_rolls_back_every_write(
    app: App, script: Script, linked_records: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    script.findings = [finding("PUPR|K-1"), finding("PUPR|K-2")]
    run_check(app, D1, registry=script.registry())
    with app.sessions() as session:
        session.execute(MatchLink.__table__.delete())  # the next run must write the link again
        session.commit()
    before = snapshot(app)
    script.findings = [finding("PUPR|K-2", severity="critical"), finding("PUPR|K-3")]
    original = reconcile._Writes.write
    calls = []

    def write_then_crash(self: reconcile._Writes) -> None:
        original(self)  # inserts, updates and history have reached the database...
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk penuh")  # ...and then, at the second chunk, the process fails

    monkeypatch.setattr(spool, "CHUNK", 1)  # the spool's chunks
    monkeypatch.setattr(reconcile, "CHUNK", 1)  # one finding per chunk: the crash comes mid-run
    monkeypatch.setattr(reconcile._Writes, "write", write_then_crash)

    with pytest.raises(CheckFailed, match="disk penuh"):
        run_check(app, D2, registry=script.registry())

    assert len(calls) == 2
    assert snapshot(app) == before
    assert [status for status, _ in _runs(app)] == ["ok", "failed"]


def test_two_concurrent_runs_serialize_and_leave_one_consistent_state(app: App) -> None:
    both_computed = threading.Barrier(2, timeout=30)

    class Meeting(DeclaredRule):
        """Both runs reach the rules before either writes, so their writes contend."""

        id: ClassVar[str] = "test.meeting"

        def run(self, ctx: CheckContext) -> Iterator[Finding]:
            both_computed.wait()
            yield finding("PUPR|K-1", rule=self.id)
            yield finding("PUPR|K-2", rule=self.id, severity="high")

    registry: dict[str, Any] = {"test.meeting": Meeting}
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_check(app, D1, registry=registry)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert [status for status, _ in _runs(app)] == ["ok", "ok"]
    rows = findings_by_subject(app)
    assert sorted(rows) == ["PUPR|K-1", "PUPR|K-2"]
    assert {row.status for row in rows.values()} == {"open"}
    with app.sessions() as session:
        events = session.execute(select(FindingEvent.finding_id, FindingEvent.to_status)).all()
    # The second run found the first one's findings: one "new" event each, nothing twice.
    assert sorted(events) == sorted((row.id, "open") for row in rows.values())
