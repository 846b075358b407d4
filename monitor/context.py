"""Read the database into the plain objects the rules and the matcher see.

A million contracts must fit in well under a gigabyte, so this module reads with Core selects of
only the columns the rules need (no ORM identity map), streams them in partitions, and interns
what repeats — OPD codes, vendor names and NPWPs, dates, statuses — so a vendor with ten thousand
contracts holds its name once.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, overload

from sqlalchemy import Select, and_, func, select
from sqlalchemy.engine import Connection, Row

from checks.base import AgreementState, ContractState, KampungState, PaymentState, RegistrationState
from monitor.models import Addendum, Agreement, Contract, KampungActivity, Payment, Registration

PARTITION_ROWS = 20_000

T = TypeVar("T")


class Interner:
    """One shared object per distinct value (strings via ``sys.intern``, anything hashable via a dict)."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}

    @overload
    def str(self, value: str) -> str: ...
    @overload
    def str(self, value: None) -> None: ...
    @overload
    def str(self, value: str | None) -> str | None: ...
    def str(self, value: str | None) -> str | None:
        return None if value is None else sys.intern(value)

    def __call__(self, value: T) -> T:
        if value is None:
            return value
        found: T = self._values.setdefault(value, value)
        return found


def _natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """``ADD-10`` sorts after ``ADD-9``: numbers compare as numbers."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.findall(r"\d+|\D+", text.casefold()))


@dataclass(slots=True)
class CurrentTerms:
    """What a contract's addenda leave in force: the newest value and end date set by any addendum."""

    nilai: int | None
    tanggal_selesai: date | None
    nomor_adendum: str


def _rows(conn: Connection, statement: Select[Any]) -> Iterator[Row[Any]]:
    result = conn.execution_options(yield_per=PARTITION_ROWS).execute(statement)
    for partition in result.partitions():
        yield from partition


def load_current_terms(conn: Connection) -> dict[tuple[str, str], CurrentTerms]:
    """Fold each contract's addenda in order — by tanggal_adendum, then nomor_adendum — so the latest
    addendum that sets a value (or an end date) wins; an addendum changing only the period keeps the
    value an earlier one set."""
    a = Addendum.__table__.c
    by_contract: dict[tuple[str, str], list[tuple[date, str, int | None, date | None]]] = {}
    statement = select(a.opd, a.nomor_kontrak, a.tanggal_adendum, a.nomor_adendum, a.nilai_kontrak_baru,
                       a.tanggal_selesai_baru)
    for opd, nomor, tanggal, nomor_adendum, nilai, selesai in _rows(conn, statement):
        by_contract.setdefault((opd, nomor), []).append((tanggal, nomor_adendum, nilai, selesai))
    terms: dict[tuple[str, str], CurrentTerms] = {}
    for key, addenda in by_contract.items():
        addenda.sort(key=lambda item: (item[0], _natural_key(item[1])))
        current = CurrentTerms(None, None, addenda[-1][1])
        for _, _, nilai, selesai in addenda:
            if nilai is not None:
                current.nilai = nilai
            if selesai is not None:
                current.tanggal_selesai = selesai
        terms[key] = current
    return terms


def load_contracts(conn: Connection, intern: Interner) -> list[ContractState]:
    c = Contract.__table__.c
    terms = load_current_terms(conn)
    statement = select(
        c.id, c.opd, c.opd_known, c.nomor_kontrak, c.nama_paket, c.penyedia, c.npwp_penyedia, c.tanggal_kontrak,
        c.tanggal_mulai, c.nilai_kontrak, c.tanggal_selesai, c.jenis_pekerjaan, c.sumber_dana, c.kode_paket,
    ).order_by(c.id)
    contracts: list[ContractState] = []
    for (cid, opd, opd_known, nomor, nama, penyedia, npwp, tanggal, mulai, nilai, selesai, jenis, dana,
         kode) in _rows(conn, statement):
        current = terms.pop((opd, nomor), None)
        tanggal_selesai = intern(selesai)
        contracts.append(ContractState(
            id=cid, opd=intern.str(opd), opd_known=bool(opd_known), nomor_kontrak=nomor, nama_paket=nama,
            penyedia=intern.str(penyedia), npwp_penyedia=intern.str(npwp), tanggal_kontrak=intern(tanggal),
            tanggal_mulai=intern(mulai), nilai_awal=nilai,
            nilai=nilai if current is None or current.nilai is None else current.nilai,
            tanggal_selesai_awal=tanggal_selesai,
            tanggal_selesai=(tanggal_selesai if current is None or current.tanggal_selesai is None
                             else intern(current.tanggal_selesai)),
            jenis_pekerjaan=intern.str(jenis), sumber_dana=intern.str(dana), kode_paket=kode,
            adendum=None if current is None else current.nomor_adendum,
        ))
    return contracts


def load_registrations(conn: Connection, intern: Interner) -> list[RegistrationState]:
    r = Registration.__table__.c
    statement = select(
        r.id, r.nomor_registrasi, r.nomor_kontrak, r.nama_proyek, r.penyedia, r.npwp_penyedia,
        r.nilai_kontrak_terdaftar, r.iuran_dibayar, r.tanggal_daftar, r.masa_awal, r.masa_akhir, r.status, r.npp,
    ).order_by(r.id)
    return [
        RegistrationState(
            id=rid, nomor_registrasi=nomor, nomor_kontrak=kontrak, nama_proyek=nama, penyedia=intern.str(penyedia),
            npwp_penyedia=intern.str(npwp), nilai_kontrak_terdaftar=nilai, iuran_dibayar=iuran,
            tanggal_daftar=intern(daftar), masa_awal=intern(awal), masa_akhir=intern(akhir),
            status=intern.str(status), npp=intern.str(npp),
        )
        for rid, nomor, kontrak, nama, penyedia, npwp, nilai, iuran, daftar, awal, akhir, status, npp
        in _rows(conn, statement)
    ]


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
        return (
            select(p.id, p.nomor_sp2d, p.tanggal_sp2d, p.nomor_kontrak, p.opd, p.nilai, p.uraian, c.id)
            .select_from(Payment.__table__.outerjoin(
                Contract.__table__, and_(c.opd == p.opd, c.nomor_kontrak == p.nomor_kontrak)))
        )

    def _states(self, statement: Select[Any]) -> Iterator[PaymentState]:
        intern = self._intern
        for pid, sp2d, tanggal, kontrak, opd, nilai, uraian, contract_id in _rows(self._conn, statement):
            yield PaymentState(id=pid, nomor_sp2d=sp2d, tanggal_sp2d=intern(tanggal), nomor_kontrak=kontrak,
                               opd=intern.str(opd), nilai=nilai, uraian=uraian, contract_id=contract_id)

    def __iter__(self) -> Iterator[PaymentState]:
        return self._states(self._select().order_by(Payment.__table__.c.id))

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

    contracts: Sequence[ContractState]
    registrations: Sequence[RegistrationState]
    payments: Sequence[PaymentState]
    agreements: Sequence[AgreementState]
    kampung: Sequence[KampungState]


def load_records(conn: Connection) -> Records:
    """Contracts (with their addenda applied), registrations, agreements and Kampung Bahagia activities
    in memory; payments streamed from ``conn``, which must stay open while the records are used."""
    intern = Interner()
    return Records(
        contracts=load_contracts(conn, intern),
        registrations=load_registrations(conn, intern),
        payments=StreamedPayments(conn, intern),
        agreements=load_agreements(conn),
        kampung=load_kampung(conn),
    )
