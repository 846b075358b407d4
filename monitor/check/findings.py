"""The findings store: what the rules found, kept across runs with a lifecycle and its history.

Statuses::

    (new) ──> open ──> resolved ──> reopened ──> resolved ...
               │  ^                    │
               │  └── (changed) ── acknowledged <──┘
               └─────> silenced ──(silence expired)──> open

- A finding a check run sees for the first time is ``open`` (``silenced`` if an active silence
  matches it). Seen again: ``last_seen`` moves; its title, severity, amount and details are refreshed
  when they changed. No longer seen: ``resolved``, with the time and the reason. Seen again after
  that: ``reopened``.
- ``acknowledged`` (``pantau ack``): a human has taken it up; it stays active but gets no reminders
  **until it changes**, which here means its severity rises or its amount at risk changes. Then it
  returns to the status it had before the acknowledgement (``open`` or ``reopened``). A title or
  details refresh alone (a day counter moving on, say) does not wake it.
- ``silenced`` (``pantau silence``): muted until a date, inclusive. A check run whose as-of date is
  past that date returns it to ``open``; a new or reopened finding matching an active silence starts
  silenced, and so does an open one. An acknowledged finding keeps its acknowledgement; only the
  ``silence`` command itself silences acknowledged findings. ``pantau unsilence`` lifts a silence
  at once (the row stays, ending yesterday, for the record).
- ``reopened`` resets ``opened_at`` (escalation counts from the reopening); ``first_seen`` stays.
- ``last_seen`` is the as-of date of the last run that saw the finding; ``last_check_run_id`` the
  last run that wrote the row. A run writes a finding's row only when something about it changed:
  one merely seen again is not rewritten (a million rows of a kilobyte each, every night). Every
  finding left active by a successful run was seen by it, so an active finding's last_seen is the
  latest successful run's as-of date; the column holds it as of the last write, and
  :func:`last_seen_now` reads it as it stands. Resolving a finding writes the date down for good.
  A re-run as of the same date over unchanged data writes nothing.

Every status change is a :class:`~monitor.models.FindingEvent` (at, from, to, actor, note, check run).
A severity change is an event too, with the same status on both sides and the note
``"severity medium → high"``, so the alerts can tell a finding rose.

Writers serialize on :func:`lock_for_writing`: a PostgreSQL advisory transaction lock, or SQLite's
single write lock taken up front with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any
from typing import cast as typed

import orjson
from sqlalchemy import Table, bindparam, case, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from monitor.models import CheckRun, Finding, FindingEvent, Silence
from monitor.records import SEVERITIES
from monitor.records import Finding as DetectedFinding
from monitor.regulation.wording import tanggal

OPEN, REOPENED, ACKNOWLEDGED, SILENCED, RESOLVED = "open", "reopened", "acknowledged", "silenced", "resolved"
ACTIVE = (OPEN, REOPENED, ACKNOWLEDGED, SILENCED)
STATUSES = (*ACTIVE, RESOLVED)

FINDING = typed(Table, Finding.__table__)
FINDING_EVENT = typed(Table, FindingEvent.__table__)
CHECK_RUN = typed(Table, CheckRun.__table__)
SILENCE = typed(Table, Silence.__table__)

SQLITE_BUSY_TIMEOUT_MS = 30_000  # what monitor.db.make_engine gives every SQLite connection

# "pantau" in ASCII: the PostgreSQL advisory lock every findings writer takes.
ADVISORY_LOCK_KEY = 0x70616E746175


class FindingsError(Exception):
    """A request on the findings the store refuses; the message says why, in Indonesian."""


def lock_for_writing(session: Session, *, wait_seconds: float = 120.0) -> None:
    """Serialize writers of the findings for the rest of this transaction. Call it first thing.

    PostgreSQL: an advisory transaction lock (released at commit or rollback), so two check runs, or
    a check run and an ``ack``, never interleave. SQLite: ``BEGIN IMMEDIATE`` takes the database's
    single write lock before anything is read, so the second writer waits up to ``wait_seconds``
    instead of failing later on a stale snapshot."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait_seconds * 1000)}")
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        # Back to the engine's usual wait (monitor.db): the pooled connection outlives this transaction.
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON-serializable in finding details: {type(value).__name__}")


def details_json(details: Mapping[str, Any]) -> str:
    """Finding details as the JSON text stored: compact, UTF-8, keys in the order the rule wrote them
    (rules build their details the same way every run: sorting a million dictionaries would cost more
    than it buys). orjson: a tenth of the standard encoder's time, a few seconds at a million findings."""
    return orjson.dumps(details, default=_jsonable, option=orjson.OPT_NON_STR_KEYS).decode()


def stored_content(finding: DetectedFinding) -> tuple[str, str]:
    """The finding's details as the JSON text to store, and its content hash over severity, title, OPD,
    amount and details: equal hashes mean a re-run has nothing to rewrite."""
    text = details_json(finding.details)
    content = f"{finding.severity}\x1f{finding.title}\x1f{finding.opd}\x1f{finding.amount_at_risk}\x1f{text}"
    return text, hashlib.sha1(content.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class ActiveSilence:
    id: int
    rule: str | None
    opd: str | None
    subject: str | None
    until: date
    reason: str

    def matches(self, rule: str, opd: str | None, subject: str) -> bool:
        """``rule`` may be a glob (``agreement.*``); OPD codes compare case-insensitively."""
        return (
            (self.rule is None or fnmatchcase(rule, self.rule))
            and (self.opd is None or (opd or "").casefold() == self.opd.casefold())
            and (self.subject is None or subject == self.subject)
        )


def active_silences(conn: Connection, on: date) -> list[ActiveSilence]:
    """Silences in force on ``on`` (``until`` is inclusive), the longest first."""
    s = SILENCE.c
    rows = conn.execute(
        select(s.id, s.rule, s.opd, s.subject, s.until, s.reason).where(s.until >= on)
        .order_by(s.until.desc(), s.id.desc())
    )
    return [ActiveSilence(*row) for row in rows]


def first_match(silences: Iterable[ActiveSilence], rule: str, opd: str | None, subject: str) -> ActiveSilence | None:
    return next((s for s in silences if s.matches(rule, opd, subject)), None)


def silenced_note(silence: ActiveSilence) -> str:
    return f"dibungkam sampai {tanggal(silence.until)}: {silence.reason}"


@dataclass(slots=True)
class EventLog:
    """FindingEvent rows collected during a write, inserted in one executemany."""

    at: datetime
    actor: str
    check_run_id: int | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, finding_id: int, from_status: str | None, to_status: str, note: str | None) -> None:
        self.rows.append({
            "finding_id": finding_id, "at": self.at, "from_status": from_status, "to_status": to_status,
            "actor": self.actor, "note": note, "check_run_id": self.check_run_id,
        })

    def write(self, conn: Connection) -> None:
        if self.rows:
            conn.execute(FINDING_EVENT.insert(), self.rows)


def status_before_acknowledgement(conn: Connection, finding_ids: Iterable[int]) -> dict[int, str]:
    """What each acknowledged finding was before its latest acknowledgement (open or reopened)."""
    ids = list(finding_ids)
    if not ids:
        return {}
    e = FINDING_EVENT.c
    before: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(e.finding_id, e.from_status)
            .where(e.finding_id.in_(ids[start:start + 500]), e.to_status == ACKNOWLEDGED)
            .where(e.from_status.is_distinct_from(ACKNOWLEDGED))
            .order_by(e.id)
        )
        before.update((fid, status) for fid, status in rows)
    return {fid: before.get(fid) if before.get(fid) in (OPEN, REOPENED) else OPEN for fid in ids}  # type: ignore[misc]


# --- human actions --------------------------------------------------------------------------------


def acknowledge(session: Session, finding_id: int, *, note: str, actor: str, now: datetime) -> str:
    """Mark a finding acknowledged: still active, no reminders until it changes. Returns the status it
    had. An acknowledged finding can be acknowledged again to change the note."""
    if not note.strip():
        raise FindingsError("catatan wajib diisi: tulis apa yang sedang dilakukan")
    lock_for_writing(session)
    conn = session.connection()
    f = FINDING.c
    row = conn.execute(select(f.status).where(f.id == finding_id)).first()
    if row is None:
        raise FindingsError(f"temuan #{finding_id} tidak ada")
    status = row.status
    if status == RESOLVED:
        raise FindingsError(f"temuan #{finding_id} sudah selesai; tidak ada yang perlu diakui")
    conn.execute(
        FINDING.update().where(f.id == finding_id)
        .values(status=ACKNOWLEDGED, ack_note=note, silence_id=None, silenced_until=None)
    )
    log = EventLog(at=now, actor=actor)
    log.add(finding_id, status, ACKNOWLEDGED, note)
    log.write(conn)
    return str(status)


def note_action(session: Session, finding_id: int, *, actor: str, note: str, now: datetime) -> None:
    """A history row for an action that leaves the status as it is (a proposed registration number, a
    staff decision on it): the same status on both sides, the actor and what was done."""
    conn = session.connection()
    row = conn.execute(select(FINDING.c.status).where(FINDING.c.id == finding_id)).first()
    if row is None:
        raise FindingsError(f"temuan #{finding_id} tidak ada")
    log = EventLog(at=now, actor=actor)
    log.add(finding_id, row.status, row.status, note)
    log.write(conn)


@dataclass(frozen=True, slots=True)
class SilenceResult:
    silence_id: int
    silenced: int  # findings muted now


def add_silence(
    session: Session, *, rule: str | None, opd: str | None, subject: str | None, until: date, reason: str,
    actor: str, now: datetime, today: date,
) -> SilenceResult:
    """Mute every active finding matching ``rule`` (a glob), ``opd`` and ``subject`` through ``until``
    (inclusive); findings that appear later and match start silenced until then."""
    if rule is None and opd is None and subject is None:
        raise FindingsError("sebutkan minimal satu dari --rule, --opd atau --subject")
    if not reason.strip():
        raise FindingsError("alasan wajib diisi")
    if until < today:
        raise FindingsError(f"tanggal {tanggal(until)} sudah lewat")
    lock_for_writing(session)
    conn = session.connection()
    silence_id = conn.execute(
        SILENCE.insert().returning(SILENCE.c.id),
        {"rule": rule, "opd": opd, "subject": subject, "until": until, "reason": reason, "actor": actor,
         "created_at": now},
    ).scalar_one()
    silence = ActiveSilence(silence_id, rule, opd, subject, until, reason)
    f = FINDING.c
    query = select(f.id, f.rule, f.opd, f.subject, f.status, f.silenced_until).where(f.status.in_(ACTIVE))
    if subject is not None:
        query = query.where(f.subject == subject)
    log = EventLog(at=now, actor=actor)
    updates = []
    for fid, frule, fopd, fsubject, status, silenced_until in conn.execute(query).all():
        if not silence.matches(frule, fopd, fsubject):
            continue
        if status == SILENCED and silenced_until is not None and silenced_until >= until:
            continue  # an existing, longer silence already covers it
        updates.append({"b_id": fid, "v_status": SILENCED, "v_silence_id": silence_id, "v_until": until})
        if status != SILENCED:
            log.add(fid, status, SILENCED, silenced_note(silence))
    if updates:
        conn.execute(
            FINDING.update().where(f.id == bindparam("b_id")).values(
                status=bindparam("v_status"), silence_id=bindparam("v_silence_id"),
                silenced_until=bindparam("v_until")),
            updates,
        )
    log.write(conn)
    return SilenceResult(silence_id=silence_id, silenced=len(log.rows))


def lift_silence(session: Session, silence_id: int, *, actor: str, now: datetime, today: date) -> int:
    """End a silence today: it stays on record (``until`` becomes yesterday, the reason says who lifted
    it) and the findings it muted return to ``open`` now, unless another active silence covers them.
    Returns how many findings were un-muted."""
    lock_for_writing(session)
    conn = session.connection()
    s = SILENCE.c
    row = conn.execute(select(s.until, s.reason).where(s.id == silence_id)).first()
    if row is None:
        raise FindingsError(f"silence #{silence_id} tidak ada")
    if row.until < today:
        raise FindingsError(f"silence #{silence_id} sudah berakhir {tanggal(row.until)}")
    yesterday = date.fromordinal(today.toordinal() - 1)
    conn.execute(SILENCE.update().where(s.id == silence_id).values(
        until=yesterday, reason=f"{row.reason} [dicabut oleh {actor} pada {tanggal(today)}]"))
    others = active_silences(conn, today)
    f = FINDING.c
    log = EventLog(at=now, actor=actor)
    for fid, rule, opd, subject in conn.execute(
        select(f.id, f.rule, f.opd, f.subject).where(f.silence_id == silence_id, f.status == SILENCED)
    ).all():
        other = first_match(others, rule, opd, subject)
        if other is not None:
            conn.execute(FINDING.update().where(f.id == fid).values(silence_id=other.id, silenced_until=other.until))
            continue
        conn.execute(FINDING.update().where(f.id == fid).values(status=OPEN, silence_id=None, silenced_until=None))
        log.add(fid, SILENCED, OPEN, f"silence #{silence_id} dicabut")
    log.write(conn)
    return len(log.rows)


# --- reading --------------------------------------------------------------------------------------

_SEVERITY_ORDER = case({severity: rank for rank, severity in enumerate(reversed(SEVERITIES))}, value=FINDING.c.severity,
                       else_=len(SEVERITIES))


def none_stored(conn: Connection) -> bool:
    """No finding is stored yet: the next run is a first run, and every finding it makes is new."""
    return conn.execute(select(FINDING.c.id).limit(1)).first() is None


def latest_run_as_of() -> Any:
    """The as-of date of the latest successful check run, as a scalar subquery (NULL before any)."""
    r = CHECK_RUN.c
    return select(r.as_of).where(r.status == "ok").order_by(r.id.desc()).limit(1).scalar_subquery()


def last_seen_now() -> Any:
    """A finding's ``last_seen`` as it stands (see the module docstring): the column for a resolved
    finding, the latest successful run's as-of date for an active one (the column where no run is)."""
    f = FINDING.c
    return case((f.status == RESOLVED, f.last_seen),
                else_=func.coalesce(latest_run_as_of(), f.last_seen)).label("last_seen")


def _exported(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "rule": row.rule, "severity": row.severity, "status": row.status, "opd": row.opd,
        "subject": row.subject, "title": row.title, "amount_at_risk": int(row.amount_at_risk or 0),
        "first_seen": row.first_seen.isoformat(), "last_seen": row.last_seen.isoformat(),
        "details": row.details or {},
    }


def list_findings(
    conn: Connection, *, statuses: Iterable[str] = ACTIVE, rules: Iterable[str] = (), opds: Iterable[str] = (),
    severities: Iterable[str] = (),
) -> Iterator[dict[str, Any]]:
    """Findings as export rows ({"id", "rule", "severity", "status", "opd", "subject", "title",
    "amount_at_risk", "first_seen", "last_seen", "details"}), most severe first, then by rule, OPD and
    subject. ``rules`` may be globs (``jakon.*``); ``opds`` compare case-insensitively."""
    f = FINDING.c
    query = select(f.id, f.rule, f.severity, f.status, f.opd, f.subject, f.title, f.amount_at_risk, f.first_seen,
                   last_seen_now(), f.details)
    statuses, rules, opds, severities = list(statuses), list(rules), list(opds), list(severities)
    if statuses:
        query = query.where(f.status.in_(statuses))
    if severities:
        query = query.where(f.severity.in_(severities))
    if opds:
        query = query.where(func.upper(f.opd).in_([opd.upper() for opd in opds]))
    globs = [rule for rule in rules if any(ch in rule for ch in "*?[")]
    if rules and not globs:
        query = query.where(f.rule.in_(rules))
    query = query.order_by(_SEVERITY_ORDER, f.rule, f.opd, f.subject, f.id)
    for row in conn.execute(query.execution_options(yield_per=5_000)):
        if globs and not any(fnmatchcase(row.rule, rule) for rule in rules):
            continue
        yield _exported(row)


@dataclass(frozen=True, slots=True)
class History:
    finding: dict[str, Any]
    extra: dict[str, Any]  # opened_at, resolved_at, resolved_reason, ack_note, silenced_until
    events: list[dict[str, Any]]


def finding_history(conn: Connection, finding_id: int) -> History:
    f = FINDING.c
    columns = [last_seen_now() if column.key == "last_seen" else column for column in FINDING.c]
    row = conn.execute(select(*columns).where(f.id == finding_id)).first()
    if row is None:
        raise FindingsError(f"temuan #{finding_id} tidak ada")
    e = FINDING_EVENT.c
    events = [
        {"at": at, "from_status": from_status, "to_status": to_status, "actor": actor, "note": note,
         "check_run_id": run_id}
        for at, from_status, to_status, actor, note, run_id in conn.execute(
            select(e.at, e.from_status, e.to_status, e.actor, e.note, e.check_run_id)
            .where(e.finding_id == finding_id).order_by(e.at, e.id))
    ]
    extra = {"opened_at": row.opened_at, "resolved_at": row.resolved_at, "resolved_reason": row.resolved_reason,
             "ack_note": row.ack_note, "silenced_until": row.silenced_until}
    return History(finding=_exported(row), extra=extra, events=events)
