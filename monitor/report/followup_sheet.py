"""The meeting's working sheet read back: ``pantau ingest tindak-lanjut FILE.xlsx``.

The "Tindak lanjut" sheet of the monev XLSX carries each finding's id and its follow-up; after the meeting
the secretariat edits status, batas waktu, PIC and note and imports the file. Each row becomes one
:class:`~monitor.check.followup.Change` through the one follow-up store; a row with an unknown finding id,
an unknown status or an impossible date is rejected with its line and reason (``pantau rejects``), the other
rows are applied; a row equal to what is stored changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from monitor.check import followup
from monitor.models import ImportBatch, RejectedRow, utcnow
from monitor.report.lists import FOLLOWUP_COLUMNS
from monitor.report.xlsx import FOLLOWUP_SHEET
from monitor.settings import ReportSettings

KIND = "tindak-lanjut"
_HEADERS = {c.key: c.header for c in FOLLOWUP_COLUMNS}


class SheetError(Exception):
    """The file is not a monev follow-up sheet at all (nothing is changed)."""


@dataclass
class SheetResult:
    batch_id: int
    rows: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise followup.FollowupError(f"batas waktu {text!r} bukan tanggal (dd/mm/yyyy)")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def ingest_followup_sheet(session: Session, path: Path, report: ReportSettings, *, actor: str) -> SheetResult:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
        raise SheetError(f"{path}: bukan berkas XLSX yang terbaca ({exc.__class__.__name__})") from exc
    if FOLLOWUP_SHEET not in book.sheetnames:
        raise SheetError(f"{path}: tidak ada sheet '{FOLLOWUP_SHEET}'")
    lines = list(book[FOLLOWUP_SHEET].iter_rows(values_only=True))
    book.close()
    header_line = next((i for i, row in enumerate(lines) if row and row[0] == _HEADERS["id"]), None)
    if header_line is None:
        raise SheetError(f"{path}: baris judul kolom '{_HEADERS['id']}' tidak ditemukan")
    header = [str(cell).strip() if cell is not None else "" for cell in lines[header_line]]
    where = {key: header.index(title) for key, title in _HEADERS.items() if title in header}
    missing = [_HEADERS[k] for k in ("id", "status_tl", "due", "pic", "note") if k not in where]
    if missing:
        raise SheetError(f"{path}: kolom {', '.join(missing)} tidak ada")
    now = utcnow()
    followup.lock_for_writing(session)  # first thing: the batch, its rejects and the changes in one write
    batch = ImportBatch(kind=KIND, file_name=str(path), sha256="", started_at=now, notes={"sheet": FOLLOWUP_SHEET})
    session.add(batch)
    session.flush()
    result = SheetResult(batch_id=batch.id)
    rejects: list[RejectedRow] = []

    def reject(line: int, column: str | None, message: str, raw: tuple[Any, ...]) -> None:
        rejects.append(RejectedRow(batch_id=batch.id, kind=KIND, file_name=str(path), line=line, column=column,
                                   message=message, raw={h: _raw(v) for h, v in zip(header, raw, strict=False)}))

    parsed: list[tuple[int, tuple[Any, ...], dict[str, Any]]] = []
    for offset, raw in enumerate(lines[header_line + 1:], start=header_line + 2):
        if not raw or all(cell is None or str(cell).strip() == "" for cell in raw):
            continue
        result.rows += 1
        cell = {key: raw[col] if col < len(raw) else None for key, col in where.items()}
        try:
            finding_id = int(str(cell["id"]).strip())
        except (TypeError, ValueError):
            reject(offset, _HEADERS["id"], f"ID temuan {cell['id']!r} bukan angka", raw)
            continue
        try:
            status = followup.parse_status(str(cell["status_tl"] or followup.BELUM))
        except followup.FollowupError as exc:
            reject(offset, _HEADERS["status_tl"], str(exc), raw)
            continue
        try:
            due = None if cell["due"] in (None, "") else _date(cell["due"])
        except followup.FollowupError as exc:
            reject(offset, _HEADERS["due"], str(exc), raw)
            continue
        parsed.append((offset, raw, {"finding_id": finding_id, "status": status, "due": due,
                                     "pic": _text(cell["pic"]), "note": _text(cell["note"])}))
    current = followup.followups(session.connection(), [p[2]["finding_id"] for p in parsed], report)
    changes = []
    for _offset, _raw_row, values in parsed:
        now_tl = current.get(values["finding_id"])
        new_due: Any = values["due"]
        # The sheet shows the rule's default batas waktu; leaving it as it was keeps it the default.
        if now_tl is not None and (new_due is None or (now_tl.due_is_default and new_due == now_tl.due)):
            new_due = followup.UNSET
        changes.append(followup.Change(values["finding_id"], values["status"], new_due, values["pic"],
                                       values["note"]))
    outcomes = followup.set_followups(session, changes, actor=actor, now=now, source=f"xlsx:{path.name}",
                                     locked=True)
    for (offset, raw, _values), outcome in zip(parsed, outcomes, strict=True):
        if isinstance(outcome, followup.FollowupError):
            reject(offset, None, str(outcome), raw)
        elif outcome.changed:
            result.changed += 1
        else:
            result.unchanged += 1
    result.rejected = len(rejects)
    session.add_all(rejects)
    batch.rows, batch.updated, batch.unchanged, batch.rejected = result.rows, result.changed, result.unchanged, \
        result.rejected
    batch.finished_at = utcnow()
    return result


def _raw(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
