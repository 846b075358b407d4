"""``jakon.premium_shortfall``: a registered contract whose premium is underpaid.

Why: a registration with too little paid is not fully in force, and an addendum that raised the value
raises the premium (BPJS recalculates it when the addendum is reported). The city pays contractors
from APBD; the premium is part of what it pays for.

Regulation: the premium (JKK + JKM, marginal tiers by contract value, PP 44/2015 jo. PP 82/2019) is
paid in full or in instalments: at least 50% with the registration, 100% before the end of the
implementation period (BPJS Ketenagakerjaan, "cara membayar iuran").

What counts: an in-scope contract with a linked registration (not ``batal``, made by the check date)
where, up to and including the current end date (latest addendum), ``iuran_dibayar`` is below 50% of
the premium required on the current value (exactly 50% is enough), and after the end date, below
100%. ``amount_at_risk`` is required − paid.

Options (``[rules."jakon.premium_shortfall"]``): ``first_instalment_percent`` (the share due with
registration, default 50), ``jenis_pekerjaan``, ``sumber_dana``.

Example finding::

    rule      jakon.premium_shortfall         severity  medium
    subject   PUPR|027/14/SPK-PUPR/III/2026   amount_at_risk  1350000
    title     Iuran Jakon kontrak 027/14/SPK-PUPR/III/2026 kurang dari 50%: dibayar Rp1.000.000 dari
              Rp2.350.000
    details   required 2350000, paid 1000000, due_now 175000, stage "cicilan_pertama", ...
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from checks.base import CheckContext, Rule, Words
from checks.common import (
    CITE_AMENDMENT,
    CITE_PREMIUM,
    REG_PREMIUM,
    SCOPE_DEFAULTS,
    ContractScope,
    OptionError,
    before_end,
    contract_details,
    end_of_works,
    has_ended,
    link_details,
    linked_contracts,
    options,
    registration_details,
)
from checks.facts import ResolutionFacts
from monitor.records import ContractState, Finding, RegistrationState
from monitor.regulation.wording import rupiah


class PremiumShortfall(Rule):
    id: ClassVar[str] = "jakon.premium_shortfall"
    title: ClassVar[str] = "Iuran Jakon kurang bayar"
    severity: ClassVar[str] = "medium"
    rationale: ClassVar[str] = REG_PREMIUM
    default_config: ClassVar[Mapping[str, Any]] = MappingProxyType(
        {**SCOPE_DEFAULTS, "first_instalment_percent": 50}
    )

    subject_kind: ClassVar[str] = "contract"
    reads: ClassVar[frozenset[str]] = frozenset({"contracts", "registrations", "links"})
    needs_end_date: ClassVar[bool] = False  # the premium on the value; an unknown end has not passed
    names = Words(
        id="Iuran Jakon kurang bayar",
        en="Jakon premium underpaid",
    )
    advice = Words(
        id=(
            "Minta penyedia melunasi kekurangan iuran (nilai berisiko) ke BPJS Ketenagakerjaan: "
            "50% saat mendaftar, 100% sebelum masa pelaksanaan berakhir."
        ),
        en=(
            "Ask the vendor to pay the missing premium (the amount at risk) to BPJS "
            "Ketenagakerjaan: 50% on registration, 100% before the implementation period ends."
        ),
    )

    def explain(self, facts: ResolutionFacts, subject: str) -> str | None:
        found = facts.linked(subject)
        if isinstance(found, str):
            return found
        contract, registration = found
        required = facts.ctx.required_premium(contract.nilai)
        return f"iuran dibayar {rupiah(registration.iuran_dibayar)} dari kewajiban {rupiah(required)}"

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> None:
        if not 0 <= config["first_instalment_percent"] <= 100:
            raise OptionError("first_instalment_percent", "must be between 0 and 100")

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        config = options(ctx, self)
        in_scope = ContractScope(config)
        share = int(config["first_instalment_percent"])
        severity = ctx.severity(self)
        as_of = ctx.as_of
        required_premium = ctx.required_premium
        for contract, registration in linked_contracts(ctx, in_scope):
            required = required_premium(contract.nilai)
            paid = registration.iuran_dibayar
            if paid >= required:
                continue
            ended = has_ended(contract, as_of)
            # Integers only: "exactly 50% paid" must not depend on rounding an odd premium.
            if not ended and paid * 100 >= required * share:
                continue
            yield self._finding(ctx, contract, registration, required, paid, share, ended, severity)

    def _finding(
        self,
        ctx: CheckContext,
        contract: ContractState,
        registration: RegistrationState,
        required: int,
        paid: int,
        share: int,
        ended: bool,
        severity: str,
    ) -> Finding:
        missing = required - paid
        nomor = contract.nomor_kontrak
        end = end_of_works(contract)
        if ended:
            due_now = missing
            title = (
                f"Iuran Jakon kontrak {nomor} belum lunas setelah masa pelaksanaan berakhir {end}: "
                f"kurang {rupiah(missing)}"
            )
            action = f"Penyedia {contract.penyedia} segera melunasi kekurangan iuran {rupiah(missing)}."
        else:
            due_now = -(-required * share // 100) - paid
            title = (
                f"Iuran Jakon kontrak {nomor} kurang dari {share}%: dibayar {rupiah(paid)} dari {rupiah(required)}"
            )
            action = (
                f"Penyedia {contract.penyedia} membayar minimal {rupiah(due_now)} sekarang agar cicilan {share}% "
                f"terpenuhi, dan melunasi sisa {rupiah(missing)} {before_end(contract)}."
            )
        details: dict[str, Any] = {
            **contract_details(contract),
            **registration_details(registration),
            **link_details(ctx, contract),
            "required": required,
            "paid": paid,
            "shortfall": missing,
            "due_now": due_now,
            "stage": "lunas" if ended else "cicilan_pertama",
            "first_instalment_percent": share,
            "regulasi": CITE_PREMIUM,
        }
        if registration.nilai_kontrak_terdaftar < contract.nilai:
            action += (
                f" Nilai terdaftar di BPJS {rupiah(registration.nilai_kontrak_terdaftar)} lebih kecil dari nilai "
                f"kontrak saat ini {rupiah(contract.nilai)}: laporkan adendum ke BPJS Ketenagakerjaan."
            )
            details["regulasi_adendum"] = CITE_AMENDMENT
        details["tindakan"] = action + f" PPK {contract.opd} memantau pembayarannya."
        return Finding(
            rule=self.id,
            subject=contract.subject,
            severity=severity,
            title=title,
            opd=contract.opd,
            amount_at_risk=missing,
            details=details,
        )
