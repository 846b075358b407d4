"""Helpers for the check engine tests: records written straight into the tables, a scripted rule whose
findings each test sets (so the lifecycle is tested apart from any real rule), and a statement log."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, ClassVar

from sqlalchemy import Engine, event, insert, select
from sqlalchemy.engine import Connection

from checks.base import CheckContext, Rule, Words
from monitor.bootstrap import App
from monitor.check.findings import last_seen_now
from monitor.models import Addendum, Contract, FindingEvent, Payment, Registration
from monitor.models import Finding as FindingRow
from monitor.records import Finding

_HASH = "0" * 40


def add_contract(conn: Connection, nomor: str = "027/14/SPK-PUPR/III/2026", *, opd: str = "PUPR",
                 tanggal_kontrak: date = date(2026, 3, 2), nilai: int = 1_500_000_000,
                 tanggal_selesai: date = date(2026, 9, 30), penyedia: str = "CV Karya Abadi",
                 npwp: str | None = "012345678901000", nama_paket: str = "Rehabilitasi Jalan Kenali Asam",
                 tanggal_mulai: date | None = None, **extra: Any) -> int:
    return int(conn.execute(insert(Contract).returning(Contract.id), {
        "opd": opd, "nomor_kontrak": nomor, "tanggal_kontrak": tanggal_kontrak, "nilai_kontrak": nilai,
        "tanggal_selesai": tanggal_selesai, "penyedia": penyedia, "npwp_penyedia": npwp, "nama_paket": nama_paket,
        "tanggal_mulai": tanggal_mulai, "row_hash": _HASH, **extra,
    }).scalar_one())


def add_addendum(conn: Connection, nomor_adendum: str, tanggal_adendum: date, *,
                 nomor: str = "027/14/SPK-PUPR/III/2026", opd: str = "PUPR", nilai: int | None = None,
                 tanggal_selesai: date | None = None) -> None:
    conn.execute(insert(Addendum), {
        "opd": opd, "nomor_kontrak": nomor, "nomor_adendum": nomor_adendum, "tanggal_adendum": tanggal_adendum,
        "nilai_kontrak_baru": nilai, "tanggal_selesai_baru": tanggal_selesai, "row_hash": _HASH,
    })


def add_registration(conn: Connection, nomor_registrasi: str = "JK-2026-0001", *,
                     nomor_kontrak: str | None = "027/14/SPK-PUPR/III/2026", penyedia: str = "KARYA ABADI, CV",
                     npwp: str | None = "012345678901000", nilai: int = 1_500_000_000, iuran: int = 2_350_000,
                     tanggal_daftar: date = date(2026, 3, 10), masa_awal: date = date(2026, 3, 2),
                     masa_akhir: date = date(2026, 9, 30), status: str = "aktif",
                     nama_proyek: str = "REHABILITASI JALAN KENALI ASAM") -> int:
    return int(conn.execute(insert(Registration).returning(Registration.id), {
        "nomor_registrasi": nomor_registrasi, "nomor_kontrak": nomor_kontrak, "penyedia": penyedia,
        "npwp_penyedia": npwp, "nilai_kontrak_terdaftar": nilai, "iuran_dibayar": iuran,
        "tanggal_daftar": tanggal_daftar, "masa_awal": masa_awal, "masa_akhir": masa_akhir, "status": status,
        "nama_proyek": nama_proyek, "row_hash": _HASH,
    }).scalar_one())


def add_payment(conn: Connection, nomor_sp2d: str, *, nomor_kontrak: str = "027/14/SPK-PUPR/III/2026",
                opd: str = "PUPR", tanggal_sp2d: date = date(2026, 4, 15), nilai: int = 300_000_000) -> None:
    conn.execute(insert(Payment), {
        "nomor_sp2d": nomor_sp2d, "nomor_kontrak": nomor_kontrak, "opd": opd, "tanggal_sp2d": tanggal_sp2d,
        "nilai": nilai, "uraian": "Termin", "row_hash": _HASH,
    })


def finding(subject: str = "PUPR|K-1", *, rule: str = "test.scripted", severity: str = "medium",
            title: str = "Kontrak K-1 bermasalah", opd: str | None = "PUPR", amount: int = 1_000,
            details: Mapping[str, Any] | None = None) -> Finding:
    return Finding(rule=rule, subject=subject, severity=severity, title=title, opd=opd, amount_at_risk=amount,
                   details=MappingProxyType(dict(details or {"nomor_kontrak": subject.split("|")[-1]})))


class DeclaredRule(Rule):
    """The rule base with test words, for the tests' own rules (which add ``id`` and ``run()``)."""

    title: ClassVar[str] = "Temuan uji"
    severity: ClassVar[str] = "medium"
    rationale: ClassVar[str] = "Aturan untuk menguji."
    names = Words(id="Temuan uji", en="Test finding")
    advice = Words(id="Periksa temuan uji.", en="Check the test finding.")
    subject_kind: ClassVar[str] = "contract"
    reads: ClassVar[frozenset[str]] = frozenset({"contracts"})
    needs_end_date: ClassVar[bool] = False


@dataclass
class Script:
    """What the scripted rules yield on the next run; ``fail_after`` makes the second rule raise after
    yielding that many findings."""

    findings: list[Finding] = field(default_factory=list)
    other: list[Finding] = field(default_factory=list)
    fail_after: int | None = None

    def registry(self) -> dict[str, type[Rule]]:
        script = self

        class Scripted(DeclaredRule):
            id: ClassVar[str] = "test.scripted"

            def run(self, ctx: CheckContext) -> Iterator[Finding]:
                yield from script.findings

        class Other(DeclaredRule):
            id: ClassVar[str] = "test.other"
            severity: ClassVar[str] = "low"

            def run(self, ctx: CheckContext) -> Iterator[Finding]:
                for index, item in enumerate(script.other):
                    if script.fail_after is not None and index >= script.fail_after:
                        raise RuntimeError("aturan gagal di tengah jalan")
                    yield item
                if script.fail_after is not None:
                    raise RuntimeError("aturan gagal di tengah jalan")

        return {"test.scripted": Scripted, "test.other": Other}


class StatementLog:
    """The SQL statements an engine executes, to prove what a run wrote."""

    def __init__(self, engine: Engine) -> None:
        self.statements: list[str] = []
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(" ".join(statement.split()))

    def writes_to(self, *tables: str) -> list[str]:
        found = []
        for statement in self.statements:
            verb = statement.split(" ", 1)[0].upper()
            if verb not in {"INSERT", "UPDATE", "DELETE"}:
                continue
            target = statement.split()[2 if verb in {"INSERT", "DELETE"} else 1].strip('"').lower()
            if target in tables:
                found.append(statement)
        return found

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def all_findings(app: App) -> list[Any]:
    """Every finding's row, ``last_seen`` as it stands (see monitor.check.findings.last_seen_now)."""
    columns = [last_seen_now() if column.key == "last_seen" else column for column in FindingRow.__table__.c]
    with app.engine.connect() as conn:
        return list(conn.execute(select(*columns).order_by(FindingRow.id)))


def findings_by_subject(app: App, rule: str | None = None) -> dict[str, Any]:
    return {row.subject: row for row in all_findings(app) if rule is None or row.rule == rule}


def events_of(app: App, finding_id: int) -> list[Any]:
    table = FindingEvent.__table__
    with app.engine.connect() as conn:
        return list(conn.execute(select(table).where(table.c.finding_id == finding_id).order_by(table.c.id)))


def snapshot(app: App) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a run writes, to compare before and after."""
    from monitor.models import Base

    tables = ("finding", "finding_event", "match_link", "silence")
    with app.engine.connect() as conn:
        return {name: [tuple(row) for row in conn.execute(select(Base.metadata.tables[name]).order_by("id"))]
                for name in tables}
