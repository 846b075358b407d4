"""The rules in two processes: a forked process runs the rules that do not read the payments, this one
those that do (on a first run, the forked process runs them all on the SP2Ds this one hands over);
the findings, their order and every failure are those of one process. Also the work the matcher
does aside (number hashes, the contracts' side)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import date
from types import MappingProxyType
from typing import Any, ClassVar

import pytest

from checks import REGISTRY, rule_config
from checks.base import CheckContext, Rule
from monitor.bootstrap import App
from monitor.check import run as engine
from monitor.check.context import load_records
from monitor.check.forked import ForkedSpool
from monitor.check.run import CheckFailed, build_context, run_check
from monitor.check.spool import CHUNK, Spool
from monitor.compute.processes import Aside, fork_is_safe
from monitor.db import transaction
from monitor.matching import features, match
from monitor.matching.features import Features
from monitor.models import Base, CheckRun
from monitor.records import Finding
from tests.check.helpers import (
    DeclaredRule,
    add_contract,
    add_payment,
    add_registration,
    all_findings,
    findings_by_subject,
    snapshot,
)
from tests.matching.builders import contract, registration

AS_OF = date(2026, 11, 2)


@pytest.fixture
def in_two_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork for the rules however small the data (a real run forks from 50,000 records)."""
    monkeypatch.setattr(engine, "PARALLEL_RULES_MIN_RECORDS", 0)


@pytest.fixture
def records(app: App) -> None:
    """Contracts the contract rules and the payment rule all report: unregistered, registered late,
    under-declared, paid before registering."""
    with transaction(app.sessions) as session:
        conn = session.connection()
        for n in range(1, 7):
            nomor = f"0{n}/SPK-PUPR/III/2026"
            add_contract(conn, nomor, tanggal_kontrak=date(2026, 3, 2), nilai=1_000_000_000 + n * 50_000_000,
                         npwp=f"01234567890{n}000", penyedia=f"CV Karya {n}", nama_paket=f"Jalan {n}")
            add_payment(conn, f"SP2D/{n}/LS/2026", nomor_kontrak=nomor, tanggal_sp2d=date(2026, 4, 15))
            if n % 2:  # the others stay unregistered
                add_registration(conn, f"JK-{n}", nomor_kontrak=nomor, npwp=f"01234567890{n}000",
                                 penyedia=f"KARYA {n}, CV", nilai=(1_000_000_000 + n * 50_000_000) // (n % 3 + 1),
                                 tanggal_daftar=date(2026, 6, 1), iuran=1_000)


def _context(app: App, conn: Any) -> CheckContext:
    records = load_records(conn)
    return build_context(app.settings, records, match(records.contracts, records.registrations), AS_OF,
                         rule_config(app.settings))


def _in_one_process(ctx: CheckContext) -> Spool:
    """Every rule's findings as a small run spools them: the rules reading the payments first."""
    not_reading, reading = engine._by_payments(REGISTRY, list(REGISTRY))
    return engine._spooled(ctx, reading, not_reading)


def test_the_spool_holds_the_same_findings_in_the_same_order(app: App, records: None) -> None:
    with app.engine.connect() as conn:
        ctx = _context(app, conn)
        with (_in_one_process(ctx) as alone,
              engine._spool_findings(ctx, REGISTRY, list(REGISTRY), 10**9) as forked):
            one = [row for chunk in alone.chunks() for row in chunk]
            two = [row for chunk in forked.chunks() for row in chunk]
            assert (forked.count, forked.duplicates) == (alone.count, alone.duplicates) == (len(one), 0)
            assert all(row.fingerprint in forked for row in one)
    assert two == one
    rules = {row.rule for row in one}
    assert {"jakon.unregistered", "jakon.late_registration", "jakon.payment_unregistered"} <= rules


def _stored(app: App) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {(row.rule, row.subject): (row.severity, row.title, row.amount_at_risk, row.details, row.content_hash)
            for row in all_findings(app)}


def test_a_run_in_two_processes_stores_what_a_run_in_one_does(
    app: App, records: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_check(app, AS_OF)
    alone = _stored(app)
    with transaction(app.sessions) as session:  # forget them: the next run must open them again
        for table in ("finding_event", "finding", "match_link"):
            session.execute(Base.metadata.tables[table].delete())
    monkeypatch.setattr(engine, "PARALLEL_RULES_MIN_RECORDS", 0)

    result = run_check(app, AS_OF)

    forked = _stored(app)
    assert forked == alone and result.counts["new"] == len(alone) > 0


def _pid_rules(reads_payments: bool = True) -> dict[str, type[Rule]]:
    """Two rules naming the process that ran them; the second reads the payments."""

    class First(DeclaredRule):
        id: ClassVar[str] = "test.first"
        severity: ClassVar[str] = "low"

        def run(self, ctx: CheckContext) -> Iterator[Finding]:
            yield Finding(self.id, "first", "low", "Pertama", details=MappingProxyType({"pid": os.getpid()}))

    class Payments(DeclaredRule):
        id: ClassVar[str] = "test.payments"
        severity: ClassVar[str] = "low"

        def run(self, ctx: CheckContext) -> Iterator[Finding]:
            yield Finding(self.id, "payments", "low", f"{len(list(ctx.payments))} SP2D",
                          details=MappingProxyType({"pid": os.getpid()}))

    Payments.reads = frozenset({"contracts", "payments"} if reads_payments else {"contracts"})
    return {"test.first": First, "test.payments": Payments}


def test_the_rules_not_reading_payments_run_in_another_process(
    app: App, records: None, in_two_processes: None
) -> None:
    run_check(app, AS_OF, registry=_pid_rules())

    found = findings_by_subject(app)
    assert found["first"].details["pid"] != os.getpid()
    assert found["payments"].details["pid"] == os.getpid() and found["payments"].title == "6 SP2D"


def test_a_process_running_other_threads_does_not_fork(app: App, records: None, in_two_processes: None) -> None:
    """The daemon serves HTTP from other threads: a lock one of them holds at the fork would stay held in the
    child forever, so there the rules run in this process."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="busy-elsewhere")
    other.start()
    try:
        run_check(app, AS_OF, registry=_pid_rules())
    finally:
        stop.set()
        other.join()

    found = findings_by_subject(app)
    assert found["first"].details["pid"] == found["payments"].details["pid"] == os.getpid()


def test_a_rule_failing_in_the_forked_process_changes_nothing(app: App, records: None, in_two_processes: None) -> None:
    run_check(app, AS_OF, registry=_pid_rules())
    before = snapshot(app)
    rules = _pid_rules()

    def fail(self: Any, ctx: CheckContext) -> Iterator[Finding]:
        yield Finding("test.first", "other", "low", "Lain")
        raise ValueError("aturan gagal di proses lain")

    rules["test.first"].run = fail  # type: ignore[method-assign]

    with pytest.raises(CheckFailed, match="aturan gagal di proses lain"):
        run_check(app, AS_OF, registry=rules)

    assert snapshot(app) == before
    with app.sessions() as session:
        runs = [(run.status, run.error) for run in session.query(CheckRun).order_by(CheckRun.id)]
    assert [status for status, _ in runs] == ["ok", "failed"]
    assert runs[-1][1] is not None and runs[-1][1].startswith("ValueError: aturan gagal di proses lain")
    with pytest.raises(ChildProcessError):  # the forked process was waited for
        os.waitpid(-1, os.WNOHANG)


def test_a_rule_reading_payments_must_say_so(app: App, records: None, in_two_processes: None) -> None:
    undeclared = _pid_rules(reads_payments=False)["test.payments"]
    declared = _pid_rules()["test.payments"]
    declared.id = "test.declared"  # type: ignore[misc]
    # The undeclared one comes first, so it is the forked process's.
    rules = {"test.payments": undeclared, "test.declared": declared}

    with pytest.raises(CheckFailed, match="must say so: reads payments"):
        run_check(app, AS_OF, registry=rules)


def test_on_a_first_run_the_payment_rule_runs_in_the_forked_process_on_the_sp2ds_handed_over(
    app: App, records: None
) -> None:
    with app.engine.connect() as conn:
        ctx = _context(app, conn)
        with (_in_one_process(ctx) as alone,
              engine._spool_findings(ctx, REGISTRY, list(REGISTRY), 10**9, hand_over_payments=True) as forked):
            one = [row for chunk in alone.chunks() for row in chunk]
            assert not list(forked.own.chunks())  # nothing ran here
            two = [row for chunk in forked.chunks() for row in chunk]
    payments = [row for row in one if row.rule == "jakon.payment_unregistered"]
    assert payments and two == [row for row in one if row not in payments] + payments  # theirs come last


def _wanting(reads_whole: bool = False) -> type[Rule]:
    """A rule reading only the unprotected payments (as the payment rule does), or all of them while
    saying it reads only those."""

    class Wanting(DeclaredRule):
        id: ClassVar[str] = "test.wanting"
        severity: ClassVar[str] = "low"
        reads: ClassVar[frozenset[str]] = frozenset({"contracts", "links", "unprotected_payments"})

        def run(self, ctx: CheckContext) -> Iterator[Finding]:
            payments = list(ctx.payments) if reads_whole else list(ctx.unprotected_payments())
            contracts = [payment.contract_id for payment in payments]
            yield Finding(self.id, "wanting", "low", f"{len(payments)} SP2D",
                          details=MappingProxyType({"pid": os.getpid(), "contracts": contracts}))

    return Wanting


def test_only_a_first_run_hands_the_payments_over(
    app: App, records: None, in_two_processes: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first run inserts every finding: this process writes while the other runs every rule. Later
    runs write little: the payment rule runs here, beside the forked process."""
    monkeypatch.setattr(engine, "HANDED_OVER_PART", 2)  # handed over, and read, two at a time
    with transaction(app.sessions) as session:  # paid after JK-3 registered it (1 June): protected
        add_payment(session.connection(), "SP2D/7/LS/2026", nomor_kontrak="03/SPK-PUPR/III/2026",
                    tanggal_sp2d=date(2026, 7, 1))
    with app.engine.connect() as conn:
        unprotected = [p.contract_id for p in _context(app, conn).unprotected_payments()]
    assert len(unprotected) == 6  # the seventh SP2D was paid while its contract was protected
    rules = {"test.first": _pid_rules()["test.first"], "test.wanting": _wanting()}
    run_check(app, AS_OF, registry=rules)
    found = findings_by_subject(app)
    assert found["first"].details["pid"] == found["wanting"].details["pid"] != os.getpid()
    assert found["wanting"].details["contracts"] == unprotected

    run_check(app, AS_OF, registry=rules)
    found = findings_by_subject(app)
    assert found["wanting"].details["pid"] == os.getpid() != found["first"].details["pid"]
    assert found["wanting"].details["contracts"] == unprotected


def test_a_rule_reading_only_the_unprotected_payments_may_not_read_them_all(
    app: App, records: None, in_two_processes: None
) -> None:
    with pytest.raises(CheckFailed, match="unprotected_payments only"):
        run_check(app, AS_OF, registry={"test.first": _pid_rules()["test.first"], "test.wanting": _wanting(True)})


def test_failing_to_read_the_payments_to_hand_over_stops_the_forked_process(
    app: App, records: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.engine.connect() as conn:
        ctx = _context(app, conn)

        def broken(keep: Any) -> Any:
            raise OSError("disk hilang")

        monkeypatch.setattr(ctx, "payments_where", broken)
        with pytest.raises(OSError, match="disk hilang"):
            engine._spool_findings(ctx, REGISTRY, list(REGISTRY), 10**9, hand_over_payments=True)
    with pytest.raises(ChildProcessError):  # the forked process was stopped and waited for
        os.waitpid(-1, os.WNOHANG)


def test_the_findings_of_the_forked_process_are_read_while_it_is_still_running(tmp_path: Any) -> None:
    """The write starts on the forked process's first chunks: here that process waits, after its first
    chunk, until this one has read it; were the chunks only read at the end, it would wait in vain."""
    read_first = tmp_path / "read-first-chunk"

    def work(spool: Spool) -> None:
        spool.extend(Finding("test.first", f"s{n}", "low", "Pertama") for n in range(CHUNK))
        deadline = time.monotonic() + 20
        while not read_first.exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the first chunk was not read while the rules process ran")
            time.sleep(0.01)
        spool.extend([Finding("test.first", "last", "low", "Terakhir")])

    with ForkedSpool() as spool:
        spool.start(work)
        spool.own.extend([Finding("test.payments", "here", "low", "Di sini")])
        subjects: list[str] = []
        for chunk in spool.chunks():
            if chunk[0].rule == "test.first":
                read_first.touch()
            subjects += [row.subject for row in chunk]

    # This process's own findings first (ready before the forked process's), then the forked process's.
    assert subjects == ["here", *(f"s{n}" for n in range(CHUNK)), "last"]
    assert (spool.count, spool.duplicates) == (CHUNK + 2, 0) and spool.worker_seconds is not None


def test_a_forked_process_that_dies_without_a_word_fails_the_run() -> None:
    def work(spool: Spool) -> None:
        spool.extend([Finding("test.first", "one", "low", "Satu")])
        os._exit(3)

    with ForkedSpool() as spool:
        spool.start(work)
        with pytest.raises(RuntimeError, match="status 3"):
            list(spool.chunks())
    with pytest.raises(ChildProcessError):  # reaped
        os.waitpid(-1, os.WNOHANG)


def test_a_result_computed_aside_comes_from_another_process() -> None:
    with Aside(lambda: str(os.getpid()).encode()) as aside:
        assert int(aside.result()) != os.getpid()
    with Aside(lambda: str(os.getpid()).encode(), wanted=False) as here:
        assert int(here.result()) == os.getpid()


def test_an_error_computing_aside_is_raised_here() -> None:
    def fail() -> bytes:
        raise ValueError("nomor kontrak tidak terbaca")

    with Aside(fail) as aside, pytest.raises(ValueError, match="tidak terbaca"):
        aside.result()


def test_a_result_computed_aside_and_never_asked_for_stops_with_the_block() -> None:
    started = time.perf_counter()
    with Aside(lambda: time.sleep(60) or b""):
        pass
    assert time.perf_counter() - started < 10


def test_nothing_is_computed_aside_while_other_threads_run() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="busy-elsewhere")
    other.start()
    try:
        with Aside(lambda: str(os.getpid()).encode()) as aside:
            assert int(aside.result()) == os.getpid()
    finally:
        stop.set()
        other.join()


def test_the_matchers_number_hashes_are_the_same_computed_aside(monkeypatch: pytest.MonkeyPatch) -> None:
    contracts = [contract(f"{n:03d}/SPK-PUPR/III/2026") for n in range(1, 30)]
    registrations = [registration(f"No. {n:03d}-spk-pupr-3-2026") for n in range(1, 30)]
    registrations.append(registration(None))
    here = Features(contracts, registrations)
    monkeypatch.setattr(features, "HASH_ASIDE_MIN_RECORDS", 0)
    aside = Features(contracts, registrations)

    assert aside.r_hash == here.r_hash and aside.c_hash == here.c_hash
    assert list(aside.r_hash[:-1]) == list(aside.c_hash) and aside.r_hash[-1] == features.NO_KEY


def test_the_contract_side_computed_aside_while_loading_is_the_one_made_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    contracts = [contract(f"{n:03d}/SPK-PUPR/III/2026", npwp=f"01.234.567.8-9{n:02d}.000",
                          tanggal_mulai=None if n % 3 == 0 else date(2026, 3, n % 28 + 1),
                          tanggal_selesai=date(2026, 9, n % 28 + 1)) for n in range(1, 30)]
    if not fork_is_safe():
        pytest.skip("another thread runs in this process: nothing is computed aside")
    here = features.ContractSide.of(contracts)
    monkeypatch.setattr(features, "HASH_ASIDE_MIN_RECORDS", 0)
    with features.ContractSide.aside(contracts) as computing:
        assert computing._pid is not None  # it did fork
        side = features.ContractSide.from_bytes(computing.result())

    assert side == here and len(set(here.npwp)) == 29 and here.start[2] == here.signed[2]
    given = Features(contracts, [registration()], side)
    assert (given.c_hash, given.c_npwp, given.c_start, given.c_end) == (here.hash, here.npwp, here.start, here.end)


def test_a_run_computing_the_contract_side_aside_stores_what_a_run_computing_it_here_does(
    app: App, records: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_check(app, AS_OF)
    here = _stored(app)
    with transaction(app.sessions) as session:
        for table in ("finding_event", "finding", "match_link"):
            session.execute(Base.metadata.tables[table].delete())
    monkeypatch.setattr(features, "HASH_ASIDE_MIN_RECORDS", 0)

    run_check(app, AS_OF)

    assert _stored(app) == here and here
