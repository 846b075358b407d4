"""Reconcile one check run's findings with the stored ones, chunk by chunk, in bounded memory.

A bad year in a big city yields a finding for most contracts, each carrying a kilobyte of details,
so the run's findings are never all held in memory:

1. :class:`~monitor.check.spool.Spool` — while the rules run (before any lock is taken) each finding is deduplicated by
   fingerprint, its details serialized and hashed, and parked in a temporary file in chunks.
2. :func:`reconcile` — under the writers' lock, each chunk is compared with the stored rows of the
   same fingerprints (one indexed ``SELECT … IN``), and its inserts, updates and history rows are
   decided in Python and written with ``executemany`` (:class:`~monitor.check.driver.Driver`). Active
   findings the run did not see are resolved. A finding merely seen again is not written at all: its
   ``last_seen`` moves with the run itself (see :func:`monitor.check.findings.last_seen_now`).

A run that changes nothing issues no INSERT, UPDATE or DELETE on the findings at all. The lifecycle
itself is described in :mod:`monitor.check.findings`.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from itertools import repeat
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from monitor.check.driver import Driver, Stored
from monitor.check.findings import (
    ACKNOWLEDGED,
    ACTIVE,
    FINDING,
    FINDING_EVENT,
    OPEN,
    REOPENED,
    RESOLVED,
    SILENCED,
    ActiveSilence,
    active_silences,
    first_match,
    latest_run_as_of,
    none_stored,
    silenced_note,
    status_before_acknowledgement,
)
from monitor.check.spool import CHUNK, Detected, SpooledFindings
from monitor.records import severity_rank
from monitor.regulation.wording import rupiah, tanggal

log = logging.getLogger(__name__)

_F = FINDING.c

# Why findings no longer hold: (rule, subject) pairs in, one reason each out (e.g. "registrasi ditemukan").
ResolutionReasons = Callable[[Sequence[tuple[str, str]]], list[str]]


@dataclass(slots=True)
class ReconcileReport:
    detected: int = 0
    duplicates: int = 0  # same fingerprint yielded twice in one run (the first is kept)
    new: int = 0
    reopened: int = 0
    resolved: int = 0
    refreshed: int = 0  # title, severity, amount or details changed
    severity_rose: int = 0
    severity_fell: int = 0
    unacknowledged: int = 0  # acknowledged findings that changed and became active again
    silenced: int = 0
    unsilenced: int = 0
    seen_again: int = 0  # last_seen moved and nothing else changed
    # rule -> status -> findings; "resolved" counts those resolved by this run
    by_rule: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: getattr(self, name) for name in _COUNTS}
        data["by_rule"] = {rule: dict(sorted(counts.items())) for rule, counts in sorted(self.by_rule.items())}
        return data


_COUNTS = tuple(f.name for f in fields(ReconcileReport) if f.name != "by_rule")


_INSERTED = ("fingerprint", "rule", "subject", "status", "severity", "title", "opd", "amount_at_risk", "details",
             "content_hash", "silence_id", "silenced_until", "first_seen", "last_seen", "last_check_run_id",
             "opened_at")
_EVENT = ("finding_id", "at", "from_status", "to_status", "actor", "note", "check_run_id")


class _Writes:
    """One chunk's writes: inserts, row updates grouped by the columns they touch, history rows
    (as the driver takes them: a tuple each, the run's time, actor and id bound once)."""

    def __init__(self, conn: Connection, at: datetime, actor: str, check_run_id: int,
                 inserted: Callable[[Sequence[int]], None]) -> None:
        self.driver = Driver(conn)
        self.inserted = inserted
        self.inserts: list[tuple[Any, ...]] = []
        # Of each insert, in order: its status and the note of its first history row.
        self.insert_statuses: list[str] = []
        self.insert_notes: list[str] = []
        self.groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
        self.events: list[tuple[Any, ...]] = []
        # Every column's conversion but the details', which arrive as JSON text.
        self.bound = {column.key: self.driver.bind(column) for column in FINDING.c if column.key != "details"}
        self.at, self.actor, self.check_run_id = self.driver.bind(FINDING_EVENT.c.at)(at), actor, check_run_id

    def update(self, finding_id: int, values: dict[str, Any]) -> None:
        keys = tuple(sorted(values))
        bound = self.bound
        self.groups[keys].append((*(bound[key](values[key]) if key in bound else values[key] for key in keys),
                                  finding_id))

    def event(self, finding_id: int, from_status: str | None, to_status: str, note: str | None) -> None:
        """A history row (in the order of _EVENT)."""
        self.events.append((finding_id, self.at, from_status, to_status, self.actor, note, self.check_run_id))

    def write(self) -> None:
        driver = self.driver
        if self.inserts:
            ids = driver.new_ids("finding", len(self.inserts))
            driver.insert("finding", ("id", *_INSERTED),
                          [(finding_id, *row) for finding_id, row in zip(ids, self.inserts, strict=True)])
            count = len(ids)
            # Each new finding's first history row: "found" (open, or silenced).
            self.events.extend(zip(ids, repeat(self.at, count), repeat(None, count), self.insert_statuses,
                                   repeat(self.actor, count), self.insert_notes, repeat(self.check_run_id, count),
                                   strict=True))
            self.inserted(ids)
        for keys, rows in self.groups.items():
            driver.update("finding", keys, rows)
        driver.insert("finding_event", _EVENT, self.events)
        self.inserts, self.insert_statuses, self.insert_notes, self.groups = [], [], [], defaultdict(list)
        self.events = []


def _content(item: Detected) -> dict[str, Any]:
    return {"severity": item.severity, "title": item.title, "opd": item.opd, "amount_at_risk": item.amount_at_risk,
            "details": item.details, "content_hash": item.digest}


def _silence_values(silence: ActiveSilence | None) -> dict[str, Any]:
    return {"silence_id": None if silence is None else silence.id,
            "silenced_until": None if silence is None else silence.until}


def reconcile(
    conn: Connection, spool: SpooledFindings, *, as_of: date, check_run_id: int, now: datetime, actor: str,
    resolution_reasons: ResolutionReasons,
) -> ReconcileReport:
    """Bring the stored findings in line with what the rules found as of ``as_of``. Call it inside the
    run's transaction, after :func:`monitor.check.findings.lock_for_writing`."""
    report = ReconcileReport()
    run = _Run(conn, as_of, check_run_id, now, actor, active_silences(conn, as_of), report)
    for chunk in spool.chunks():
        run.chunk(chunk)
    # Known once every chunk is read: the spool may still be filling while the first are written.
    report.detected, report.duplicates = spool.count, spool.duplicates
    _resolve(run, resolution_reasons)
    return report


@dataclass
class _Run:
    conn: Connection
    as_of: date
    check_run_id: int
    now: datetime
    actor: str
    silences: list[ActiveSilence]
    report: ReconcileReport

    def __post_init__(self) -> None:
        # An active finding was last seen by the latest successful run (monitor.check.findings.last_seen_now).
        self.previous_as_of: date | None = self.conn.execute(select(latest_run_as_of())).scalar()
        self.first = none_stored(self.conn)
        # Ids of the active findings this run saw again, as a bitmap: the rest are resolved.
        self.seen_ids = bytearray()
        self.seen_count = 0
        self.silence_by_id = {s.id: s for s in self.silences}
        self.seen_on = tanggal(self.as_of)
        self.writes = _Writes(self.conn, self.now, self.actor, self.check_run_id, self.mark_seen_all)
        # What every finding this run inserts shares (the insert's last columns, bound once).
        bound = self.writes.bound
        self.inserted_tail = (bound["first_seen"](self.as_of), bound["last_seen"](self.as_of), self.check_run_id,
                              bound["opened_at"](self.now))
        self.found_note = f"ditemukan pada pemeriksaan {self.seen_on}"

    def chunk(self, chunk: list[Detected]) -> None:
        if self.first and not self.silences:
            self.insert_all(chunk)
            self.writes.write()
            return
        # A first run (no finding stored before it) has nothing to look up: the spool's fingerprints
        # are distinct, so this run's own inserts are never found again.
        stored = {} if self.first else self.writes.driver.stored([item.fingerprint for item in chunk])
        woke = [row.id for item in chunk if (row := stored.get(item.fingerprint)) is not None
                and row.status == ACKNOWLEDGED and _woke(row, item)]
        before_ack = status_before_acknowledgement(self.conn, woke)
        for item in chunk:
            row = stored.get(item.fingerprint)
            silence = first_match(self.silences, item.rule, item.opd, item.subject) if self.silences else None
            if row is None:
                status = self.insert(item, silence)
            elif row.status == RESOLVED:
                self.mark_seen(row.id)
                status = self.reopen(row, item, silence)
            else:
                self.mark_seen(row.id)
                status = self.refresh(row, item, silence, before_ack)
            self.report.by_rule[item.rule][status] += 1
        self.writes.write()

    def mark_seen(self, finding_id: int) -> None:
        if finding_id >= len(self.seen_ids):
            self.seen_ids.extend(bytes(finding_id + 1 - len(self.seen_ids) + 4096))
        self.seen_ids[finding_id] = 1
        self.seen_count += 1

    def mark_seen_all(self, finding_ids: Sequence[int]) -> None:
        """:meth:`mark_seen` for new findings' ids (distinct)."""
        if not finding_ids:
            return
        top = max(finding_ids)
        if top >= len(self.seen_ids):
            self.seen_ids.extend(bytes(top + 1 - len(self.seen_ids) + 4096))
        seen = self.seen_ids
        for finding_id in finding_ids:
            seen[finding_id] = 1
        self.seen_count += len(finding_ids)

    def insert_all(self, chunk: list[Detected]) -> None:
        """:meth:`insert` for a whole chunk of a first run with no silence in force: every finding
        is new and open (the first run writes hundreds of thousands; this is its loop, in C)."""
        writes, tail, count = self.writes, self.inserted_tail, len(chunk)
        # In the order of _INSERTED, as insert() makes them.
        writes.inserts.extend([
            (fingerprint, rule, subject, OPEN, severity, title, opd, amount, details, digest, None, None, *tail)
            for fingerprint, rule, subject, severity, title, opd, amount, details, digest in chunk
        ])
        writes.insert_statuses.extend(repeat(OPEN, count))
        writes.insert_notes.extend(repeat(self.found_note, count))
        self.report.new += count
        for rule, found in Counter(item.rule for item in chunk).items():
            self.report.by_rule[rule][OPEN] += found

    def insert(self, item: Detected, silence: ActiveSilence | None) -> str:
        writes = self.writes
        # In the order of _INSERTED.
        if silence is None:
            status = OPEN
            writes.inserts.append((item.fingerprint, item.rule, item.subject, status, item.severity, item.title,
                                   item.opd, item.amount_at_risk, item.details, item.digest, None, None,
                                   *self.inserted_tail))
            writes.insert_notes.append(self.found_note)
        else:
            status = SILENCED
            writes.inserts.append((item.fingerprint, item.rule, item.subject, status, item.severity, item.title,
                                   item.opd, item.amount_at_risk, item.details, item.digest, silence.id,
                                   writes.bound["silenced_until"](silence.until), *self.inserted_tail))
            writes.insert_notes.append(_with_silence(self.found_note, silence))
        writes.insert_statuses.append(status)
        self.report.new += 1
        return status

    def reopen(self, row: Stored, item: Detected, silence: ActiveSilence | None) -> str:
        status = SILENCED if silence else REOPENED
        self.writes.update(row.id, {
            "status": status, **_content(item), **_silence_values(silence), "last_seen": self.as_of,
            "last_check_run_id": self.check_run_id, "opened_at": self.now, "resolved_at": None,
            "resolved_reason": None, "ack_note": None,
        })
        note = f"muncul kembali pada pemeriksaan {self.seen_on}"
        self.writes.event(row.id, RESOLVED, status, _with_silence(note, silence))
        self.report.reopened += 1
        return status

    def refresh(self, row: Stored, item: Detected, silence: ActiveSilence | None,
                before_ack: dict[int, str]) -> str:
        """A finding that was active and still holds: refresh it; returns its status after the run."""
        values: dict[str, Any] = {}
        notes: list[str] = []
        status = row.status
        if item.digest != row.content_hash:
            values.update(_content(item))
            self.report.refreshed += 1
        if item.severity != row.severity:
            self.writes.event(row.id, row.status, row.status, f"severity {row.severity} → {item.severity}")
            if severity_rank(item.severity) > severity_rank(row.severity):
                self.report.severity_rose += 1
            else:
                self.report.severity_fell += 1
        if status == ACKNOWLEDGED and row.id in before_ack:
            status = before_ack[row.id]
            notes.append("berubah setelah diakui: " + _what_changed(row, item))
            self.report.unacknowledged += 1
        if status == SILENCED:
            current = self.silence_by_id.get(row.silence_id) if row.silence_id is not None else None
            current = current or silence  # another silence may cover it now
            if current is None:
                status = OPEN
                until = row.silenced_until
                notes.append("masa bungkam berakhir" + ("" if until is None else f" {tanggal(until)}"))
                values.update(_silence_values(None))
                self.report.unsilenced += 1
            elif (current.id, current.until) != (row.silence_id, row.silenced_until):
                values.update(_silence_values(current))
        if status in (OPEN, REOPENED) and silence is not None:
            status = SILENCED
            notes.append(silenced_note(silence))
            values.update(_silence_values(silence))
            self.report.silenced += 1
        if status != row.status:
            values["status"] = status
            self.writes.event(row.id, row.status, status, "; ".join(notes))
        if (self.previous_as_of or row.last_seen) != self.as_of:
            if values:
                values.update(last_seen=self.as_of, last_check_run_id=self.check_run_id)
            else:
                self.report.seen_again += 1
        elif values:
            values["last_check_run_id"] = self.check_run_id
        if values:
            self.writes.update(row.id, values)
        return str(status)


def _resolve(run: _Run, resolution_reasons: ResolutionReasons) -> None:
    """Resolve the active findings this run did not see, saying why.

    The active ids come from the (status, rule) index alone, and only when their number says some
    were not seen; the rest of each row is read for those few."""
    active = select(_F.id).where(_F.status.in_(ACTIVE))
    total = run.conn.execute(select(func.count()).select_from(active.subquery())).scalar_one()
    if total == run.seen_count:
        return
    seen, size = run.seen_ids, len(run.seen_ids)
    gone_ids = [fid for (fid,) in run.conn.execute(active.execution_options(yield_per=CHUNK * 4))
                if fid >= size or not seen[fid]]
    for start in range(0, len(gone_ids), CHUNK):
        gone = run.conn.execute(select(_F.id, _F.rule, _F.subject, _F.status)
                                .where(_F.id.in_(gone_ids[start:start + CHUNK])).order_by(_F.id)).all()
        reasons = resolution_reasons([(rule, subject) for _, rule, subject, _ in gone])
        for (fid, rule, _, status), reason in zip(gone, reasons, strict=True):
            values = {"status": RESOLVED, "resolved_at": run.now, "resolved_reason": reason, "silence_id": None,
                      "silenced_until": None, "last_check_run_id": run.check_run_id}
            if run.previous_as_of is not None:  # the last run that saw it: written down for good
                values["last_seen"] = run.previous_as_of
            run.writes.update(fid, values)
            run.writes.event(fid, status, RESOLVED, reason)
            run.report.resolved += 1
            run.report.by_rule[rule][RESOLVED] += 1
        run.writes.write()


def _with_silence(note: str, silence: ActiveSilence | None) -> str:
    return note if silence is None else f"{note}; {silenced_note(silence)}"


def _woke(row: Stored, item: Detected) -> bool:
    """Has an acknowledged finding changed enough to need attention again?"""
    return severity_rank(item.severity) > severity_rank(row.severity) or item.amount_at_risk != row.amount_at_risk


def _what_changed(row: Stored, item: Detected) -> str:
    parts = []
    if item.severity != row.severity:
        parts.append(f"severity {row.severity} → {item.severity}")
    if item.amount_at_risk != row.amount_at_risk:
        parts.append(f"nilai berisiko {rupiah(row.amount_at_risk)} → {rupiah(item.amount_at_risk)}")
    return ", ".join(parts)
