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

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, ClassVar

from checks.base import CheckContext
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
from monitor.records import ContractState, Finding, PaymentState, RegistrationState
from monitor.regulation.wording import rupiah, tanggal


class PaymentUnregistered:
    id: ClassVar[str] = "jakon.payment_unregistered"
    title: ClassVar[str] = "SP2D terbit untuk kontrak yang belum terdaftar di BPJS Ketenagakerjaan"
    severity: ClassVar[str] = "critical"
    rationale: ClassVar[str] = f"{REG_APBD}. {REG_DEADLINE}"
    default_config: ClassVar[Mapping[str, Any]] = MappingProxyType(dict(SCOPE_DEFAULTS))
    # Reads ctx.payments, streamed from the engine's connection, through payments_where() only.
    reads_payments: ClassVar[bool] = True

    def payments_wanted(self, ctx: CheckContext) -> Callable[[int | None, date], bool]:
        """Which SP2Ds this rule reads, by (contract_id, tanggal_sp2d): those of a known contract,
        issued by as_of, when the contract had no valid registration. Most SP2Ds are for registered
        contracts: only these two columns of theirs are read (and the engine can fetch the few wanted
        before the rules run in another process)."""
        as_of, registered_since = ctx.as_of, ctx.registered_since

        def unprotected(contract_id: int | None, day: date) -> bool:
            if contract_id is None or day > as_of:
                return False
            since = registered_since(contract_id)
            return since is None or since > day

        return unprotected

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        config = options(ctx, self)
        in_scope = ContractScope(config)
        severity = ctx.severity(self)
        contracts = ctx.contracts_by_id
        for payment in ctx.payments_where(self.payments_wanted(ctx)):
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
