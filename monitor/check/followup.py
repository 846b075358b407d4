"""The follow-up (tindak lanjut) of findings: what the monev meeting agreed, who does it, by when.

The one place follow-up changes are made — ``pantau followup set``, the meeting's XLSX read back by
``pantau ingest tindak-lanjut`` and the web interface all call :func:`set_followup` /
:func:`set_followups`, so every change is validated the same way and leaves one history row
(:class:`~monitor.models.FollowupEvent`: each changed field before and after, the actor, the source).

Statuses are the categories BPK uses for audit follow-ups (:data:`FOLLOWUP_STATUSES`); a finding nobody
has followed up is ``belum ditindaklanjuti``. Its batas waktu, unless set, is the rule's number of days
(``[report] followup_days``, else ``followup_default_days``) after the finding was first seen.

The follow-up is independent of the finding's own lifecycle: a finding the data resolves is resolved
whatever its follow-up says, and keeps the follow-up for the record (the report shows both).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final
from typing import cast as typed

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from monitor.check.findings import FINDING, lock_for_writing
from monitor.models import FindingFollowup, FollowupEvent
from monitor.regulation.wording import tanggal
from monitor.settings import ReportSettings

BELUM: Final = "belum ditindaklanjuti"
PROSES: Final = "dalam proses"
SESUAI: Final = "sesuai"
TIDAK_DAPAT: Final = "tidak dapat ditindaklanjuti"
FOLLOWUP_STATUSES: Final = (BELUM, PROSES, SESUAI, TIDAK_DAPAT)
# What people type for the same categories (BPK's own "belum sesuai" is work in progress).
_STATUS_SPELLINGS: Final = {"belum sesuai": PROSES, "proses": PROSES, "belum": BELUM, "tidak dapat": TIDAK_DAPAT}
FIELDS: Final = ("status", "due", "pic", "note")
MAX_PIC = 200

FOLLOWUP = typed(Table, FindingFollowup.__table__)
FOLLOWUP_EVENT = typed(Table, FollowupEvent.__table__)


class FollowupError(Exception):
    """A follow-up change the store refuses; the message says why, in Indonesian."""


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


def parse_status(text: str) -> str:
    """A follow-up status as typed (any case and spacing, BPK's synonyms), or :class:`FollowupError`."""
    key = " ".join(text.split()).casefold()
    status = key if key in FOLLOWUP_STATUSES else _STATUS_SPELLINGS.get(key)
    if status is None:
        raise FollowupError(f"status {text.strip()!r} tidak dikenal; pilih dari: {', '.join(FOLLOWUP_STATUSES)}")
    return status


def default_due(first_seen: date, rule: str, report: ReportSettings) -> date:
    """The batas waktu when none was agreed: the rule's number of days after the finding opened."""
    return first_seen + timedelta(days=report.followup_days_for(rule))


@dataclass(frozen=True, slots=True)
class Followup:
    """A finding's follow-up as it stands (the defaults filled in)."""

    finding_id: int
    status: str
    due: date
    due_is_default: bool
    pic: str | None
    note: str | None
    updated_at: datetime | None
    updated_by: str | None


@dataclass(frozen=True, slots=True)
class Change:
    """One requested change: a field left :data:`UNSET` is kept; ``due=None`` returns to the default."""

    finding_id: int
    status: str | _Unset = UNSET
    due: date | _Unset | None = UNSET
    pic: str | _Unset | None = UNSET
    note: str | _Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class Outcome:
    finding_id: int
    changes: dict[str, list[Any]] = field(default_factory=dict)  # field -> [before, after]; empty: unchanged

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def set_followup(
    session: Session, finding_id: int, *, status: str | _Unset = UNSET, due: date | _Unset | None = UNSET,
    pic: str | _Unset | None = UNSET, note: str | _Unset | None = UNSET, actor: str, now: datetime,
    source: str = "cli",
) -> Outcome:
    """Change a finding's follow-up and write one history row with what changed. A request that
    changes nothing writes nothing. Raises :class:`FollowupError` (in Indonesian) for an unknown
    finding, an unknown status, a batas waktu before the finding opened, or ``tidak dapat
    ditindaklanjuti`` without a note giving the reason."""
    lock_for_writing(session)
    return _apply(session.connection(), Change(finding_id, status, due, pic, note), actor=actor, now=now,
                  source=source)


def set_followups(
    session: Session, changes: Iterable[Change], *, actor: str, now: datetime, source: str, locked: bool = False,
) -> list[Outcome | FollowupError]:
    """Apply many changes under one lock (the meeting's sheet): each succeeds or is refused on its own;
    the results are in the order given. ``locked``: the caller took :func:`lock_for_writing` first thing
    in this transaction (to write more beside the changes)."""
    if not locked:
        lock_for_writing(session)
    conn = session.connection()
    results: list[Outcome | FollowupError] = []
    for change in changes:
        try:
            results.append(_apply(conn, change, actor=actor, now=now, source=source))
        except FollowupError as exc:
            results.append(exc)
    return results


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _apply(conn: Connection, change: Change, *, actor: str, now: datetime, source: str) -> Outcome:
    f = FINDING.c
    finding = conn.execute(select(f.first_seen).where(f.id == change.finding_id)).first()
    if finding is None:
        raise FollowupError(f"temuan #{change.finding_id} tidak ada")
    u = FOLLOWUP.c
    stored = conn.execute(select(u.status, u.due, u.pic, u.note).where(u.finding_id == change.finding_id)).first()
    before: dict[str, Any] = dict(stored._mapping) if stored is not None else {
        "status": BELUM, "due": None, "pic": None, "note": None}
    after = dict(before)
    if not isinstance(change.status, _Unset):
        after["status"] = parse_status(change.status)
    if not isinstance(change.due, _Unset):
        if change.due is not None and change.due < finding.first_seen:
            raise FollowupError(f"batas waktu {tanggal(change.due)} sebelum temuan dibuka "
                                f"({tanggal(finding.first_seen)})")
        after["due"] = change.due
    if not isinstance(change.pic, _Unset):
        pic = _clean(change.pic)
        if pic is not None and ("\n" in pic or "\r" in pic or len(pic) > MAX_PIC):
            raise FollowupError(f"PIC harus satu baris, paling panjang {MAX_PIC} karakter")
        after["pic"] = pic
    if not isinstance(change.note, _Unset):
        after["note"] = _clean(change.note)
    if after["status"] == TIDAK_DAPAT and not after["note"]:
        raise FollowupError("status 'tidak dapat ditindaklanjuti' wajib disertai catatan alasannya")
    changes = {name: [_json(before[name]), _json(after[name])] for name in FIELDS if before[name] != after[name]}
    if not changes:
        return Outcome(change.finding_id)
    values = {**after, "updated_at": now, "updated_by": actor}
    if stored is None:
        conn.execute(FOLLOWUP.insert(), {"finding_id": change.finding_id, **values})
    else:
        conn.execute(FOLLOWUP.update().where(u.finding_id == change.finding_id).values(**values))
    conn.execute(FOLLOWUP_EVENT.insert(), {"finding_id": change.finding_id, "at": now, "actor": actor,
                                           "source": source, "changes": changes})
    return Outcome(change.finding_id, changes)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# --- reading --------------------------------------------------------------------------------------


def followups(conn: Connection, finding_ids: Iterable[int], report: ReportSettings) -> dict[int, Followup]:
    """The follow-up of each finding, defaults filled in; an unknown id is left out."""
    ids = list(finding_ids)
    f, u = FINDING.c, FOLLOWUP.c
    result: dict[int, Followup] = {}
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(f.id, f.rule, f.first_seen, u.status, u.due, u.pic, u.note, u.updated_at, u.updated_by)
            .select_from(FINDING.outerjoin(FOLLOWUP, u.finding_id == f.id))
            .where(f.id.in_(ids[start:start + 500]))
        )
        for row in rows:
            result[row.id] = from_row(row.id, row.rule, row.first_seen, dict(row._mapping), report)
    return result


def from_row(
    finding_id: int, rule: str, first_seen: date, stored: Mapping[str, Any], report: ReportSettings,
) -> Followup:
    """A :class:`Followup` from a finding joined with its (maybe missing) follow-up row."""
    due = stored.get("due")
    return Followup(
        finding_id=finding_id, status=stored.get("status") or BELUM,
        due=due if due is not None else default_due(first_seen, rule, report), due_is_default=due is None,
        pic=stored.get("pic"), note=stored.get("note"), updated_at=stored.get("updated_at"),
        updated_by=stored.get("updated_by"),
    )


def history(conn: Connection, finding_id: int) -> list[dict[str, Any]]:
    """Every follow-up change of a finding, oldest first."""
    e = FOLLOWUP_EVENT.c
    return [dict(row._mapping) for row in conn.execute(
        select(e.at, e.actor, e.source, e.changes).where(e.finding_id == finding_id).order_by(e.at, e.id))]
