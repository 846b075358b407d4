"""The report's long lists (lampiran, the follow-up matrix, what was resolved): their columns, typed so each
renderer writes a value the right way (identifiers as text, amounts as numbers with a rupiah format,
dates as dates), and the rows streamed from the database: at a million contracts they are too many to hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import orjson
from sqlalchemy import Text, cast, func, select
from sqlalchemy.engine import Connection

from monitor.check.findings import ACKNOWLEDGED, CHECK_RUN, FINDING, FINDING_EVENT, OPEN, REOPENED, RESOLVED
from monitor.check.followup import FOLLOWUP, from_row
from monitor.models import Contract
from monitor.settings import ReportSettings

Kind = Literal["text", "id", "money", "date", "int"]
# Findings that need action at the meeting: active and not muted by a silence.
NEEDS_ACTION = (OPEN, REOPENED, ACKNOWLEDGED)
UNKNOWN = "—"  # a PPK the data do not name: never guessed from the OPD


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: Kind = "text"
    width: int = 14  # characters, for the XLSX


@dataclass(frozen=True)
class ListSpec:
    """One lampiran: the findings of ``rules``, each row the finding's own columns and its details'."""

    key: str
    title: str
    rules: tuple[str, ...]
    columns: tuple[Column, ...]


_ID = Column("id", "ID temuan", "int", 9)
_OPD = Column("opd", "OPD", "text", 10)
_KONTRAK = (Column("nomor_kontrak", "Nomor kontrak", "id", 26), Column("nama_paket", "Nama paket", "text", 40),
            Column("penyedia", "Penyedia", "text", 26))
LISTS: tuple[ListSpec, ...] = (
    ListSpec("belum_terdaftar", "Kontrak belum terdaftar Jakon", ("jakon.unregistered",), (
        _ID, _OPD, *_KONTRAK, Column("npwp_penyedia", "NPWP", "id", 18),
        Column("nilai_kontrak", "Nilai kontrak", "money"),
        Column("tanggal_kontrak", "Tanggal kontrak", "date", 12), Column("deadline", "Batas daftar", "date", 12),
        Column("days_overdue", "Hari lewat", "int", 8), Column("required", "Iuran wajib", "money"))),
    ListSpec("terlambat", "Pendaftaran terlambat", ("jakon.late_registration",), (
        _ID, _OPD, *_KONTRAK, Column("nomor_registrasi", "No. registrasi", "id", 16),
        Column("deadline", "Batas daftar", "date", 12), Column("tanggal_daftar", "Tanggal daftar", "date", 12),
        Column("days_late", "Hari terlambat", "int", 8))),
    ListSpec("kurang_bayar", "Iuran kurang bayar", ("jakon.premium_shortfall",), (
        _ID, _OPD, *_KONTRAK, Column("nomor_registrasi", "No. registrasi", "id", 16),
        Column("required", "Iuran wajib", "money"), Column("paid", "Iuran dibayar", "money"),
        Column("shortfall", "Kekurangan", "money"))),
    ListSpec("sp2d", "SP2D untuk kontrak tanpa kepesertaan", ("jakon.payment_unregistered",), (
        _ID, _OPD, Column("nomor_sp2d", "Nomor SP2D", "id", 26), Column("tanggal_sp2d", "Tanggal SP2D", "date", 12),
        Column("nilai_sp2d", "Nilai SP2D", "money"), *_KONTRAK, Column("required", "Iuran wajib", "money"))),
    ListSpec("celah", "Celah perlindungan setelah adendum", ("jakon.coverage_gap",), (
        _ID, _OPD, *_KONTRAK, Column("nomor_registrasi", "No. registrasi", "id", 16),
        Column("masa_akhir", "Masa akhir", "date", 12), Column("tanggal_selesai", "Selesai kontrak", "date", 12),
        Column("gap_days", "Hari celah", "int", 8))),
    ListSpec("perjanjian", "Perjanjian (MoU/PKS) berakhir", ("agreement.expiring", "agreement.expired"), (
        _ID, Column("nomor", "Nomor", "id", 28), Column("jenis", "Jenis", "text", 6),
        Column("judul", "Judul", "text", 40),
        Column("pihak", "Para pihak", "text", 36), Column("tanggal_berakhir", "Berakhir", "date", 12))),
    ListSpec("kampung", "Kampung Bahagia", ("kampung.no_sk_rt", "kampung.unregistered"), (
        _ID, Column("rule_name", "Temuan", "text", 30), Column("kode_kegiatan", "Kode", "id", 14),
        Column("kelurahan", "Kelurahan", "text", 18), Column("rt", "RT", "id", 5),
        Column("nama_kegiatan", "Kegiatan", "text", 34), Column("nilai_kegiatan", "Nilai", "money"),
        Column("required", "Iuran wajib", "money"), Column("paid", "Iuran dibayar", "money"))),
    ListSpec("data", "Data: registrasi tanpa kontrak dan pasangan meragukan",
             ("data.orphan_registration", "data.ambiguous_match"), (
        _ID, Column("rule_name", "Temuan", "text", 30), Column("nomor_registrasi", "No. registrasi", "id", 16),
        Column("penyedia", "Penyedia", "text", 28), Column("nomor_kontrak_bpjs", "No. kontrak di BPJS", "id", 26),
        Column("nilai_terdaftar", "Nilai terdaftar", "money"))),
)

FOLLOWUP_COLUMNS: tuple[Column, ...] = (
    _ID, Column("rule_name", "Temuan", "text", 28), _OPD, Column("ppk", "PPK", "text", 14),
    Column("subject", "Subjek", "id", 30), Column("tindakan", "Yang harus dilakukan", "text", 50),
    Column("amount_at_risk", "Nilai berisiko", "money"), Column("due", "Batas waktu", "date", 12),
    Column("status_tl", "Status tindak lanjut", "text", 22), Column("pic", "PIC", "text", 18),
    Column("note", "Catatan", "text", 30), Column("age", "Umur (hari)", "int", 8),
)
RESOLVED_COLUMNS: tuple[Column, ...] = (
    _ID, Column("rule_name", "Temuan", "text", 28), _OPD, Column("subject", "Subjek", "id", 30),
    Column("resolved_on", "Selesai", "date", 12), Column("resolved_reason", "Sebabnya", "text", 50),
    Column("status_tl", "Status tindak lanjut", "text", 22),
)


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_TYPED: dict[str, Callable[[Any], Any]] = {"money": _int, "int": _int, "date": _date, "text": str, "id": str}


def typed_value(column: Column, value: Any) -> Any:
    """A cell's value as its column's kind: int for money and counts, date, or text."""
    return None if value is None else _TYPED[column.kind](value)


def details_text() -> Any:
    """A finding's details as the stored JSON text: parsed by :func:`parse_details` (orjson), several times
    faster than the column's own ``json.loads`` over a million rows."""
    return cast(FINDING.c.details, Text).label("details")


def parse_details(text: str | None) -> dict[str, Any]:
    # The details are written by orjson (monitor.check.findings.details_json), so orjson reads them all.
    return orjson.loads(text) if text else {}


def resolutions() -> Any:
    """Per resolved finding, the as-of date of the check run that resolved it (its latest resolution in the
    history): when it was resolved in the data's time. ``last_seen`` is when it was last seen, which may be
    long before; ``resolved_at`` is the wall-clock time of that run, which may be long after."""
    e, r = FINDING_EVENT.c, CHECK_RUN.c
    latest = (select(e.finding_id, func.max(e.id).label("event_id")).where(e.to_status == RESOLVED)
              .group_by(e.finding_id).subquery())
    return (select(latest.c.finding_id, r.as_of.label("resolved_on"))
            .join(FINDING_EVENT, e.id == latest.c.event_id).join(CHECK_RUN, r.id == e.check_run_id)
            .subquery("resolution"))


def contract_ppk(conn: Connection) -> dict[tuple[str, str], str]:
    """The PPK of each contract whose PPK is known (SPSE's e-Kontrak, or the file's optional columns), by
    (OPD, contract number): ``"Nama PPK (NIP 1980...)"``."""
    c = Contract.__table__.c
    return {(opd, nomor): f"{nama} (NIP {nip})" if nip else nama for opd, nomor, nama, nip in conn.execute(
        select(c.opd, c.nomor_kontrak, c.nama_ppk, c.nip_ppk).where(c.nama_ppk.is_not(None)))}


class Rows:
    """Streams a report's lists from one connection (the report's read transaction)."""

    def __init__(self, conn: Connection, report: ReportSettings, rule_name: Any, advice: Any, as_of: date) -> None:
        self.conn = conn
        self.report = report
        self.rule_name = rule_name
        self.advice = advice
        self.as_of = as_of
        self._ppk: dict[tuple[str, str], str] | None = None

    def ppk(self, opd: str | None, details: dict[str, Any]) -> str:
        """The finding's contract's PPK where known (read once per report), else "—"."""
        if self._ppk is None:
            self._ppk = contract_ppk(self.conn)
        return self._ppk.get((opd, details.get("nomor_kontrak")), UNKNOWN) if opd else UNKNOWN  # type: ignore[arg-type]

    def findings(self, spec: ListSpec) -> Iterator[dict[str, Any]]:
        f = FINDING.c
        query = (select(f.id, f.rule, f.opd, details_text())
                 .where(f.rule.in_(spec.rules), f.status != RESOLVED)
                 .order_by(f.rule, f.opd, f.subject, f.id).execution_options(yield_per=2_000))
        typed = [(c.key, _TYPED[c.kind]) for c in spec.columns]
        names = {rule: self.rule_name(rule) for rule in spec.rules}
        for row in self.conn.execute(query):
            values = {**parse_details(row.details), "id": row.id, "opd": row.opd, "rule_name": names[row.rule]}
            yield {key: None if (value := values.get(key)) is None else convert(value) for key, convert in typed}

    def followup(self) -> Iterator[dict[str, Any]]:
        """The matrix: every finding that needs action, worst amount first within rule and OPD."""
        f, u = FINDING.c, FOLLOWUP.c
        query = (select(f.id, f.rule, f.opd, f.subject, f.amount_at_risk, f.first_seen, details_text(),
                        u.status, u.due, u.pic, u.note)
                 .select_from(FINDING.outerjoin(FOLLOWUP, u.finding_id == f.id))
                 .where(f.status.in_(NEEDS_ACTION))
                 .order_by(f.rule, f.opd, f.amount_at_risk.desc(), f.id).execution_options(yield_per=2_000))
        names: dict[str, tuple[str, str]] = {}
        for row in self.conn.execute(query):
            tl = from_row(row.id, row.rule, row.first_seen, dict(row._mapping), self.report)
            details = parse_details(row.details)
            name, advice = names.get(row.rule) or names.setdefault(
                row.rule, (self.rule_name(row.rule), self.advice(row.rule)))
            yield {
                "id": row.id, "rule_name": name, "opd": row.opd, "ppk": self.ppk(row.opd, details),
                "subject": row.subject, "tindakan": details.get("tindakan") or advice,
                "amount_at_risk": int(row.amount_at_risk or 0), "due": tl.due, "status_tl": tl.status,
                "pic": tl.pic, "note": tl.note, "age": (self.as_of - row.first_seen).days,
            }

    def resolved(self, since: date, until: date) -> Iterator[dict[str, Any]]:
        """Findings resolved by a check run as of ``since`` to ``until``, and why."""
        f, u = FINDING.c, FOLLOWUP.c
        resolution = resolutions()
        query = (select(f.id, f.rule, f.opd, f.subject, resolution.c.resolved_on, f.resolved_reason, f.first_seen,
                        u.status, u.due, u.pic, u.note)
                 .select_from(FINDING.join(resolution, resolution.c.finding_id == f.id)
                              .outerjoin(FOLLOWUP, u.finding_id == f.id))
                 .where(f.status == RESOLVED, resolution.c.resolved_on.between(since, until))
                 .order_by(f.rule, f.opd, f.subject, f.id).execution_options(yield_per=2_000))
        for row in self.conn.execute(query):
            tl = from_row(row.id, row.rule, row.first_seen, dict(row._mapping), self.report)
            yield {"id": row.id, "rule_name": self.rule_name(row.rule), "opd": row.opd, "subject": row.subject,
                   "resolved_on": row.resolved_on, "resolved_reason": row.resolved_reason, "status_tl": tl.status}
