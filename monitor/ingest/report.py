"""What an import tells its caller: the counts, every rejected row, and whole-file failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class IngestError(Exception):
    """The file as a whole cannot be imported (not a table, required columns missing, unreadable).

    The message is Indonesian and meant for the user as is. Nothing was written to the database.
    """


@dataclass(frozen=True)
class RowError:
    """One problem with one row. ``column`` is the header as written in the file."""

    line: int
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class ImportReport:
    """The outcome of importing one file. ``rows`` (read) = inserted + updated + unchanged + rejected
    + out_of_scope (rows kept but out of Jakon's scope: SPSE, OCDS); ``errors`` may hold several
    problems for one rejected row."""

    kind: str
    file: str
    batch_id: int | None = None
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    out_of_scope: int = 0
    errors: list[RowError] = field(default_factory=list)
    # Encoding, delimiter or sheet read, header line, unknown OPDs, ignored columns.
    notes: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "rows": self.rows,
            "read": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "out_of_scope": self.out_of_scope,
            "errors": [error.as_dict() for error in self.errors],
            "batch_id": self.batch_id,
            "notes": self.notes,
        }
