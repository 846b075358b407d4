"""The check run: read everything imported, link contracts to registrations, run every enabled rule,
and reconcile the findings — as one atomic write.

Phases:

1. **read** — one consistent snapshot (SQLite: a read transaction; PostgreSQL: REPEATABLE READ) of
   the records (:mod:`monitor.check.context`) and the humans' match decisions. No lock is held: imports,
   the metrics endpoint and a concurrent run keep working. The reader stays open until the end
   (payments stream from it).
2. **compute** — matching and the rules, in memory; each finding is deduplicated, hashed and parked
   in a spool file (:class:`monitor.check.spool.Spool`) as it is yielded, so a million findings never
   sit in memory at once. On a big run the rules use two cores: a forked process runs every rule but
   the payment rule into a spool of its own while this one streams the payments; on a first run,
   whose write is the long pole, the forked process runs them all (:func:`_spool_findings`).
3. **write** — one transaction under the findings writers' lock
   (:func:`monitor.check.findings.lock_for_writing`): the ``check_run`` row, the links (only those that
   changed), then the reconciliation, chunk by chunk (on a big run, starting while the forked
   process is still producing its findings: :mod:`monitor.check.forked`). A crash anywhere rolls all of it back and
   leaves the previous state intact; the failed run is then recorded on its own, with its error.

Two concurrent runs: phases 1 and 2 overlap freely; their writes are serialized (a PostgreSQL
advisory transaction lock; SQLite's single write lock, taken with ``BEGIN IMMEDIATE``), and the
second reconciles against what the first committed, so the store is never half of one and half of
the other.
"""

from __future__ import annotations

import logging
import marshal
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Any, cast, overload

from sqlalchemy import Table, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from checks import REGISTRY, all_findings, rule_config, validate_registry
from checks.base import CheckContext, Rule
from monitor.bootstrap import App
from monitor.check.context import Records, load_records
from monitor.check.findings import lock_for_writing, none_stored
from monitor.check.forked import ForkedSpool
from monitor.check.reconcile import ReconcileReport, ResolutionReasons, reconcile
from monitor.check.resolution import resolution_reasons
from monitor.check.spool import Spool, SpooledFindings
from monitor.compute.columns import ByKey
from monitor.compute.memory import gc_paused
from monitor.compute.processes import FORK_MIN_RECORDS, Aside, fork_is_safe
from monitor.db import read_snapshot
from monitor.matching import MatchResult, link_kampung, load_decisions, match, save_links
from monitor.matching.features import ContractSide
from monitor.models import CheckRun, utcnow
from monitor.records import PaymentState
from monitor.regulation.premium import required_premium
from monitor.regulation.workdays import WorkingCalendar, deadline_function
from monitor.settings import Settings

log = logging.getLogger(__name__)

CHECK_RUN = cast(Table, CheckRun.__table__)

SQLITE_WRITE_CACHE_KIB = 64 * 1024

# From this many contracts and registrations, the rules run in two processes (see _spool_findings).
PARALLEL_RULES_MIN_RECORDS = FORK_MIN_RECORDS

# A second run waits this long for the first to finish writing before giving up.
WRITE_LOCK_WAIT_SECONDS = 600.0


@dataclass(frozen=True)
class CheckRunResult:
    """What a successful run did. ``counts`` is what the ``check_run`` row stores."""

    run_id: int
    as_of: date
    started_at: datetime
    finished_at: datetime
    counts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def duration_seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "as_of": self.as_of.isoformat(), "status": "ok",
                "duration_seconds": round(self.duration_seconds, 3), **self.counts}


class CheckFailed(RuntimeError):
    """The run failed and changed nothing; it is recorded as ``failed`` with ``error``."""

    def __init__(self, run_id: int | None, as_of: date, error: str) -> None:
        super().__init__(f"pemeriksaan per {as_of.isoformat()} gagal: {error}")
        self.run_id = run_id
        self.as_of = as_of
        self.error = error

    def __reduce__(self) -> tuple[type[CheckFailed], tuple[int | None, date, str]]:
        # Pickled whole (the daemon runs the check in a process of its own: monitor.check.process).
        return CheckFailed, (self.run_id, self.as_of, self.error)


def peak_rss_mb() -> int | None:
    """This process's peak resident memory so far, in MiB (``None`` where the OS does not say)."""
    try:
        import resource
    except ImportError:  # not on Unix
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak // (1024 * 1024 if sys.platform == "darwin" else 1024))  # bytes on macOS, KiB elsewhere


def default_as_of(settings: Settings, now: datetime | None = None) -> date:
    """Today in the configured time zone (Asia/Jakarta by default), not in UTC."""
    return (utcnow() if now is None else now).astimezone(settings.tz).date()


def build_context(
    settings: Settings, records: Records, links: MatchResult, as_of: date,
    config: Mapping[str, Mapping[str, Any]], calendar: WorkingCalendar | None = None,
) -> CheckContext:
    """The :class:`CheckContext` the rules read, from the records and the matcher's links."""
    calendar = WorkingCalendar.from_settings(settings.calendar) if calendar is None else calendar
    registrations = records.registrations.by_id()
    by_number = ByKey(records.registrations, "nomor_registrasi")
    return CheckContext(
        as_of=as_of,
        rule_config=config,
        deadline=deadline_function(calendar, settings.deadline),
        working_days_between=calendar.working_days_between,
        required_premium=required_premium,
        contracts=records.contracts,
        registrations=registrations,
        link_by_contract=links.by_contract(),
        lookups=links.lookups(records.contracts, records.registrations),
        link_by_registration=links.by_registration(),
        ambiguous=links.ambiguous,
        superseded_registration_ids=frozenset(links.superseded),
        payments=records.payments,
        agreements=records.agreements,
        kampung=records.kampung,
        kampung_registration_ids=frozenset(link_kampung(records.kampung, records.registrations).values()),
        contracts_by_id=records.contracts.by_id(),
        registrations_by_number=by_number,
    )


@contextmanager
def _larger_page_cache(conn: Connection) -> Iterator[None]:
    """On SQLite, a page cache big enough for the findings' fingerprint index while reconciling:
    each chunk looks up thousands of random fingerprints (SQLite's default cache is 2 MB). Not a
    memory map (``mmap_size``): it reads a little faster, but every page it touches counts in the
    process's resident memory, a gigabyte at a million findings."""
    if conn.dialect.name != "sqlite":
        yield
        return
    previous = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_WRITE_CACHE_KIB}")
    try:
        yield
    finally:
        # The pooled connection lives on; a broken one is discarded anyway, so never mask the run's error.
        with suppress(Exception):
            conn.exec_driver_sql(f"PRAGMA cache_size = {int(previous)}")


# The phases a run goes through, as :func:`run_check` tells ``phases``: each named when it begins.
PHASES = ("load", "match", "rules", "write")
_NEXT_PHASE = {"load": "match", "match": "rules", "rules": "write"}  # "wait" (for the write lock) is writing


def run_check(
    app: App, as_of: date | None = None, *, actor: str = "pantau",
    registry: Mapping[str, type[Rule]] | None = None, phases: Callable[[str], None] | None = None,
) -> CheckRunResult:
    """Run every enabled rule as of ``as_of`` (default: today in ``settings.timezone``) and reconcile the
    findings. Raises :class:`CheckFailed` (after recording the failed run) if anything goes wrong.
    ``phases`` is called with each of :data:`PHASES` as it begins (a progress display)."""
    settings = app.settings
    as_of = default_as_of(settings) if as_of is None else as_of
    registry = REGISTRY if registry is None else registry
    started_at = utcnow()
    # Wall seconds per phase, and this process's CPU seconds for it (they differ when the machine is busy).
    timings: dict[str, float] = {}
    clock, cpu = time.perf_counter(), time.process_time()

    def lap(name: str) -> None:
        nonlocal clock, cpu
        now, now_cpu = time.perf_counter(), time.process_time()
        timings[name] = round(now - clock, 3)
        timings[f"{name}_cpu"] = round(now_cpu - cpu, 3)
        if (peak := peak_rss_mb()) is not None:
            timings[f"{name}_peak_mb"] = peak  # the process's peak so far: the phase that raised it shows
        clock, cpu = now, now_cpu
        if phases is not None and name in _NEXT_PHASE:
            phases(_NEXT_PHASE[name])

    if phases is not None:
        phases(PHASES[0])
    try:
        validate_registry(registry)
        config = rule_config(settings, registry)
        enabled = [rule_id for rule_id in registry if config[rule_id].get("enabled", True)]
        with gc_paused():
            # The run's millions of objects are freed when _run returns, before the collector resumes:
            # resumed with them alive, its first pass would scan them all (seconds at a million contracts).
            run_id, report, counts, finished_at = _run(app, as_of, registry, config, enabled, actor, started_at,
                                                       lap, timings)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.error("check run as of %s failed: %s", as_of, error, exc_info=True)
        failed_id = _record_failure(app, as_of, started_at, error, timings)
        raise CheckFailed(failed_id, as_of, error) from exc
    log.info("check run %s as of %s: %d findings, %d new, %d resolved", run_id, as_of, report.detected,
             report.new, report.resolved)
    return CheckRunResult(run_id=run_id, as_of=as_of, started_at=started_at, finished_at=finished_at, counts=counts)


def _run(
    app: App, as_of: date, registry: Mapping[str, type[Rule]], config: Mapping[str, Mapping[str, Any]],
    enabled: list[str], actor: str, started_at: datetime, lap: Callable[[str], None], timings: dict[str, float],
) -> tuple[int, ReconcileReport, dict[str, Any], datetime]:
    """Read, compute and write (see the module docstring); returns the run id, its report, its counts and
    when it finished."""
    settings = app.settings
    # The reader stays open to the end: payments stream from it, and resolutions look facts up in it.
    with app.engine.connect() as reader:
        read_snapshot(reader)
        with ExitStack() as stack:
            # The contracts' side of matching is computed aside while the registrations load.
            contract_side: list[Aside] = []
            records = load_records(reader, lambda contracts: contract_side.append(
                stack.enter_context(ContractSide.aside(contracts))),
                include_out_of_scope=settings.scope.include_out_of_scope)
            with Session(bind=reader) as session:
                decisions = load_decisions(session)
            lap("load")
            links = match(records.contracts, records.registrations, decisions,
                          ContractSide.from_bytes(contract_side[0].result()))
        lap("match")
        ctx = build_context(settings, records, links, as_of, config)
        # A first run inserts every finding: its write is the long pole (see _spool_findings).
        first = none_stored(reader)
        with _spool_findings(ctx, registry, enabled, len(records.contracts) + len(records.registrations),
                             hand_over_payments=first) as spool:
            lap("rules")
            reasons = resolution_reasons(ctx, known_rules=set(registry), enabled_rules=set(enabled),
                                         registry=registry)
            with app.sessions() as session, session.begin():
                lock_for_writing(session, wait_seconds=WRITE_LOCK_WAIT_SECONDS)
                lap("wait")
                with _larger_page_cache(session.connection()):
                    run_id, report = _write(session, spool, links, as_of, started_at, actor, reasons)
                lap("write")
                if isinstance(spool, ForkedSpool) and spool.worker_seconds is not None:
                    timings["rules_forked"] = spool.worker_seconds  # overlapping "rules" and "write"
                counts = _counts(report, records, links, enabled, timings)
                finished_at = utcnow()
                _finish(session, run_id, finished_at, counts)
    return run_id, report, counts, finished_at


def _spool_findings(
    ctx: CheckContext, registry: Mapping[str, type[Rule]], enabled: Sequence[str], size: int,
    *, hand_over_payments: bool = False,
) -> Spool | ForkedSpool:
    """Every enabled rule's findings, spooled (see :class:`Spool`).

    The machine's second core takes every rule but those reading the payments (the contract rules,
    most of the work): a forked process runs them (:class:`monitor.check.forked.ForkedSpool`) while this
    one streams the payments from the read snapshot for the rest, then writes its own findings and
    the forked process's while that one is still producing them: this process has the write to do,
    so the other one takes all it can. The forked process never touches the database: its context has no
    payments. Small runs, systems without ``fork``, and processes running other threads (forking
    there could leave a lock another thread holds forever held in the child; the daemon runs its
    checks in a process of its own for this: :mod:`monitor.check.process`) run the rules here, one
    after the other. Either way the findings come in the same order: the rules reading the
    payments first (this process writes its own findings while the other still works), then the
    rest, each group in registry order.

    ``hand_over_payments`` (a first run: every finding is inserted, and the write, not the rules, is
    the long pole): where every rule reading the payments reads only the unprotected ones
    (``reads`` has ``unprotected_payments``, not ``payments``), this process reads only those, while
    the forked process runs the other
    rules, and hands them over; the forked process then runs the payment rules too, and this
    process only writes. Their findings then come last."""
    others, payment_rules = _by_payments(registry, enabled)
    if not fork_is_safe() or size < PARALLEL_RULES_MIN_RECORDS or not others:
        return _spooled(ctx, payment_rules, others)
    if hand_over_payments and payment_rules and all(
            "payments" not in rule.reads for rule in payment_rules.values()):
        return _payments_handed_over(ctx, others, payment_rules)

    def forked(spool: Spool) -> None:
        ctx.payments = _NoPayments()
        spool.extend(all_findings(ctx, others))

    spool = ForkedSpool()
    try:
        spool.start(forked)
        spool.own.extend(all_findings(ctx, payment_rules))
    except BaseException:
        spool.close()
        raise
    return spool


def _payments_handed_over(
    ctx: CheckContext, others: Mapping[str, type[Rule]], payment_rules: Mapping[str, type[Rule]],
) -> ForkedSpool:
    """Every rule in the forked process: first those not reading the payments, then (the unprotected
    SP2Ds they read, fetched here meanwhile and handed over) those reading them."""
    spool = ForkedSpool()

    def forked(own: Spool) -> None:
        ctx.payments = _NoPayments()
        own.extend(all_findings(ctx, others))
        ctx.payments = _HandedOver(spool.received)
        own.extend(all_findings(ctx, payment_rules))

    try:
        spool.start(forked, hand_over=True)
        spool.hand_over(_payments_as_parts(ctx.unprotected_payments()))
    except BaseException:
        spool.close()
        raise
    return spool


_PAYMENTS = frozenset({"payments", "unprotected_payments"})
HANDED_OVER_PART = 5_000  # payments per part handed over: the forked process holds one part at a time


def _payments_as_parts(payments: Iterable[PaymentState]) -> Iterator[bytes]:
    rows = ((p.id, p.nomor_sp2d, p.tanggal_sp2d.toordinal(), p.nomor_kontrak, p.opd, p.nilai, p.uraian, p.contract_id)
            for p in payments)
    while part := list(islice(rows, HANDED_OVER_PART)):
        yield marshal.dumps(part)


def _payments_from(part: bytes, days: dict[int, date]) -> Iterator[PaymentState]:
    for pid, sp2d, day, kontrak, opd, nilai, uraian, contract_id in marshal.loads(part):
        tanggal = days.get(day) or days.setdefault(day, date.fromordinal(day))
        yield PaymentState(pid, sp2d, tanggal, kontrak, opd, nilai, uraian, contract_id)


def _by_payments(
    registry: Mapping[str, type[Rule]], enabled: Sequence[str]
) -> tuple[dict[str, type[Rule]], dict[str, type[Rule]]]:
    """The enabled rules that do not read the payments, and those that do (each in registry order)."""
    reading = {rule_id for rule_id in enabled if registry[rule_id].reads & _PAYMENTS}
    return ({rule_id: registry[rule_id] for rule_id in enabled if rule_id not in reading},
            {rule_id: registry[rule_id] for rule_id in enabled if rule_id in reading})


def _spooled(ctx: CheckContext, *groups: Mapping[str, type[Rule]]) -> Spool:
    """The findings of each group of rules in turn, here (in one process)."""
    spool = Spool()
    try:
        for rules in groups:
            spool.extend(all_findings(ctx, rules))
    except BaseException:
        spool.close()
        raise
    return spool


class _NoPayments(Sequence[PaymentState]):
    """The forked rules process's payments: they stream from the parent's connection, which it must not use."""

    refusal = "a rule reading ctx.payments must say so: reads payments or unprotected_payments"

    def _refuse(self) -> Any:
        raise RuntimeError(self.refusal)

    def __len__(self) -> int:
        return cast(int, self._refuse())

    def __iter__(self) -> Iterator[PaymentState]:
        return cast(Iterator[PaymentState], self._refuse())

    @overload
    def __getitem__(self, index: int) -> PaymentState: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[PaymentState]: ...
    def __getitem__(self, index: int | slice) -> PaymentState | Sequence[PaymentState]:
        return cast(PaymentState, self._refuse())


class _HandedOver(_NoPayments):
    """The forked rules process's payments on a first run: the unprotected ones (the payment rules read
    ``unprotected_payments``), read by the run's process and handed over in parts. The rules read them
    the same way (``ctx.unprotected_payments``); reading them whole is refused: it would see only these."""

    refusal = "a rule reading unprotected_payments reads them with ctx.unprotected_payments only"

    def __init__(self, parts: Callable[[], Iterator[bytes]]) -> None:
        self._parts = parts

    def where(self, keep: Callable[[int | None, date], bool]) -> Iterator[PaymentState]:
        days: dict[int, date] = {}
        for part in self._parts():  # one part in memory at a time
            yield from (payment for payment in _payments_from(part, days)
                        if keep(payment.contract_id, payment.tanggal_sp2d))


def _write(
    session: Session, spool: SpooledFindings, links: MatchResult, as_of: date, started_at: datetime, actor: str,
    reasons: ResolutionReasons,
) -> tuple[int, ReconcileReport]:
    conn = session.connection()
    run_id = conn.execute(
        CHECK_RUN.insert().returning(CHECK_RUN.c.id),
        {"as_of": as_of, "started_at": started_at, "status": "running", "counts": {}},
    ).scalar_one()
    save_links(session, links)
    report = reconcile(conn, spool, as_of=as_of, check_run_id=run_id, now=utcnow(), actor=actor,
                       resolution_reasons=reasons)
    return run_id, report


def _finish(session: Session, run_id: int, finished_at: datetime, counts: dict[str, Any]) -> None:
    session.execute(update(CHECK_RUN).where(CHECK_RUN.c.id == run_id).values(
        status="ok", finished_at=finished_at, counts=counts))


def _counts(
    report: ReconcileReport, records: Records, links: MatchResult, enabled: list[str], timings: dict[str, float]
) -> dict[str, Any]:
    return {
        "timings": dict(timings),
        **report.as_dict(),
        "rules": enabled,
        "records": {"contracts": len(records.contracts), "registrations": len(records.registrations),
                    "payments": len(records.payments), "agreements": len(records.agreements),
                    "kampung": len(records.kampung)},
        "contracts_left_out": dict(records.left_out),
        "links": len(links.links),
        "ambiguous": len(links.ambiguous),
    }


def _record_failure(app: App, as_of: date, started_at: datetime, error: str, timings: dict[str, float]) -> int | None:
    """Record the failed run in its own small transaction; the run's own writes were rolled back."""
    detail = "".join(traceback.format_exc(limit=-8))
    try:
        with app.sessions() as session, session.begin():
            return int(session.execute(
                CHECK_RUN.insert().returning(CHECK_RUN.c.id),
                {"as_of": as_of, "started_at": started_at, "finished_at": utcnow(), "status": "failed",
                 "counts": {"timings": dict(timings)}, "error": f"{error}\n\n{detail}"[:20_000]},
            ).scalar_one())
    except Exception:  # the database itself may be what failed; the caller still gets the first error
        log.exception("could not record the failed check run")
        return None
