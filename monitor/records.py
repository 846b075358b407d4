"""The records of the domain, as the check reads them and as a rule yields them.

Below matching, the regulation, the rules and the alerts: every layer reads these, and this module
imports nothing of Pantau's. A contract, registration, payment, agreement and Kampung Bahagia
activity *as of the check* (value and end date after the latest addendum, and so on); a link the
matcher made and an ambiguity it could not decide; a finding a rule detected; severities and their
order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, NamedTuple

SEVERITIES = ("info", "low", "medium", "high", "critical")
CANCELLED = "batal"  # a registration's status once cancelled: it protects nobody


def severity_rank(severity: str) -> int:
    """Higher is more urgent; used to sort and to detect a severity that rose."""
    return SEVERITIES.index(severity)


def fingerprint(rule: str, subject: str) -> str:
    """The stable identity of a finding across runs: its rule and its subject."""
    return hashlib.sha256(f"{rule}\x1f{subject}".encode()).hexdigest()[:32]


def contract_subject(opd: str, nomor_kontrak: str) -> str:
    return f"{opd}|{nomor_kontrak}"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a rule found. ``subject`` names what it is about:
    ``"OPD|nomor_kontrak"`` for contract rules, else the SP2D number, the agreement's nomor,
    the kode_kegiatan or the nomor_registrasi. Titles and details are in Bahasa Indonesia."""

    rule: str
    subject: str
    severity: str
    title: str
    opd: str | None = None
    amount_at_risk: int = 0
    details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.rule, self.subject)


class ContractState(NamedTuple):
    """A contract as of the check: value and end date are those of its latest addendum, if any.

    A named tuple: the check engine holds a million contracts column by column
    (:class:`monitor.compute.columns.Table`) and makes one of these for each contract a rule looks at."""

    id: int
    opd: str
    opd_known: bool
    nomor_kontrak: str
    nama_paket: str
    penyedia: str
    npwp_penyedia: str | None
    tanggal_kontrak: date
    tanggal_mulai: date | None
    nilai_awal: int
    nilai: int
    # None while the end of works is not known (an SPSE contract whose SPMK has not arrived): only the rules
    # that do not need it (``Rule.needs_end_date``) check such a contract.
    tanggal_selesai_awal: date | None
    tanggal_selesai: date | None
    jenis_pekerjaan: str = "konstruksi"
    sumber_dana: str = "APBD"
    kode_paket: str | None = None
    adendum: str | None = None  # nomor of the latest addendum
    # A consortium's member firms as the source names them (SPSE's anggota_kso), ``()`` where not known.
    anggota_kso: tuple[str, ...] = ()

    @property
    def subject(self) -> str:
        return contract_subject(self.opd, self.nomor_kontrak)


class RegistrationState(NamedTuple):
    """A BPJS Jakon registration (a named tuple, like :class:`ContractState`)."""

    id: int
    nomor_registrasi: str
    nomor_kontrak: str | None
    nama_proyek: str
    penyedia: str
    npwp_penyedia: str | None
    nilai_kontrak_terdaftar: int
    iuran_dibayar: int
    tanggal_daftar: date
    masa_awal: date
    masa_akhir: date
    status: str = "aktif"
    npp: str | None = None

    @property
    def valid(self) -> bool:
        """``batal`` (cancelled) registrations protect nobody."""
        return self.status != CANCELLED


class Link(NamedTuple):
    """How the matcher linked a contract to a registration (a named tuple: made when looked at)."""

    contract_id: int
    registration_id: int
    method: str  # exact|normalized|npwp|fuzzy|manual
    score: float
    details: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """A registration with two or more equally good contracts: a human must decide."""

    registration_id: int
    contract_ids: tuple[int, ...]
    score: float


@dataclass(slots=True)
class PaymentState:
    id: int
    nomor_sp2d: str
    tanggal_sp2d: date
    nomor_kontrak: str
    opd: str
    nilai: int
    uraian: str | None
    contract_id: int | None  # resolved by (opd, nomor_kontrak), None if the contract is unknown


@dataclass(slots=True)
class AgreementState:
    id: int
    nomor: str
    jenis: str | None
    judul: str
    pihak: str | None
    opd: str | None
    tanggal_mulai: date | None
    tanggal_berakhir: date
    status: str
    nomor_pengganti: str | None


@dataclass(slots=True)
class KampungState:
    id: int
    kode_kegiatan: str
    kecamatan: str | None
    kelurahan: str
    rt: str
    nama_kegiatan: str
    nilai_kegiatan: int
    tanggal_mulai: date
    tanggal_selesai: date | None
    nomor_sk_rt: str | None
    tanggal_sk_rt: date | None
    jumlah_peserta: int | None
    nomor_registrasi: str | None


class RegistrationLookups(NamedTuple):
    """What :class:`CheckContext` answers about a contract's registration, done without a
    :class:`Link` in between (the engine's, over the matcher's columns): the registration of a
    contract id; the day it became protected (its tanggal_daftar unless ``batal``) without making
    the registration's row; every contract with its registration or ``None``, in order."""

    registration: Callable[[int], RegistrationState | None] | None = None
    registered_since: Callable[[int], date | None] | None = None
    pairs: Callable[[], Iterator[tuple[ContractState, RegistrationState | None]]] | None = None
