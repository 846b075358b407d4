"""One file dropped for import — into the inbox folder, or uploaded on the web's Impor page — imported the
inbox's way: its kind from the name (or the header, or as chosen), the same validation as ``pantau ingest``,
and the file moved to ``processed/`` or ``failed/`` with its import report (JSON) beside it.

Whatever goes wrong with the file — a bad file, or an exception nobody foresaw (its traceback goes to the
log, one line of it to the report) — files it under ``failed/``. Only when the database itself does not
answer does the file stay where it is and the exception go up (the inbox tries again next run).
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update

from monitor.bootstrap import App
from monitor.db import database_answers, transaction
from monitor.ingest.importer import guess_kind, ingest_file
from monitor.ingest.kinds import KINDS
from monitor.ingest.report import IngestError
from monitor.ingest.sourcelist import SOURCES
from monitor.models import ImportBatch

log = logging.getLogger("monitor.daemon.jobs")  # the inbox's log lines keep the logger operators know


@dataclass(frozen=True)
class Dropped:
    """What became of one dropped file: imported (``error`` None) or not, its report, where it went."""

    kind: str | None
    filed: Path
    report: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def imported(self) -> bool:
        return self.error is None


def import_dropped(app: App, path: Path, folder: Path, now: datetime, *, actor: str,
                   kind: str | None = None) -> Dropped:
    """Import ``path`` (as ``kind``, else the kind its name or header says) and file it away under
    ``folder``; the import's batch records ``actor`` (who uploaded it, or the inbox)."""
    try:
        # The name says it (the documented convention); failing that, the header columns may.
        kind = kind or guess_kind(path, app.settings)
        if kind is None:
            known = ", ".join([*(spec.file_words[0] for spec in KINDS.values()), *SOURCES])
            raise IngestError(f"jenis data tidak dikenali dari nama berkas; awali nama dengan salah satu: {known}")
        report = SOURCES[kind].ingest(app, path) if kind in SOURCES else ingest_file(app, kind, path)
    except IngestError as exc:
        failed = {"kind": kind, "file": path.name, "actor": actor, "error": str(exc)}
        log.warning("inbox: %s not imported: %s", path.name, exc, extra={"file": path.name, "kind": kind})
        return Dropped(kind, file_away(path, folder / "failed", now, failed), failed, str(exc))
    except Exception as exc:
        if not database_answers(app.engine):
            log.error("inbox: the database does not answer; %s stays in the inbox for the next run", path.name,
                      extra={"file": path.name, "kind": kind})
            raise
        reason = f"kesalahan tak terduga saat impor: {one_line(exc)}"
        log.exception("inbox: %s not imported, unexpected error: %s", path.name, one_line(exc),
                      extra={"file": path.name, "kind": kind})
        failed = {"kind": kind, "file": path.name, "actor": actor, "error": reason}
        return Dropped(kind, file_away(path, folder / "failed", now, failed), failed, reason)
    if report.batch_id is not None:
        with transaction(app.sessions) as session:
            session.execute(update(ImportBatch).where(ImportBatch.id == report.batch_id).values(actor=actor[:200]))
    done = {**report.as_dict(), "kind": kind, "file": path.name, "actor": actor}
    log.info("inbox: imported %s as %s", path.name, kind, extra={"file": path.name, "kind": kind})
    return Dropped(kind, file_away(path, folder / "processed", now, done), done)


def file_away(path: Path, folder: Path, now: datetime, report: dict[str, Any]) -> Path:
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


def one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or "(tanpa pesan)"
    return f"{type(exc).__name__}: {text[:limit]}"
