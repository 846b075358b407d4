"""The contract between the check engine and the rules.

A rule is a class with ``id``, ``title``, ``severity``, ``rationale``, ``default_config`` and
``run(ctx) -> Iterator[Finding]``. Rules read the :class:`CheckContext` and yield immutable
:class:`Finding`s; they never write to the database, send mail or format output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Protocol

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
