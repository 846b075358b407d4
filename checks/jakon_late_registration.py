"""``jakon.late_registration``: a contract registered with BPJS, but after its deadline.

Why: between the deadline and the registration date the workers had no JKK/JKM cover. The contract is
protected now, so this is a record for the monev meeting and a prompt to the PPK to demand proof of
registration earlier on the next contract, not an emergency.

Regulation: registration at the latest 14 working days after the SPK (Permenaker 44/2015; BPJS under
Permenaker 5/2021).

What counts: an in-scope contract whose linked registration (not ``batal``, made by the check date)
has ``tanggal_daftar`` after the deadline. Registering on the deadline day itself is on time; the next
day is late. A ``batal`` registration is no registration: ``jakon.unregistered`` reports it instead.

Options (``[rules."jakon.late_registration"]``): ``tolerance_days`` (calendar days after the deadline
still accepted, default 0), ``jenis_pekerjaan``, ``sumber_dana`` (as for ``jakon.unregistered``).

Example finding::

    rule      jakon.late_registration         severity  low
    subject   PUPR|027/14/SPK-PUPR/III/2026   amount_at_risk  0
    title     Kontrak 027/14/SPK-PUPR/III/2026 didaftarkan ke BPJS Ketenagakerjaan terlambat 3 hari
              (batas 7 April 2026, didaftarkan 10 April 2026)
    details   deadline "2026-04-07", tanggal_daftar "2026-04-10", days_late 3, nomor_registrasi ...
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any, ClassVar

from checks.base import CheckContext, Rule, Words
from checks.common import (
    CITE_DEADLINE,
    REG_DEADLINE,
    SCOPE_DEFAULTS,
    ContractScope,
    check_non_negative,
    contract_details,
    link_details,
    linked_contracts,
    options,
    registration_details,
)
from checks.facts import ResolutionFacts
from monitor.records import Finding
from monitor.regulation.wording import tanggal


class LateRegistration(Rule):
    id: ClassVar[str] = "jakon.late_registration"
    title: ClassVar[str] = "Kontrak didaftarkan ke BPJS Ketenagakerjaan setelah batas waktu"
    severity: ClassVar[str] = "low"
    rationale: ClassVar[str] = REG_DEADLINE
    default_config: ClassVar[Mapping[str, Any]] = MappingProxyType({**SCOPE_DEFAULTS, "tolerance_days": 0})

    subject_kind: ClassVar[str] = "contract"
    reads: ClassVar[frozenset[str]] = frozenset({"contracts", "registrations", "links"})
    needs_end_date: ClassVar[bool] = False  # registration day against the deadline
    names = Words(
        id="Pendaftaran Jakon terlambat",
        en="Late Jakon registration",
    )
    advice = Words(
        id=(
            "Pendaftaran sudah ada tetapi melewati batas 14 hari kerja setelah SPK: pastikan "
            "iuran lunas dan ingatkan PPK agar kontrak berikutnya didaftarkan tepat waktu."
        ),
        en=(
            "Registered, but after the 14-working-day deadline from the SPK: make sure the "
            "premium is paid and remind the PPK to register the next contracts on time."
        ),
    )

    def explain(self, facts: ResolutionFacts, subject: str) -> str | None:
        found = facts.linked(subject)
        return found if isinstance(found, str) else None

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> None:
        check_non_negative(config, "tolerance_days")

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        config = options(ctx, self)
        in_scope = ContractScope(config)
        tolerance = timedelta(days=config["tolerance_days"])
        severity = ctx.severity(self)
        deadline_of = ctx.deadline
        for contract, registration in linked_contracts(ctx, in_scope):
            deadline = deadline_of(contract)
            if registration.tanggal_daftar <= deadline + tolerance:
                continue
            days = (registration.tanggal_daftar - deadline).days
            yield Finding(
                rule=self.id,
                subject=contract.subject,
                severity=severity,
                title=(
                    f"Kontrak {contract.nomor_kontrak} didaftarkan ke BPJS Ketenagakerjaan terlambat {days} hari "
                    f"(batas {tanggal(deadline)}, didaftarkan {tanggal(registration.tanggal_daftar)})"
                ),
                opd=contract.opd,
                amount_at_risk=0,
                details={
                    **contract_details(contract),
                    **registration_details(registration),
                    **link_details(ctx, contract),
                    "deadline": deadline.isoformat(),
                    "days_late": days,
                    "regulasi": CITE_DEADLINE,
                    "tindakan": (
                        f"Pekerja tidak terlindungi selama {days} hari setelah batas pendaftaran. Catat untuk "
                        f"monev; PPK {contract.opd} agar mensyaratkan bukti pendaftaran BPJS Ketenagakerjaan "
                        f"paling lambat 14 hari kerja setelah SPK pada kontrak berikutnya."
                    ),
                },
            )
