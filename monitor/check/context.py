"""Read the database into what the rules and the matcher see.

A million contracts must fit in well under a gigabyte, so this module reads with Core selects of
only the columns the rules need (no ORM identity map), streams them in partitions into columns
(:class:`monitor.compute.columns.Table`: contracts and registrations), and interns what repeats — OPD
codes, vendor names and NPWPs, package titles, dates, statuses — so a vendor with ten thousand
contracts holds its name once, and a title every kelurahan's drainage package shares is held once.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, overload

from sqlalchemy import ColumnElement, Select, String, and_, func, or_, select, true, type_coerce
from sqlalchemy.engine import Connection

from monitor.compute.columns import Table, int_column
from monitor.db import PARTITION_ROWS, raw_partitions, raw_rows
from monitor.models import Addendum, Agreement, Contract, KampungActivity, Payment, Registration
from monitor.records import AgreementState, ContractState, KampungState, PaymentState, RegistrationState

# The loaders build the states positionally, in this order (tests/check checks it against checks.base).
CONTRACT_FIELDS = (
    "id", "opd", "opd_known", "nomor_kontrak", "nama_paket", "penyedia", "npwp_penyedia", "tanggal_kontrak",
    "tanggal_mulai", "nilai_awal", "nilai", "tanggal_selesai_awal", "tanggal_selesai", "jenis_pekerjaan",
    "sumber_dana", "kode_paket", "adendum", "anggota_kso",
)
REGISTRATION_FIELDS = (
    "id", "nomor_registrasi", "nomor_kontrak", "nama_proyek", "penyedia", "npwp_penyedia",
    "nilai_kontrak_terdaftar", "iuran_dibayar", "tanggal_daftar", "masa_awal", "masa_akhir", "status", "npp",
)
PAYMENT_FIELDS = ("id", "nomor_sp2d", "tanggal_sp2d", "nomor_kontrak", "opd", "nilai", "uraian", "contract_id")



class Interner:
    """One shared object per distinct value: strings, dates, anything hashable (``None`` passes).

    A plain dict rather than ``sys.intern``: it also takes dates and ``None``, and it is freed with the
    run instead of growing the interpreter's table. On SQLite, dates arrive as ISO text and are parsed
    once per distinct day here (SQLAlchemy would parse every one)."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}
        self.same: Callable[[Any, Any], Any] = self._values.setdefault
        # Contract numbers, so a registration typing its contract's number exactly shares that string.
        self.contract_numbers: dict[str, str] | None = {}
        self._days: dict[Any, date | None] = {None: None}

    def day(self, value: str | date | None) -> Any:
        """A date column's value as one shared ``date`` (from ISO text on SQLite, as is elsewhere)."""
        found = self._days.get(value)
        if found is None and value is not None:
            found = self._days[value] = value if isinstance(value, date) else date.fromisoformat(value)
        return found


def _day_column(conn: Connection, column: ColumnElement[Any]) -> ColumnElement[Any]:
    # SQLite stores dates as ISO text: read the text and let Interner.day parse each distinct one once.
    return type_coerce(column, String) if conn.dialect.name == "sqlite" else column


def _natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """``ADD-10`` sorts after ``ADD-9``: numbers compare as numbers."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.findall(r"\d+|\D+", text.casefold()))


@dataclass(slots=True)
class CurrentTerms:
    """What a contract's addenda leave in force: the newest value and end date set by any addendum."""

    nilai: int | None
    tanggal_selesai: date | None
    nomor_adendum: str


def load_current_terms(conn: Connection) -> dict[tuple[str, str], CurrentTerms]:
    """Fold each contract's addenda in order — by tanggal_adendum, then nomor_adendum — so the latest
    addendum that sets a value (or an end date) wins; an addendum changing only the period keeps the
    value an earlier one set."""
    a = Addendum.__table__.c
    by_contract: dict[tuple[str, str], list[tuple[date, str, int | None, date | None]]] = {}
    statement = select(a.opd, a.nomor_kontrak, a.tanggal_adendum, a.nomor_adendum, a.nilai_kontrak_baru,
                       a.tanggal_selesai_baru)
    for opd, nomor, tanggal, nomor_adendum, nilai, selesai in raw_rows(conn, statement):
        by_contract.setdefault((opd, nomor), []).append((tanggal, nomor_adendum, nilai, selesai))
    terms: dict[tuple[str, str], CurrentTerms] = {}
    for key, addenda in by_contract.items():
        if len(addenda) > 1:
            addenda.sort(key=lambda item: (item[0], _natural_key(item[1])))
        current = CurrentTerms(None, None, addenda[-1][1])
        for _, _, nilai, selesai in addenda:
            if nilai is not None:
                current.nilai = nilai
            if selesai is not None:
                current.tanggal_selesai = selesai
        terms[key] = current
    return terms


def _columns(names: Sequence[str], ints: Iterable[str]) -> list[Any]:
    """Empty columns for these fields: an ``array`` of 64-bit integers for ``ints``, else a list."""
    numeric = set(ints)
    return [int_column() if name in numeric else [] for name in names]


def _extend(columns: Sequence[Any], rows: list[tuple[Any, ...]]) -> None:
    """Append a partition of rows to the columns (transposed in C)."""
    for values, column in zip(zip(*rows, strict=True), columns, strict=True):
        column.extend(values)


def value_known() -> ColumnElement[bool]:
    """The contract's value is known: complete, or a source's incomplete contract lacking only its end
    of works (``complete`` is the end and the value known; a file of contracts has both)."""
    c = Contract.__table__.c
    return or_(c.complete.is_(True), c.nilai_kontrak_sen.is_not(None))


def checked_contracts(include_out_of_scope: bool = False) -> ColumnElement[bool]:
    """The contracts the check reads: those whose value is known, and in Jakon's scope unless every
    contract is to be checked (``[scope] include_out_of_scope``). A human's decision on one contract
    (``pantau contracts scope``) wins over both. A contract whose end of works is not known yet (an SPSE
    contract whose SPMK has not arrived) is read with ``tanggal_selesai`` None: the rules that need the
    end skip it (``Rule.needs_end_date``). The rest are kept, listed by ``pantau contracts`` and counted
    in the metrics."""
    c = Contract.__table__.c
    source = true() if include_out_of_scope else c.in_scope
    return and_(value_known(), func.coalesce(c.scope_override, source).is_(True))


def count_left_out(conn: Connection) -> dict[str, int]:
    """Contracts the check leaves out: out of scope (override applied); incomplete, not read at all (their
    value is not known); and those read without their end of works (``end_unknown``: in scope, checked
    only by the rules that do not need the end)."""
    c = Contract.__table__.c
    in_scope = func.coalesce(c.scope_override, c.in_scope)
    out, incomplete, end_unknown = conn.execute(select(
        func.count().filter(in_scope.is_(False)), func.count().filter(~value_known()),
        func.count().filter(c.complete.is_(False), value_known(), in_scope.is_(True)),
    ).select_from(Contract.__table__)).one()
    return {"out_of_scope": int(out or 0), "incomplete": int(incomplete or 0), "end_unknown": int(end_unknown or 0)}


def load_contracts(conn: Connection, intern: Interner, include_out_of_scope: bool = False) -> Table[ContractState]:
    c = Contract.__table__.c
    terms = load_current_terms(conn)
    statement = select(
        c.id, c.opd, c.opd_known, c.nomor_kontrak, c.nama_paket, c.penyedia, c.npwp_penyedia,
        _day_column(conn, c.tanggal_kontrak), _day_column(conn, c.tanggal_mulai), c.nilai_kontrak,
        _day_column(conn, c.tanggal_selesai), c.jenis_pekerjaan, c.sumber_dana, c.kode_paket,
    ).where(checked_contracts(include_out_of_scope)).order_by(c.id)
    columns = _columns(CONTRACT_FIELDS[:-1], ("id", "nilai_awal", "nilai"))
    same, day, pop_terms = intern.same, intern.day, terms.pop
    number = ({} if intern.contract_numbers is None else intern.contract_numbers).setdefault
    for partition in raw_partitions(conn, statement):
        rows: list[tuple[Any, ...]] = []
        add = rows.append
        for (cid, opd, opd_known, nomor, nama, penyedia, npwp, tanggal, mulai, nilai, selesai, jenis, dana,
             kode) in partition:
            current = pop_terms((opd, nomor), None)
            selesai = day(selesai)
            add((  # in CONTRACT_FIELDS order (a test checks it against checks.base)
                cid, same(opd, opd), bool(opd_known), number(nomor, nomor), same(nama, nama),
                same(penyedia, penyedia), same(npwp, npwp), day(tanggal), day(mulai), nilai,
                nilai if current is None or current.nilai is None else current.nilai,
                selesai,
                selesai if current is None or current.tanggal_selesai is None else day(current.tanggal_selesai),
                same(jenis, jenis), same(dana, dana), kode, None if current is None else current.nomor_adendum,
            ))
        _extend(columns, rows)
    columns.append(_consortium_members(conn, columns[0], include_out_of_scope))
    return Table(ContractState, columns)


def _consortium_members(conn: Connection, ids: Sequence[int], include_out_of_scope: bool) -> list[tuple[str, ...]]:
    """The ``anggota_kso`` column of the contracts loaded (``ids``, ascending): read by a query of its
    own, since the few contracts whose source names their members are all it touches; the others
    share one empty tuple."""
    c = Contract.__table__.c
    found: list[tuple[str, ...]] = [()] * len(ids)
    statement = select(c.id, c.anggota_kso).where(checked_contracts(include_out_of_scope), c.anggota_kso.is_not(None))
    for cid, members in raw_rows(conn, statement):
        at = bisect_left(ids, cid)
        if at < len(ids) and ids[at] == cid:
            found[at] = tuple(members.split("\n"))
    return found


def load_registrations(conn: Connection, intern: Interner) -> Table[RegistrationState]:
    r = Registration.__table__.c
    statement = select(
        r.id, r.nomor_registrasi, r.nomor_kontrak, r.nama_proyek, r.penyedia, r.npwp_penyedia,
        r.nilai_kontrak_terdaftar, r.iuran_dibayar, _day_column(conn, r.tanggal_daftar),
        _day_column(conn, r.masa_awal), _day_column(conn, r.masa_akhir), r.status, r.npp,
    ).order_by(r.id)
    columns = _columns(REGISTRATION_FIELDS, ("id", "nilai_kontrak_terdaftar", "iuran_dibayar"))
    same, day = intern.same, intern.day
    number = (intern.contract_numbers or {}).get
    for partition in raw_partitions(conn, statement):
        _extend(columns, [
            (  # in REGISTRATION_FIELDS order
                rid, nomor, number(kontrak, kontrak), same(nama, nama), same(penyedia, penyedia), same(npwp, npwp),
                nilai, iuran, day(daftar), day(awal), day(akhir), same(status, status), same(npp, npp),
            )
            for rid, nomor, kontrak, nama, penyedia, npwp, nilai, iuran, daftar, awal, akhir, status, npp
            in partition
        ])
    intern.contract_numbers = None  # only needed while loading: free the index
    return Table(RegistrationState, columns)


class StreamedPayments(Sequence[PaymentState]):
    """The SP2Ds, streamed from the run's read snapshot each time they are iterated.

    There are more SP2Ds than contracts (advance, instalments, retention) and the one rule reading
    them only walks them once, so they are not held in memory. Each payment's contract is resolved
    by (opd, nomor_kontrak) in the database's join, not in a Python dict."""

    def __init__(self, conn: Connection, intern: Interner) -> None:
        self._conn = conn
        self._intern = intern
        self._count: int | None = None

    def _select(self) -> Select[Any]:
        p = Payment.__table__.c
        c = Contract.__table__.c
        return self._with_contract(p.id, p.nomor_sp2d, _day_column(self._conn, p.tanggal_sp2d), p.nomor_kontrak,
                                   p.opd, p.nilai, p.uraian, c.id)

    @staticmethod
    def _with_contract(*columns: ColumnElement[Any]) -> Select[Any]:
        """These columns of each SP2D joined to its contract, by (opd, nomor_kontrak), if known."""
        p = Payment.__table__.c
        c = Contract.__table__.c
        return select(*columns).select_from(Payment.__table__.outerjoin(
            Contract.__table__, and_(c.opd == p.opd, c.nomor_kontrak == p.nomor_kontrak)))

    def _states(self, statement: Select[Any], *, numbers_inline: bool = False) -> Iterator[PaymentState]:
        same, day = self._intern.same, self._intern.day
        for pid, sp2d, tanggal, kontrak, opd, nilai, uraian, contract_id in raw_rows(
                self._conn, statement, numbers_inline=numbers_inline):
            # Positional (PAYMENT_FIELDS pins the order): there are more SP2Ds than contracts.
            yield PaymentState(pid, sp2d, day(tanggal), kontrak, same(opd, opd), nilai, uraian, contract_id)

    def __iter__(self) -> Iterator[PaymentState]:
        return self._states(self._select().order_by(Payment.__table__.c.id))

    def where(self, keep: Callable[[int | None, date], bool]) -> Iterator[PaymentState]:
        """The SP2Ds for which ``keep(contract_id, tanggal_sp2d)`` holds, in order: those two columns
        are read for every SP2D, the rest only for the SP2Ds kept (see ``CheckContext.payments_where``)."""
        p = Payment.__table__.c
        c = Contract.__table__.c
        narrow = self._with_contract(p.id, _day_column(self._conn, p.tanggal_sp2d), c.id).order_by(p.id)
        day = self._intern.day
        kept = int_column()
        for partition in raw_partitions(self._conn, narrow):
            kept.extend(pid for pid, tanggal, contract_id in partition if keep(contract_id, day(tanggal)))
        step = PARTITION_ROWS // 4
        for start in range(0, len(kept), step):
            statement = self._select().where(p.id.in_(kept[start:start + step].tolist())).order_by(p.id)
            yield from self._states(statement, numbers_inline=True)

    def __len__(self) -> int:
        if self._count is None:
            self._count = int(self._conn.execute(select(func.count()).select_from(Payment.__table__)).scalar_one())
        return self._count

    @overload
    def __getitem__(self, index: int) -> PaymentState: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[PaymentState]: ...
    def __getitem__(self, index: int | slice) -> PaymentState | Sequence[PaymentState]:
        # Rules iterate; indexing is here for the Sequence contract and is linear.
        items = list(self)
        return items[index]

    def find(self, numbers: Iterable[str]) -> dict[str, PaymentState]:
        """The SP2Ds with these numbers, by number (for the few a run resolves)."""
        wanted = sorted(set(numbers))
        p = Payment.__table__.c
        found: dict[str, PaymentState] = {}
        for start in range(0, len(wanted), PARTITION_ROWS // 4):
            statement = self._select().where(p.nomor_sp2d.in_(wanted[start:start + PARTITION_ROWS // 4]))
            found.update((payment.nomor_sp2d, payment) for payment in self._states(statement))
        return found


def load_agreements(conn: Connection) -> list[AgreementState]:
    g = Agreement.__table__.c
    statement = select(g.id, g.nomor, g.jenis, g.judul, g.pihak, g.opd, g.tanggal_mulai, g.tanggal_berakhir,
                       g.status, g.nomor_pengganti).order_by(g.id)
    return [AgreementState(*row) for row in conn.execute(statement)]


def load_kampung(conn: Connection) -> list[KampungState]:
    k = KampungActivity.__table__.c
    statement = select(
        k.id, k.kode_kegiatan, k.kecamatan, k.kelurahan, k.rt, k.nama_kegiatan, k.nilai_kegiatan, k.tanggal_mulai,
        k.tanggal_selesai, k.nomor_sk_rt, k.tanggal_sk_rt, k.jumlah_peserta, k.nomor_registrasi,
    ).order_by(k.id)
    return [KampungState(*row) for row in conn.execute(statement)]


@dataclass(slots=True)
class Records:
    """Everything imported, as the rules see it (before matching)."""

    contracts: Table[ContractState]
    registrations: Table[RegistrationState]
    payments: Sequence[PaymentState]
    agreements: Sequence[AgreementState]
    kampung: Sequence[KampungState]
    # Contracts kept but not checked, by why (see checked_contracts).
    left_out: dict[str, int] = field(default_factory=dict)


def load_records(
    conn: Connection, contracts_loaded: Callable[[Table[ContractState]], object] | None = None,
    *, include_out_of_scope: bool = False,
) -> Records:
    """Contracts (with their addenda applied), registrations, agreements and Kampung Bahagia activities
    in memory; payments streamed from ``conn``, which must stay open while the records are used.
    ``contracts_loaded`` is called with the contracts before the registrations are read (the check
    run starts work on them aside)."""
    intern = Interner()
    contracts = load_contracts(conn, intern, include_out_of_scope)
    if contracts_loaded is not None:
        contracts_loaded(contracts)
    return Records(
        contracts=contracts,
        registrations=load_registrations(conn, intern),
        payments=StreamedPayments(conn, Interner()),  # its own: the big one is freed after loading
        agreements=load_agreements(conn),
        kampung=load_kampung(conn),
        left_out=count_left_out(conn),
    )
