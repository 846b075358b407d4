"""What the importers of the real sources (SPSE, OCDS) share: the rejected rows, kept with where they
were (a line, or a JSON path such as ``$[12].tgl_kontrak``) and why, and values made JSON-ready."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from monitor.ingest.loader import save_rejects
from monitor.ingest.report import ImportReport, RowError

# As for the files of each kind: a report lists at most this many problems; rejected_row keeps all.
MAX_REPORTED_ERRORS = 10_000
_FLUSH = 5_000


def jsonable(value: object) -> Any:
    """Any value ijson or a reader produced, as JSON (Decimal as its text: exact)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


class Rejects:
    """The rejected rows of one import, written in chunks to ``rejected_row`` in its transaction."""

    def __init__(self, batch_id: int, kind: str, file_name: str, report: ImportReport) -> None:
        self._batch_id, self._kind, self._file = batch_id, kind, file_name[:500]
        self._report = report
        self._pending: list[dict[str, Any]] = []

    def row(self, line: int, problems: Sequence[tuple[str | None, str]], raw: Mapping[str, Any],
            conn: Connection | None = None) -> None:
        """One rejected row (or item) with each of its problems: (where, why)."""
        report = self._report
        report.rejected += 1
        values = jsonable(raw)
        for column, message in problems:
            if len(report.errors) < MAX_REPORTED_ERRORS:
                report.errors.append(RowError(line, column, message))
            else:
                report.notes["errors_not_listed"] = report.notes.get("errors_not_listed", 0) + 1
            self._pending.append({"batch_id": self._batch_id, "kind": self._kind, "file_name": self._file,
                                  "line": line, "column": None if column is None else column[:200],
                                  "message": message, "raw": values})
        if conn is not None and len(self._pending) >= _FLUSH:
            self.flush(conn)

    def flush(self, conn: Connection) -> None:
        save_rejects(conn, self._pending)
        self._pending = []
