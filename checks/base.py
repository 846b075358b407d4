"""The contract between the check engine and the rules.

A rule is a class with ``id``, ``title``, ``severity``, ``rationale``, ``default_config`` and
``run(ctx) -> Iterator[Finding]``. Rules read the :class:`CheckContext` and yield immutable
:class:`Finding`s; they never write to the database, send mail or format output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple, Protocol

from monitor.premium import kampung_premium as _kampung_premium

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


# --- what the rules see ---------------------------------------------------------------------------


class ContractState(NamedTuple):
    """A contract as of the check: value and end date are those of its latest addendum, if any.

    A named tuple: the check engine holds a million contracts column by column
    (:class:`monitor.columns.Table`) and makes one of these for each contract a rule looks at."""

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
    tanggal_selesai_awal: date
    tanggal_selesai: date
    jenis_pekerjaan: str = "konstruksi"
    sumber_dana: str = "APBD"
    kode_paket: str | None = None
    adendum: str | None = None  # nomor of the latest addendum

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


@dataclass
class CheckContext:
    """Everything a rule may read. Built by the check engine (``monitor.engine``) from the
    database; tests build it by hand."""

    as_of: date
    # Rule id -> effective configuration (the rule's default_config overlaid with [rules.<id>]).
    rule_config: Mapping[str, Mapping[str, Any]]
    # Registration deadline for a contract (working days after the configured start field).
    deadline: Callable[[ContractState], date]
    # The required JKK+JKM premium for a value in whole rupiah (PP 44/2015 tiers).
    required_premium: Callable[[int], int]
    contracts: Sequence[ContractState] = ()
    registrations: Mapping[int, RegistrationState] = field(default_factory=dict)
    link_by_contract: Mapping[int, Link] = field(default_factory=dict)
    link_by_registration: Mapping[int, Link] = field(default_factory=dict)
    ambiguous: Sequence[Ambiguity] = ()
    # Ids of the registrations a newer registration of the same contract superseded (the matcher's own
    # list); None where the context was built without it: the rules then read the links' details.
    superseded_registration_ids: frozenset[int] | None = None
    payments: Sequence[PaymentState] = ()
    agreements: Sequence[AgreementState] = ()
    kampung: Sequence[KampungState] = ()
    # Registrations linked to Kampung Bahagia activities (by nomor_registrasi), by registration id.
    kampung_registration_ids: frozenset[int] = frozenset()
    contracts_by_id: Mapping[int, ContractState] = field(default_factory=dict)
    registrations_by_number: Mapping[str, RegistrationState] = field(default_factory=dict)
    # The Kampung Bahagia premium for an activity value (Perwal 18/2025: 0.24% flat).
    kampung_premium: Callable[[int], int] = field(default=_kampung_premium)
    # The engine's faster ways to the same answers, over the matcher's own columns (see
    # RegistrationLookups); a context built without them answers through link_by_contract.
    lookups: RegistrationLookups = field(default_factory=RegistrationLookups)

    def config(self, rule_id: str) -> Mapping[str, Any]:
        return self.rule_config.get(rule_id, {})

    def severity(self, rule: type[Rule] | Rule) -> str:
        return str(self.config(rule.id).get("severity") or rule.severity)

    def payments_where(self, keep: Callable[[int | None, date], bool]) -> Iterator[PaymentState]:
        """The payments for which ``keep(contract_id, tanggal_sp2d)`` holds, in order. The engine's
        payments (:class:`monitor.context.StreamedPayments`) read those two columns of every SP2D
        first and the whole SP2D only for the few kept: most SP2Ds are for protected contracts."""
        where: Callable[[Callable[[int | None, date], bool]], Iterator[PaymentState]] | None = getattr(
            self.payments, "where", None)
        if where is not None:
            return where(keep)
        return (payment for payment in self.payments if keep(payment.contract_id, payment.tanggal_sp2d))

    def registration_for(self, contract: ContractState) -> RegistrationState | None:
        return self.registration_of(contract.id)

    def registration_of(self, contract_id: int) -> RegistrationState | None:
        """The registration linked to the contract with this id (``batal`` or not), or ``None``."""
        if self.lookups.registration is not None:
            return self.lookups.registration(contract_id)
        link = self.link_by_contract.get(contract_id)
        return None if link is None else self.registrations.get(link.registration_id)

    def contracts_with_registrations(self) -> Iterator[tuple[ContractState, RegistrationState | None]]:
        """Every contract with its linked registration (``batal`` or not) or ``None``, in order."""
        if self.lookups.pairs is not None:
            return self.lookups.pairs()
        return ((contract, self.registration_of(contract.id)) for contract in self.contracts)

    def registered_since(self, contract_id: int) -> date | None:
        """The day the contract with this id became protected: its linked registration's
        tanggal_daftar, or ``None`` if it has none or that one is ``batal``."""
        if self.lookups.registered_since is not None:
            return self.lookups.registered_since(contract_id)
        registration = self.registration_of(contract_id)
        return registration.tanggal_daftar if registration is not None and registration.valid else None


class Rule(Protocol):
    """What every rule module's class provides (see ``checks/__init__.py`` for the registry)."""

    id: ClassVar[str]
    title: ClassVar[str]
    severity: ClassVar[str]
    rationale: ClassVar[str]
    default_config: ClassVar[Mapping[str, Any]]

    def run(self, ctx: CheckContext) -> Iterator[Finding]: ...
