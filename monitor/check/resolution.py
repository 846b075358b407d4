"""Why findings were resolved, in words the monev meeting can read ("registrasi ditemukan: ...").

A rule that stops reporting a subject says nothing about why; this module looks at the same check
context and states the fact that most likely ended the finding. Where no fact is clear it falls back
to "tidak lagi terdeteksi pada pemeriksaan <tanggal>", which is always true.

Resolutions come in a batch: the lookups are built only for the subjects being resolved (one pass
over the context), never as a second index of a million contracts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
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
from monitor.regulation.wording import rupiah, tanggal

# What each rule's subject names (see checks.base.Finding).
SUBJECT_KINDS = {
    "jakon.unregistered": "contract", "jakon.late_registration": "contract", "jakon.premium_shortfall": "contract",
    "jakon.coverage_gap": "contract", "jakon.payment_unregistered": "payment", "agreement.expiring": "agreement",
    "agreement.expired": "agreement", "kampung.no_sk_rt": "kampung", "kampung.unregistered": "kampung",
    "data.orphan_registration": "registration", "data.ambiguous_match": "registration",
}
_GONE_CONTRACT = "kontrak tidak lagi ada dalam data"
_UNLINKED = "kontrak tidak lagi tertaut dengan registrasi yang berlaku"


@dataclass
class _Facts:
    """What the context says about the subjects being resolved, and only those."""

    ctx: CheckContext
    contracts: dict[str, ContractState] = field(default_factory=dict)
    payments: dict[str, PaymentState] = field(default_factory=dict)
    agreements: dict[str, AgreementState] = field(default_factory=dict)
    kampung: dict[str, KampungState] = field(default_factory=dict)

    @classmethod
    def gather(cls, ctx: CheckContext, items: Sequence[tuple[str, str]]) -> _Facts:
        facts = cls(ctx)
        wanted: dict[str, set[str]] = {}
        for rule, subject in items:
            wanted.setdefault(SUBJECT_KINDS.get(rule, "other"), set()).add(subject)
        subjects = wanted.get("contract")
        if subjects:
            facts.contracts = {s: c for c in ctx.contracts if (s := contract_subject(c.opd, c.nomor_kontrak))
                               in subjects}
        numbers = wanted.get("payment")
        if numbers:
            find = getattr(ctx.payments, "find", None)
            facts.payments = (find(numbers) if find is not None
                              else {p.nomor_sp2d: p for p in ctx.payments if p.nomor_sp2d in numbers})
        if "agreement" in wanted:
            facts.agreements = {a.nomor: a for a in ctx.agreements if a.nomor in wanted["agreement"]}
        if "kampung" in wanted:
            facts.kampung = {k.kode_kegiatan: k for k in ctx.kampung if k.kode_kegiatan in wanted["kampung"]}
        return facts

    def registration_of(self, contract: ContractState) -> RegistrationState | None:
        registration = self.ctx.registration_for(contract)
        return registration if registration is not None and registration.valid else None


def _registered(facts: _Facts, subject: str) -> str | None:
    contract = facts.contracts.get(subject)
    if contract is None:
        return _GONE_CONTRACT
    registration = facts.registration_of(contract)
    if registration is None:
        return None
    return f"registrasi ditemukan: {registration.nomor_registrasi} (didaftarkan {tanggal(registration.tanggal_daftar)})"


def _late(facts: _Facts, subject: str) -> str | None:
    contract = facts.contracts.get(subject)
    if contract is None:
        return _GONE_CONTRACT
    return _UNLINKED if facts.registration_of(contract) is None else None


def _premium(facts: _Facts, subject: str) -> str | None:
    contract = facts.contracts.get(subject)
    if contract is None:
        return _GONE_CONTRACT
    registration = facts.registration_of(contract)
    if registration is None:
        return _UNLINKED
    required = facts.ctx.required_premium(contract.nilai)
    return f"iuran dibayar {rupiah(registration.iuran_dibayar)} dari kewajiban {rupiah(required)}"


def _coverage(facts: _Facts, subject: str) -> str | None:
    contract = facts.contracts.get(subject)
    if contract is None:
        return _GONE_CONTRACT
    registration = facts.registration_of(contract)
    if registration is None:
        return _UNLINKED
    return (f"masa perlindungan registrasi {registration.nomor_registrasi} sampai "
            f"{tanggal(registration.masa_akhir)}, kontrak selesai {tanggal(contract.tanggal_selesai)}")


def _payment(facts: _Facts, subject: str) -> str | None:
    payment = facts.payments.get(subject)
    if payment is None:
        return "SP2D tidak lagi ada dalam data"
    contract = None if payment.contract_id is None else facts.ctx.contracts_by_id.get(payment.contract_id)
    registration = None if contract is None else facts.registration_of(contract)
    if contract is None or registration is None:
        return None
    return (f"registrasi ditemukan untuk kontrak {contract.nomor_kontrak}: {registration.nomor_registrasi} "
            f"(didaftarkan {tanggal(registration.tanggal_daftar)})")


def _agreement(facts: _Facts, subject: str) -> str | None:
    agreement = facts.agreements.get(subject)
    if agreement is None:
        return "perjanjian tidak lagi ada dalam data"
    if agreement.nomor_pengganti:
        return f"perjanjian diperpanjang dengan {agreement.nomor_pengganti}"
    if agreement.status == "diperpanjang":
        return "perjanjian tercatat diperpanjang"
    return None


def _kampung_sk(facts: _Facts, subject: str) -> str | None:
    activity = facts.kampung.get(subject)
    if activity is None:
        return "kegiatan tidak lagi ada dalam data"
    return None if not activity.nomor_sk_rt else f"SK RT tercatat: {activity.nomor_sk_rt}"


def _kampung_registered(facts: _Facts, subject: str) -> str | None:
    activity = facts.kampung.get(subject)
    if activity is None:
        return "kegiatan tidak lagi ada dalam data"
    nomor = activity.nomor_registrasi
    registration = facts.ctx.registrations_by_number.get(nomor) if nomor else None
    if registration is None:
        return None
    return f"registrasi {registration.nomor_registrasi} tercatat, iuran dibayar {rupiah(registration.iuran_dibayar)}"


def _registration_linked(facts: _Facts, subject: str) -> str | None:
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


EXPLANATIONS: Mapping[str, Callable[[_Facts, str], str | None]] = {
    "jakon.unregistered": _registered,
    "jakon.late_registration": _late,
    "jakon.premium_shortfall": _premium,
    "jakon.coverage_gap": _coverage,
    "jakon.payment_unregistered": _payment,
    "agreement.expiring": _agreement,
    "agreement.expired": _agreement,
    "kampung.no_sk_rt": _kampung_sk,
    "kampung.unregistered": _kampung_registered,
    "data.orphan_registration": _registration_linked,
    "data.ambiguous_match": _registration_linked,
}


def resolution_reasons(
    ctx: CheckContext, *, known_rules: Collection[str], enabled_rules: Collection[str]
) -> Callable[[Sequence[tuple[str, str]]], list[str]]:
    """``reasons([(rule, subject), ...]) -> [reason, ...]`` for the findings a run resolves."""
    generic = f"tidak lagi terdeteksi pada pemeriksaan {tanggal(ctx.as_of)}"

    def reasons(items: Sequence[tuple[str, str]]) -> list[str]:
        facts = _Facts.gather(ctx, [(rule, subject) for rule, subject in items if rule in enabled_rules])
        found = []
        for rule, subject in items:
            if rule not in known_rules:
                found.append(f"aturan {rule} tidak lagi ada")
            elif rule not in enabled_rules:
                found.append(f"aturan {rule} dinonaktifkan dalam konfigurasi")
            else:
                explain = EXPLANATIONS.get(rule)
                fact = None if explain is None else explain(facts, subject)
                found.append(generic if fact is None else f"{fact}; {generic}")
        return found

    return reasons
