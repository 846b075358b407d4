"""``agreement.expired``: an MoU or PKS with BPJS Ketenagakerjaan has ended and no renewal is recorded.

Why: without a running agreement the city's BPJS cooperation (Perwal 36/2025 premium payments, data
exchange, monev) has no basis. Either the agreement was renewed and Pantau was not told (record the
status ``diperpanjang`` or the successor's number), or nobody renewed it.

What counts: status ``berakhir``, or ``tanggal_berakhir`` before the check date (the end date is the last
valid day, so on it the agreement is still ``agreement.expiring``), with no renewal recorded (status
``diperpanjang`` or a ``nomor_pengganti``).

Options: none besides ``enabled`` and ``severity``.

Example finding::

    rule      agreement.expired     severity  high
    subject   B/045/BPJS-JBI/V/2023 amount_at_risk  0
    title     Perjanjian B/045/BPJS-JBI/V/2023 (MoU Perlindungan Jaminan Sosial Ketenagakerjaan) telah
              berakhir 25 Mei 2025 tanpa perpanjangan tercatat
    details   tanggal_berakhir "2025-05-25", days_since_end 3, tindakan "..."
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from checks.agreement_expiring import REG_AGREEMENT, agreement_details, counterparty, ended, renewed
from checks.base import CheckContext, Rule, Words
from checks.facts import ResolutionFacts, agreement_renewed
from monitor.records import Finding
from monitor.regulation.wording import tanggal


class AgreementExpired(Rule):
    id: ClassVar[str] = "agreement.expired"
    title: ClassVar[str] = "Perjanjian kerja sama telah berakhir tanpa perpanjangan"
    severity: ClassVar[str] = "high"
    rationale: ClassVar[str] = REG_AGREEMENT
    default_config: ClassVar[Mapping[str, Any]] = MappingProxyType({})

    subject_kind: ClassVar[str] = "agreement"
    reads: ClassVar[frozenset[str]] = frozenset({"agreements"})
    names = Words(
        id="Perjanjian sudah berakhir",
        en="Agreement expired",
    )
    advice = Words(
        id=(
            "Perjanjian berakhir tanpa perpanjangan tercatat: perpanjang segera, atau catat nomor "
            "penggantinya bila sudah diperpanjang."
        ),
        en=(
            "The agreement ended with no renewal recorded: renew it now, or record the replacing "
            "number if it was renewed."
        ),
    )

    def explain(self, facts: ResolutionFacts, subject: str) -> str | None:
        return agreement_renewed(facts, subject)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        severity = ctx.severity(self)
        as_of = ctx.as_of
        for agreement in ctx.agreements:
            if renewed(agreement) or not ended(agreement, as_of):
                continue
            yield Finding(
                rule=self.id,
                subject=agreement.nomor,
                severity=severity,
                title=(
                    f"Perjanjian {agreement.nomor} ({agreement.judul}) telah berakhir "
                    f"{tanggal(agreement.tanggal_berakhir)} tanpa perpanjangan tercatat"
                ),
                opd=agreement.opd,
                amount_at_risk=0,
                details={
                    **agreement_details(agreement),
                    "days_since_end": max(0, (as_of - agreement.tanggal_berakhir).days),
                    "tindakan": (
                        f"Segera perbarui perjanjian dengan {counterparty(agreement)}. Jika sudah "
                        f"diperpanjang, catat status 'diperpanjang' atau nomor perjanjian pengganti pada data "
                        f"perjanjian agar temuan ini selesai."
                    ),
                },
            )
