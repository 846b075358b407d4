"""``jakon.payment_unregistered``: BPKAD issued an SP2D for a contract with no Jakon registration.

Why: the SP2D is the moment money leaves the treasury, and BPKAD is where the city can hold payment
until the contractor proves registration. No national rule ties SP2D to proof of registration, but
provinces do it (Sulawesi Tenggara Pergub 28/2016 requires proof of BPJS payment in the SPM file), and
Inpres 2/2021 and the Mendagri letter 400.5.7/765/Keuda ask regional heads to make APBD construction
projects comply. Severity critical: BPKAD must see it before disbursing more.

What counts: an SP2D dated on or before the check date, for a known in-scope contract that had no
registration on the SP2D date: none linked, the linked one ``batal``, or registered only after the
SP2D (registering on the SP2D date itself counts as registered). An SP2D whose contract is not in the
contract data is not judged here: the import reports it.

Subject: the SP2D number. ``amount_at_risk`` is the premium required on the contract's current value
(what must be paid to put it right), or 0 once a registration exists (a later one: the premium is then
``jakon.premium_shortfall``'s to count); the SP2D's own amount is in ``details.nilai_sp2d``.

Options (``[rules."jakon.payment_unregistered"]``): ``jenis_pekerjaan``, ``sumber_dana``.

Example finding::

    rule      jakon.payment_unregistered      severity  critical
    subject   SP2D/0456/LS/BPKAD/2026         amount_at_risk  2350000
    title     SP2D SP2D/0456/LS/BPKAD/2026 sebesar Rp450.000.000 terbit 12 Mei 2026 untuk kontrak
              027/14/SPK-PUPR/III/2026 yang belum terdaftar di BPJS Ketenagakerjaan
    details   nomor_sp2d, tanggal_sp2d "2026-05-12", nilai_sp2d 450000000, required 2350000, ...
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from checks.base import CheckContext, Rule, Words
from checks.common import (
    CITE_APBD,
    CITE_DEADLINE,
    REG_APBD,
    REG_DEADLINE,
    SCOPE_DEFAULTS,
    ContractScope,
    contract_details,
    options,
    registered_by,
)
from checks.facts import ResolutionFacts
from monitor.records import ContractState, Finding, PaymentState, RegistrationState
from monitor.regulation.wording import rupiah, tanggal


class PaymentUnregistered(Rule):
    id: ClassVar[str] = "jakon.payment_unregistered"
    title: ClassVar[str] = "SP2D terbit untuk kontrak yang belum terdaftar di BPJS Ketenagakerjaan"
    severity: ClassVar[str] = "critical"
    rationale: ClassVar[str] = f"{REG_APBD}. {REG_DEADLINE}"
    default_config: ClassVar[Mapping[str, Any]] = MappingProxyType(dict(SCOPE_DEFAULTS))
    subject_kind: ClassVar[str] = "payment"
    reads: ClassVar[frozenset[str]] = frozenset({"contracts", "registrations", "links", "unprotected_payments"})
    needs_end_date: ClassVar[bool] = False  # SP2D days against the registration day
    for_bpkad: ClassVar[bool] = True  # BPKAD can still hold the next payment
    names = Words(
        id="SP2D untuk kontrak tanpa kepesertaan Jakon",
        en="SP2D for a contract without Jakon registration",
    )
    advice = Words(
        id=(
            "SP2D sudah terbit untuk kontrak yang belum terdaftar Jakon: tahan pembayaran "
            "berikutnya sampai ada bukti kepesertaan, dan konfirmasi ke PPK serta BPJS "
            "Ketenagakerjaan Cabang Jambi."
        ),
        en=(
            "An SP2D was issued for a contract without Jakon registration: hold further payments "
            "until there is proof of registration, and confirm with the PPK and BPJS "
            "Ketenagakerjaan Cabang Jambi."
        ),
    )

    def explain(self, facts: ResolutionFacts, subject: str) -> str | None:
        payment = facts.payments.get(subject)
        if payment is None:
            return "SP2D tidak lagi ada dalam data"
        contract = None if payment.contract_id is None else facts.ctx.contracts_by_id.get(payment.contract_id)
        registration = None if contract is None else facts.registration_of(contract)
        if contract is None or registration is None:
            return None
        return (f"registrasi ditemukan untuk kontrak {contract.nomor_kontrak}: {registration.nomor_registrasi} "
                f"(didaftarkan {tanggal(registration.tanggal_daftar)})")

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        config = options(ctx, self)
        in_scope = ContractScope(config)
        severity = ctx.severity(self)
        contracts = ctx.contracts_by_id
        for payment in ctx.unprotected_payments():
            contract = None if payment.contract_id is None else contracts.get(payment.contract_id)
            if contract is None or not in_scope(contract):
                continue
            yield self._finding(ctx, payment, contract, ctx.registration_of(contract.id), severity)

    def _finding(
        self,
        ctx: CheckContext,
        payment: PaymentState,
        contract: ContractState,
        registration: RegistrationState | None,
        severity: str,
    ) -> Finding:
        required = ctx.required_premium(contract.nilai)
        minimum = -(-required // 2)
        at_risk = required
        action = (
            f"BPKAD: tahan SP2D berikutnya untuk kontrak {contract.nomor_kontrak} sampai ada bukti pendaftaran "
            f"BPJS Ketenagakerjaan dan pembayaran iuran Jakon {rupiah(required)} (minimal 50% = {rupiah(minimum)}). "
            f"PPK {contract.opd}: pastikan penyedia {contract.penyedia} segera mendaftar."
        )
        details: dict[str, Any] = {
            **contract_details(contract),
            "kontrak": contract.subject,
            "nomor_sp2d": payment.nomor_sp2d,
            "tanggal_sp2d": payment.tanggal_sp2d.isoformat(),
            "nilai_sp2d": payment.nilai,
            "uraian": payment.uraian,
            "required": required,
            "minimum_payment": minimum,
            "regulasi": f"{CITE_APBD}; {CITE_DEADLINE}",
        }
        if registration is not None:
            details["nomor_registrasi"] = registration.nomor_registrasi
            details["status_registrasi"] = registration.status
            details["tanggal_daftar"] = registration.tanggal_daftar.isoformat()
            if not registration.valid:
                action += f" Registrasi {registration.nomor_registrasi} berstatus batal."
            elif registered_by(registration, ctx.as_of):
                # Registered since: the SP2D still went out unprotected, but the premium is now
                # jakon.premium_shortfall's to count, not twice.
                at_risk = 0
                action = (
                    f"Registrasi {registration.nomor_registrasi} baru dibuat {tanggal(registration.tanggal_daftar)}, "
                    f"setelah SP2D terbit. BPKAD: pastikan bukti pendaftaran BPJS Ketenagakerjaan ada sebelum "
                    f"menerbitkan SP2D; catat untuk monev."
                )
        details["tindakan"] = action
        return Finding(
            rule=self.id,
            subject=payment.nomor_sp2d,
            severity=severity,
            title=(
                f"SP2D {payment.nomor_sp2d} sebesar {rupiah(payment.nilai)} terbit {tanggal(payment.tanggal_sp2d)} "
                f"untuk kontrak {contract.nomor_kontrak} yang belum terdaftar di BPJS Ketenagakerjaan"
            ),
            opd=contract.opd,
            amount_at_risk=at_risk,
            details=details,
        )
