"""The daemon's jobs: plain functions of ``(app, now)`` that return a :class:`JobResult`.

They know nothing of the scheduler: :mod:`monitor.daemon.scheduler` refers to them by import path
(``monitor.daemon.jobs:check``) and attaches triggers. A job that should be followed by another (a check
after a successful import, alerts after a check) says so in ``follow_up``; the runner decides.
Each job imports its area lazily, so a missing or broken area fails that job, not the daemon.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from monitor.bootstrap import App
from monitor.db import is_in_memory

log = logging.getLogger(__name__)

# A file younger than this may still be being copied into the inbox; it waits for the next run.
SETTLE_SECONDS = 2.0
INBOX_ACTOR = "kotak masuk"


@dataclass(frozen=True)
class JobResult:
    """What a job did (recorded with the run and logged) and which jobs should run next."""

    summary: dict[str, Any] = field(default_factory=dict)
    follow_up: tuple[str, ...] = ()


class JobUnavailable(RuntimeError):
    """The job's area is not part of this installation (yet)."""


@runtime_checkable
class Reported(Protocol):
    """What every area's function returns to a job: a report that says itself as a JSON-able dict
    (``ImportReport``, ``CheckRunResult``, the outbox's ``CycleResult`` and ``FlushResult``)."""

    def as_dict(self) -> dict[str, Any]: ...


def as_job_result(value: JobResult | Reported | Mapping[str, Any] | None) -> JobResult:
    """A job's return value as a :class:`JobResult` (other areas' functions return their own reports, or a
    summary as a plain mapping)."""
    if isinstance(value, JobResult):
        return value
    if value is None:
        return JobResult()
    if isinstance(value, Mapping):
        return JobResult(summary=dict(value))
    if not isinstance(value, Reported):
        raise TypeError(f"a job returned {type(value).__name__}, which has no as_dict()")
    return JobResult(summary=value.as_dict())


def _waiting_files(inbox: Path, settle_seconds: float) -> list[Path]:
    cutoff = time.time() - settle_seconds
    files = [
        path for path in inbox.iterdir()
        # Hidden files and Excel's "~$name.xlsx" lock files are not data.
        if path.is_file() and not path.name.startswith((".", "~$")) and path.stat().st_mtime <= cutoff
    ]
    from monitor.ingest.kinds import KINDS, SOURCE_FILE_WORDS, kind_from_name

    # Contracts first (the real sources hold contracts too): the others refer to them.
    order = {kind: index for index, kind in enumerate([*SOURCE_FILE_WORDS, *KINDS])}
    return sorted(files, key=lambda p: (order.get(kind_from_name(p.name) or "", len(order)), p.name))


def inbox(app: App, now: datetime, *, settle_seconds: float = SETTLE_SECONDS) -> JobResult:
    """Import every file waiting in the inbox folder; each moves to ``processed/`` or ``failed/``
    with its import report (JSON) beside it.

    The inbox never stops for one file: whatever goes wrong with a file — a bad file, or an exception
    nobody foresaw (its traceback goes to the log, one line of it to the report) — moves it to ``failed/``
    and the next file is imported. Only when the database itself does not answer (the server is down)
    does the file stay for the next run, and the job fails."""
    folder = app.settings.scheduler.inbox_dir
    folder.mkdir(parents=True, exist_ok=True)
    now = now.astimezone(app.settings.tz)  # file names carry local time, as the operators read it
    imported: list[str] = []
    failed: list[str] = []
    from monitor.ingest.dropped import import_dropped

    for path in _waiting_files(folder, settle_seconds):
        outcome = import_dropped(app, path, folder, now, actor=INBOX_ACTOR)
        (imported if outcome.imported else failed).append(path.name)
    return JobResult(
        summary={"imported": imported, "failed": failed},
        follow_up=("check",) if imported else (),
    )


def check(app: App, now: datetime) -> JobResult:
    """Evaluate every rule as of today (in the configured time zone) and reconcile the findings.

    In the daemon, whose HTTP server runs in other threads, the check runs in a process of its own
    (:mod:`monitor.check.process`): a process with other threads must not fork, and a big check
    uses the machine's second core by forking (:mod:`monitor.check.forked`). Its memory is also given
    back to the system when it ends."""
    run_check = _area_function("monitor.check.run", "run_check")
    as_of = now.astimezone(app.settings.tz).date()
    if threading.active_count() > 1 and not is_in_memory(app.settings.database.url):
        result = _area_function("monitor.check.process", "run_in_own_process")(app.settings, as_of)
    else:
        result = run_check(app, as_of=as_of)
    return JobResult(summary=result.as_dict(), follow_up=("alerts",))


def _area_function(module: str, name: str) -> Any:
    """A function another area provides, looked up when the job runs."""
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise JobUnavailable(f"{module}.{name} is not available: {exc}") from exc


def alerts(app: App, now: datetime) -> Any:
    """Build the due digests into the outbox and deliver what is pending."""
    # It may be a coroutine function (aiosmtplib); the runner awaits what it returns.
    return _area_function("alerts", "send_cycle")(app, now)


def outbox(app: App, now: datetime) -> Any:
    """Deliver pending and retry-due messages from the outbox."""
    return _area_function("alerts", "flush_outbox")(app, now)


def monev(app: App, now: datetime) -> JobResult:
    """The monthly monev report: HTML, PDF and XLSX written to ``[report] output_dir`` and queued in the
    outbox for ``[report] recipients``; the outbox job delivers them."""
    delivered = _area_function("monitor.report.delivery", "write_and_send")(app, now)
    return JobResult(summary=dict(delivered.summary), follow_up=("outbox",))
