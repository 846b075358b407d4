"""What a run that resolves findings knows about their subjects: the facts a rule's ``explain`` reads.

A rule that stops reporting a subject says nothing about why; its ``explain(facts, subject)`` looks
at the same check context and states the fact that most likely ended the finding ("registrasi
ditemukan: ..."). The lookups are built only for the subjects being resolved (one pass over the
context), never as a second index of a million contracts.

The explanations several rules share live here too (a contract gone or unlinked, an agreement
renewed, a registration linked).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from checks.base import CheckContext
from monitor.records import (
    AgreementState,
    ContractState,
    KampungState,
    PaymentState,
    RegistrationState,
    contract_subject,
)
from monitor.regulation.wording import tanggal

GONE_CONTRACT = "kontrak tidak lagi ada dalam data"
UNLINKED = "kontrak tidak lagi tertaut dengan registrasi yang berlaku"


@dataclass
class ResolutionFacts:
    """The context, and the records named by the subjects being resolved (and only those)."""

    ctx: CheckContext
    contracts: dict[str, ContractState] = field(default_factory=dict)
    payments: dict[str, PaymentState] = field(default_factory=dict)
    agreements: dict[str, AgreementState] = field(default_factory=dict)
    kampung: dict[str, KampungState] = field(default_factory=dict)

    @classmethod
    def gather(cls, ctx: CheckContext, subjects: Mapping[str, Iterable[str]]) -> ResolutionFacts:
        """``subjects``: subject kind (``Rule.subject_kind``) -> the subjects of that kind."""
        facts = cls(ctx)
        wanted = {kind: set(names) for kind, names in subjects.items()}
        contracts = wanted.get("contract")
        if contracts:
            facts.contracts = {s: c for c in ctx.contracts
                               if (s := contract_subject(c.opd, c.nomor_kontrak)) in contracts}
        numbers = wanted.get("payment")
        if numbers:
            find = getattr(ctx.payments, "find", None)
            facts.payments = (find(numbers) if find is not None
                              else {p.nomor_sp2d: p for p in ctx.payments if p.nomor_sp2d in numbers})
        if wanted.get("agreement"):
            facts.agreements = {a.nomor: a for a in ctx.agreements if a.nomor in wanted["agreement"]}
        if wanted.get("kampung"):
            facts.kampung = {k.kode_kegiatan: k for k in ctx.kampung if k.kode_kegiatan in wanted["kampung"]}
        return facts

    def registration_of(self, contract: ContractState) -> RegistrationState | None:
        """The contract's linked registration if it is valid (not ``batal``)."""
        registration = self.ctx.registration_for(contract)
        return registration if registration is not None and registration.valid else None

    def linked(self, subject: str) -> tuple[ContractState, RegistrationState] | str:
        """The contract and its valid registration, for a rule about a registered contract; where the
        contract is gone or no longer linked, the sentence that says so instead."""
        contract = self.contracts.get(subject)
        if contract is None:
            return GONE_CONTRACT
        registration = self.registration_of(contract)
        return UNLINKED if registration is None else (contract, registration)

    def registered(self, subject: str) -> str | None:
        """For a contract rule resolved by a registration: which one, and since when."""
        contract = self.contracts.get(subject)
        if contract is None:
            return GONE_CONTRACT
        registration = self.registration_of(contract)
        if registration is None:
            return None
        return (f"registrasi ditemukan: {registration.nomor_registrasi} "
                f"(didaftarkan {tanggal(registration.tanggal_daftar)})")


def agreement_renewed(facts: ResolutionFacts, subject: str) -> str | None:
    agreement = facts.agreements.get(subject)
    if agreement is None:
        return "perjanjian tidak lagi ada dalam data"
    if agreement.nomor_pengganti:
        return f"perjanjian diperpanjang dengan {agreement.nomor_pengganti}"
    if agreement.status == "diperpanjang":
        return "perjanjian tercatat diperpanjang"
    return None


def registration_linked(facts: ResolutionFacts, subject: str) -> str | None:
    registration = facts.ctx.registrations_by_number.get(subject)
    if registration is None:
        return "registrasi tidak lagi ada dalam data"
    link = facts.ctx.link_by_registration.get(registration.id)
    if link is None:
        if registration.id in facts.ctx.kampung_registration_ids:
            return "registrasi tertaut ke kegiatan Kampung Bahagia"
        return None
    contract = facts.ctx.contracts_by_id.get(link.contract_id)
    target = "" if contract is None else f" {contract.subject}"
    return f"registrasi kini tertaut ke kontrak{target} (metode {link.method})"
