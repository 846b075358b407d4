"""The contract between the check run and the rules: :class:`Rule`, and the :class:`CheckContext` it reads.

A rule is one module (``checks/<area>_<name>.py``): its docstring documents it, and its class —
a subclass of :class:`Rule` — declares everything anyone else needs to know about it: its ``id``,
``severity``, ``title``, ``rationale`` (the regulation), ``names`` and ``advice`` in Indonesian and
English, the kind of thing its findings are about (``subject_kind``), the records it reads
(``reads``) and whether it needs a contract's end of works (``needs_end_date``), its options
(``default_config`` and ``validate_config``), what a resolution of it means (``explain``), and whether
BPKAD sees all of its findings (``for_bpkad``). The e-mails, the metrics, resolution and the registry's
tests read these from the class; no other module keeps a list of rules.

Rules read the :class:`CheckContext` and yield immutable :class:`Finding`s; they never write to the
database, send mail or format output.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from monitor.records import (
    AgreementState,
    Ambiguity,
    ContractState,
    Finding,
    KampungState,
    Link,
    PaymentState,
    RegistrationLookups,
    RegistrationState,
)
from monitor.regulation.premium import kampung_premium as _kampung_premium
from monitor.regulation.workdays import WorkingCalendar

if TYPE_CHECKING:
    from checks.facts import ResolutionFacts

# What a rule's findings are about (``Rule.subject_kind``); the subject names one of these.
SUBJECT_KINDS = ("contract", "payment", "agreement", "kampung", "registration")
# The records a rule may read (``Rule.reads``). ``unprotected_payments`` is the SP2Ds issued while their
# contract had no valid registration (:meth:`CheckContext.unprotected_payments`): the check run can
# fetch just those where it runs the rule; ``payments`` is every SP2D.
READS = ("contracts", "registrations", "links", "ambiguities", "payments", "unprotected_payments",
         "agreements", "kampung")


@dataclass
class CheckContext:
    """Everything a rule may read. Built by the check engine (``monitor.check.run``) from the
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
    # Working days in (a, b] on the calendar ``deadline`` counts with (weekends, holidays, cuti bersama).
    working_days_between: Callable[[date, date], int] = field(
        default_factory=lambda: WorkingCalendar().working_days_between)
    # The engine's faster ways to the same answers, over the matcher's own columns (see
    # RegistrationLookups); a context built without them answers through link_by_contract.
    lookups: RegistrationLookups = field(default_factory=RegistrationLookups)

    def config(self, rule_id: str) -> Mapping[str, Any]:
        return self.rule_config.get(rule_id, {})

    def severity(self, rule: type[Rule] | Rule) -> str:
        return str(self.config(rule.id).get("severity") or rule.severity)

    def payments_where(self, keep: Callable[[int | None, date], bool]) -> Iterator[PaymentState]:
        """The payments for which ``keep(contract_id, tanggal_sp2d)`` holds, in order. The engine's
        payments (:class:`monitor.check.context.StreamedPayments`) read those two columns of every SP2D
        first and the whole SP2D only for the few kept: most SP2Ds are for protected contracts."""
        where: Callable[[Callable[[int | None, date], bool]], Iterator[PaymentState]] | None = getattr(
            self.payments, "where", None)
        if where is not None:
            return where(keep)
        return (payment for payment in self.payments if keep(payment.contract_id, payment.tanggal_sp2d))

    def unprotected(self) -> Callable[[int | None, date], bool]:
        """``unprotected(contract_id, tanggal_sp2d)``: an SP2D of a known contract, issued by the check
        date, on a day its contract had no valid registration (none linked, ``batal``, or made later)."""
        as_of, registered_since = self.as_of, self.registered_since

        def unprotected(contract_id: int | None, day: date) -> bool:
            if contract_id is None or day > as_of:
                return False
            since = registered_since(contract_id)
            return since is None or since > day

        return unprotected

    def unprotected_payments(self) -> Iterator[PaymentState]:
        """The SP2Ds :meth:`unprotected` keeps, in order. Most SP2Ds are for protected contracts: only
        their contract and day are read (and the check run may fetch these few aside)."""
        return self.payments_where(self.unprotected())

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


@dataclass(frozen=True, slots=True)
class Words:
    """A text in each language the e-mails speak (see ``alerts.i18n``): Bahasa Indonesia and English."""

    id: str
    en: str

    def in_language(self, language: str) -> str:
        return str(getattr(self, language))


LANGUAGES = ("id", "en")


class Rule(ABC):
    """The base of every rule (see the module docstring). Subclasses set the class attributes below and
    implement :meth:`run`; :func:`checks.validate_registry` refuses a rule missing any of them."""

    id: ClassVar[str]  # area.name, lower case: jakon.unregistered
    severity: ClassVar[str]  # default; [rules."<id>"] severity overrides it
    title: ClassVar[str]  # one line, Indonesian: what the rule reports
    rationale: ClassVar[str]  # the regulation it enforces, Indonesian, cited in full
    names: ClassVar[Words]  # a short name per language, for digests, tables and metrics' readers
    advice: ClassVar[Words]  # what to do about one of its findings, per language
    subject_kind: ClassVar[str]  # one of SUBJECT_KINDS
    reads: ClassVar[frozenset[str]]  # which of READS it reads
    # A rule reading contracts says whether it needs their end of works. The check also reads contracts
    # whose end is not known yet (``tanggal_selesai`` None: an SPSE contract whose SPMK has not arrived);
    # a rule that needs it skips them, one that does not judges them by their date and value.
    needs_end_date: ClassVar[bool]
    default_config: ClassVar[Mapping[str, Any]] = MappingProxyType({})  # its own options (not enabled/severity)
    for_bpkad: ClassVar[bool] = False  # BPKAD's digest carries all of its findings, whatever their severity

    @classmethod  # noqa: B027 (an optional hook: most rules need no check beyond the option types)
    def validate_config(cls, config: Mapping[str, Any]) -> None:
        """Refuse (:class:`checks.common.OptionError`) option values of the right type it still cannot use."""

    @abstractmethod
    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        """Every finding of this rule as of ``ctx.as_of``."""

    def explain(self, facts: ResolutionFacts, subject: str) -> str | None:
        """Why a finding of this rule about ``subject`` is no longer detected, in Indonesian, from the
        facts of the run that resolves it; ``None`` where no fact is clear (the run then says only
        that it was not detected again)."""
        return None
