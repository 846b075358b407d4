"""The daemon's jobs: plain functions of ``(app, now)`` that return a :class:`JobResult`.

They know nothing of the scheduler: :mod:`monitor.daemon.scheduler` refers to them by import path
(``monitor.daemon.jobs:check``) and attaches triggers. A job that should be followed by another (a check
after a successful import, alerts after a check) says so in ``follow_up``; the runner decides.
Each job imports its area lazily, so a missing or broken area fails that job, not the daemon.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.bootstrap import App
from monitor.db import is_in_memory

log = logging.getLogger(__name__)

# A file younger than this may still be being copied into the inbox; it waits for the next run.
SETTLE_SECONDS = 2.0

# File-name prefixes (case-insensitive) that say which kind of data a dropped file holds, in the
# order files are imported: contracts before the addenda, payments and registrations that refer to them.
KIND_PREFIXES: Mapping[str, tuple[str, ...]] = {
    "contracts": ("contracts", "contract", "kontrak"),
    "addenda": ("addenda", "addendum", "adendum"),
    "registrations": ("registrations", "registration", "registrasi", "kepesertaan", "jakon"),
    "payments": ("payments", "payment", "sp2d"),
    "agreements": ("agreements", "agreement", "perjanjian", "mou", "pks"),
    "kampung": ("kampung",),
}
_KIND_ORDER = {kind: index for index, kind in enumerate(KIND_PREFIXES)}


@dataclass(frozen=True)
class JobResult:
    """What a job did (recorded with the run and logged) and which jobs should run next."""

    summary: dict[str, Any] = field(default_factory=dict)
    follow_up: tuple[str, ...] = ()


class JobUnavailable(RuntimeError):
    """The job's area is not part of this installation (yet)."""


def guess_kind(path: Path) -> str | None:
    """The kind of data in a dropped file, from its name's prefix: ``kontrak_2026-03.csv`` -> contracts."""
    name = path.name.casefold()
    for kind, prefixes in KIND_PREFIXES.items():
        if name.startswith(prefixes):
            return kind
    return None


def report_dict(report: Any) -> dict[str, Any]:
    for method in ("to_json", "to_dict", "model_dump", "as_dict"):
        if callable(getattr(report, method, None)):
            return dict(getattr(report, method)())
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        return dataclasses.asdict(report)
    if isinstance(report, Mapping):
        return dict(report)
    return {"report": str(report)}


def as_job_result(value: Any) -> JobResult:
    """A job's return value as a :class:`JobResult` (other areas' functions return their own reports)."""
    if isinstance(value, JobResult):
        return value
    if value is None:
        return JobResult()
    return JobResult(summary=report_dict(value))


def _waiting_files(inbox: Path, settle_seconds: float) -> list[Path]:
    cutoff = time.time() - settle_seconds
    files = [
        path for path in inbox.iterdir()
        # Hidden files and Excel's "~$name.xlsx" lock files are not data.
        if path.is_file() and not path.name.startswith((".", "~$")) and path.stat().st_mtime <= cutoff
    ]
    return sorted(files, key=lambda p: (_KIND_ORDER.get(guess_kind(p) or "", len(_KIND_ORDER)), p.name))


def _file_away(path: Path, folder: Path, now: datetime, report: dict[str, Any]) -> Path:
    """Move ``path`` into ``folder`` with its import report beside it; never overwrite an earlier file."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{now.strftime('%Y%m%dT%H%M%S')}_{path.name}"
    counter = 1
    while target.exists():
        target = folder / f"{now.strftime('%Y%m%dT%H%M%S')}-{counter}_{path.name}"
        counter += 1
    shutil.move(str(path), target)
    report_path = target.with_name(target.name + ".report.json")
    report_path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return target


def inbox(app: App, now: datetime, *, settle_seconds: float = SETTLE_SECONDS) -> JobResult:
    """Import every file waiting in the inbox folder; each moves to ``processed/`` or ``failed/``
    with its import report (JSON) beside it. A file the database could not take (the server is down)
    stays in the inbox for the next run: only a file that is itself bad goes to ``failed/``."""
    from monitor.ingest import IngestError, ingest_file
    from monitor.ingest import guess_kind as kind_from_header

    folder = app.settings.scheduler.inbox_dir
    folder.mkdir(parents=True, exist_ok=True)
    now = now.astimezone(app.settings.tz)  # file names carry local time, as the operators read it
    imported: list[str] = []
    failed: list[str] = []
    for path in _waiting_files(folder, settle_seconds):
        # The name says it (the documented convention); failing that, the header columns may.
        kind = guess_kind(path) or kind_from_header(path, app.settings)
        if kind is None:
            known = ", ".join(p for prefixes in KIND_PREFIXES.values() for p in prefixes[:1])
            message = f"jenis data tidak dikenali dari nama berkas; awali nama dengan salah satu: {known}"
            _file_away(path, folder / "failed", now, {"file": path.name, "error": message})
            log.warning("inbox: %s: %s", path.name, message, extra={"file": path.name})
            failed.append(path.name)
            continue
        try:
            report = ingest_file(app, kind, path)
        except IngestError as exc:
            _file_away(path, folder / "failed", now, {"kind": kind, "file": path.name, "error": str(exc)})
            log.warning("inbox: %s not imported: %s", path.name, exc, extra={"file": path.name, "kind": kind})
            failed.append(path.name)
            continue
        details = {**report_dict(report), "kind": kind, "file": path.name}
        _file_away(path, folder / "processed", now, details)
        log.info("inbox: imported %s as %s", path.name, kind, extra={"file": path.name, "kind": kind})
        imported.append(path.name)
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
    return JobResult(summary=report_dict(result), follow_up=("alerts",))


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
