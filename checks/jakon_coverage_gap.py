"""``jakon.coverage_gap``: the registration's cover stops before the work does.

Why: an addendum that extends the contract must be reported to BPJS, which extends the coverage period
(and recalculates the premium). When nobody reports it, the last weeks of the work, often the busiest,
run without cover, and nobody notices until there is an accident.

Regulation: amendments that change the value or the period must be reported to BPJS Ketenagakerjaan;
coverage follows the contract period as amended (PP 44/2015 jo. PP 82/2019; Permenaker 5/2021; BPJS
process manual).

What counts, for an in-scope contract with a linked registration (not ``batal``, made by the check
date):

- ``masa_akhir`` is before the contract's current end date (latest addendum); a ``masa_akhir`` equal to
  the end date is fine;
- or the registration's status is ``berakhir`` while the work goes on (check date up to and including
  the current end date).

A contract whose end of works is not known yet (an SPSE contract whose SPMK has not arrived) is
skipped: the rule needs the end (``needs_end_date``) and judges the contract once it is known.

One finding per contract, listing every reason. ``amount_at_risk`` is 0: any extra premium is
``jakon.premium_shortfall``'s business.

Options (``[rules."jakon.coverage_gap"]``): ``jenis_pekerjaan``, ``sumber_dana``.

Example finding::

    rule      jakon.coverage_gap              severity  medium
    subject   PUPR|027/14/SPK-PUPR/III/2026   amount_at_risk  0
    title     Perlindungan Jakon kontrak 027/14/SPK-PUPR/III/2026 berakhir 30 September 2026, sebelum
              pekerjaan selesai 30 November 2026
    details   reasons ["masa_akhir"], masa_akhir "2026-09-30", tanggal_selesai "2026-11-30", gap_days 61
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, ClassVar

from checks.base import CheckContext, Rule, Words
from checks.common import (
    CITE_AMENDMENT,
    REG_AMENDMENT,
    SCOPE_DEFAULTS,
    ContractScope,
    contract_details,
    end_of_works,
    link_details,
    linked_contracts,
    options,
    registration_details,
)
from checks.facts import ResolutionFacts
from monitor.records import ContractState, Finding, RegistrationState
from monitor.regulation.wording import tanggal


class CoverageGap(Rule):
    id: ClassVar[str] = "jakon.coverage_gap"
    title: ClassVar[str] = "Masa perlindungan Jakon tidak menutup masa pelaksanaan kontrak"
    severity: ClassVar[str] = "medium"
    rationale: ClassVar[str] = REG_AMENDMENT
    default_config: ClassVar[Mapping[str, Any]] = MappingProxyType(dict(SCOPE_DEFAULTS))

    subject_kind: ClassVar[str] = "contract"
    reads: ClassVar[frozenset[str]] = frozenset({"contracts", "registrations", "links"})
    needs_end_date: ClassVar[bool] = True  # the cover must last until the works end
    names = Words(
        id="Masa perlindungan Jakon tidak menutup masa kontrak",
        en="Jakon coverage does not span the contract",
    )
    advice = Words(
        id=(
            "Laporkan adendum atau perpanjangan waktu ke BPJS Ketenagakerjaan agar masa "
            "kepesertaan diperpanjang dan iuran dihitung ulang."
        ),
        en=(
            "Report the amendment or extension to BPJS Ketenagakerjaan so the coverage period is "
            "extended and the premium recalculated."
        ),
    )

    def explain(self, facts: ResolutionFacts, subject: str) -> str | None:
        found = facts.linked(subject)
        if isinstance(found, str):
            return found
        contract, registration = found
        return (f"masa perlindungan registrasi {registration.nomor_registrasi} sampai "
                f"{tanggal(registration.masa_akhir)}, kontrak selesai {end_of_works(contract)}")

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        config = options(ctx, self)
        in_scope = ContractScope(config)
        severity = ctx.severity(self)
        as_of = ctx.as_of
        for contract, registration in linked_contracts(ctx):
            end = contract.tanggal_selesai
            if end is None:
                continue  # not known yet: neither a gap nor cover to spare can be told
            short = registration.masa_akhir < end
            ended_early = registration.status == "berakhir" and as_of <= end
            if (short or ended_early) and in_scope(contract):
                yield self._finding(ctx, contract, registration, end, short, ended_early, severity)

    def _finding(
        self,
        ctx: CheckContext,
        contract: ContractState,
        registration: RegistrationState,
        ends: date,
        short: bool,
        ended_early: bool,
        severity: str,
    ) -> Finding:
        nomor = contract.nomor_kontrak
        end = tanggal(ends)
        reasons = [name for name, hit in (("masa_akhir", short), ("status_berakhir", ended_early)) if hit]
        if short:
            title = (
                f"Perlindungan Jakon kontrak {nomor} berakhir {tanggal(registration.masa_akhir)}, sebelum "
                f"pekerjaan selesai {end}"
            )
        else:
            title = (
                f"Registrasi Jakon {registration.nomor_registrasi} kontrak {nomor} berstatus berakhir, "
                f"padahal pekerjaan berjalan sampai {end}"
            )
        amendment = f"adendum {contract.adendum}" if contract.adendum else "perubahan masa pelaksanaan"
        gap_days = max(0, (ends - registration.masa_akhir).days)
        return Finding(
            rule=self.id,
            subject=contract.subject,
            severity=severity,
            title=title,
            opd=contract.opd,
            amount_at_risk=0,
            details={
                **contract_details(contract),
                **registration_details(registration),
                **link_details(ctx, contract),
                "reasons": reasons,
                "gap_days": gap_days,
                "regulasi": CITE_AMENDMENT,
                "tindakan": (
                    f"Penyedia {contract.penyedia} melaporkan {amendment} ke BPJS Ketenagakerjaan dan memperpanjang "
                    f"masa kepesertaan registrasi {registration.nomor_registrasi} sampai {end} (membayar selisih "
                    f"iuran bila nilai berubah); PPK {contract.opd} meminta bukti perpanjangannya."
                ),
            },
        )
