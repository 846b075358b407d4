"""``jakon.deadline_near``: an APBD construction contract whose registration deadline is today or a few
working days away, with no Jakon registration yet.

Why: this is the warning before the harm. ``jakon.unregistered`` speaks once the deadline has passed
and the workers are already uncovered; this rule tells the PPK while there is still time to have the
contractor register and pay the first instalment.

Regulation: the project must be registered for JKK and JKM at the latest 14 working days after the
SPK (Permenaker 44/2015 jo. Permenaker 5/2021; PP 44/2015 jo. PP 82/2019 art. 53); the premium may be
paid in instalments, at least 50% with the registration (BPJS Ketenagakerjaan).

What counts: an in-scope contract (the ``jenis_pekerjaan`` and ``sumber_dana`` options, as for
``jakon.unregistered``) with no linked registration that is not ``batal`` and was made by the check
date, whose deadline (``CheckContext.deadline``: the same calendar and day count as
``jakon.unregistered``) is the check date itself or at most ``working_days`` working days after it.
The finding ends when the contract is registered, or when the deadline passes (from the next day
``jakon.unregistered`` reports the contract); its resolution says which.

Options (``[rules."jakon.deadline_near"]``): ``working_days`` (how far ahead to warn, default 3),
``jenis_pekerjaan``, ``sumber_dana``.

Example finding::

    rule      jakon.deadline_near             severity  medium
    subject   PUPR|027/14/SPK-PUPR/III/2026   amount_at_risk  2350000
    title     Kontrak 027/14/SPK-PUPR/III/2026 belum didaftarkan ke BPJS Ketenagakerjaan: batas
              pendaftaran 7 April 2026, 2 hari kerja lagi
    details   deadline "2026-04-07", working_days_left 2, required 2350000, minimum_payment 1175000,
              tindakan "PPK PUPR memastikan penyedia ... mendaftar sebelum 7 April 2026 ..."
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any, ClassVar

from checks.base import CheckContext, Rule, Words
from checks.common import (
    CITE_DEADLINE,
    CITE_PREMIUM,
    REG_DEADLINE,
    SCOPE_DEFAULTS,
    ContractScope,
    check_non_negative,
    contract_details,
    options,
    registered_by,
)
from checks.facts import GONE_CONTRACT, ResolutionFacts
from checks.jakon_unregistered import Unregistered
from monitor.records import ContractState, Finding
from monitor.regulation.wording import rupiah, tanggal

_DAY = timedelta(days=1)


class DeadlineNear(Rule):
    id: ClassVar[str] = "jakon.deadline_near"
    title: ClassVar[str] = "Batas pendaftaran Jakon kontrak APBD sudah dekat dan belum terdaftar"
    severity: ClassVar[str] = "medium"
    rationale: ClassVar[str] = REG_DEADLINE
    default_config: ClassVar[Mapping[str, Any]] = MappingProxyType({**SCOPE_DEFAULTS, "working_days": 3})
    subject_kind: ClassVar[str] = "contract"
    reads: ClassVar[frozenset[str]] = frozenset({"contracts", "registrations", "links"})
    needs_end_date: ClassVar[bool] = False  # the deadline runs from the contract (or SPMK) date
    names = Words(
        id="Batas pendaftaran Jakon sudah dekat",
        en="Jakon registration deadline approaching",
    )
    advice = Words(
        id=(
            "Minta penyedia mendaftarkan proyek ke BPJS Ketenagakerjaan (JKK dan JKM) sebelum batas "
            "tanggalnya dan membayar iuran, paling sedikit 50% saat mendaftar."
        ),
        en=(
            "Ask the vendor to register the project with BPJS Ketenagakerjaan (JKK and JKM) before the "
            "deadline and pay the premium, at least 50% on registration."
        ),
    )

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> None:
        check_non_negative(config, "working_days")

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        config = options(ctx, self)
        in_scope = ContractScope(config)
        window = config["working_days"]
        severity = ctx.severity(self)
        as_of, deadline_of, working_days = ctx.as_of, ctx.deadline, ctx.working_days_between
        # The last day with at most `window` working days left: a deadline is near when it falls in
        # [as_of, last] (working days left grow with the date), so the calendar is walked once per run,
        # not per contract. Past deadlines are jakon.unregistered's.
        last = as_of
        while working_days(as_of, last + _DAY) <= window:
            last += _DAY
        for contract, registration in ctx.contracts_with_registrations():
            if registered_by(registration, as_of) or not in_scope(contract):
                continue
            deadline = deadline_of(contract)
            if as_of <= deadline <= last:
                yield self._finding(ctx, contract, deadline, working_days(as_of, deadline), severity)

    def _finding(self, ctx: CheckContext, contract: ContractState, deadline: date, left: int,
                 severity: str) -> Finding:
        required = ctx.required_premium(contract.nilai)
        minimum = -(-required // 2)
        when = "hari ini" if left == 0 else f"{left} hari kerja lagi"
        return Finding(
            rule=self.id,
            subject=contract.subject,
            severity=severity,
            title=(
                f"Kontrak {contract.nomor_kontrak} belum didaftarkan ke BPJS Ketenagakerjaan: batas pendaftaran "
                f"{tanggal(deadline)}, {when}"
            ),
            opd=contract.opd,
            amount_at_risk=required,
            details={
                **contract_details(contract),
                "deadline": deadline.isoformat(),
                "working_days_left": left,
                "required": required,
                "minimum_payment": minimum,
                "regulasi": CITE_DEADLINE,
                "ketentuan_iuran": CITE_PREMIUM,
                "tindakan": (
                    f"PPK {contract.opd} memastikan penyedia {contract.penyedia} mendaftarkan proyek ke BPJS "
                    f"Ketenagakerjaan paling lambat {tanggal(deadline)} ({when}) dan membayar iuran Jakon "
                    f"{rupiah(required)}, minimal 50% = {rupiah(minimum)} saat pendaftaran."
                ),
            },
        )

    def explain(self, facts: ResolutionFacts, subject: str) -> str | None:
        contract = facts.contracts.get(subject)
        if contract is None:
            return GONE_CONTRACT
        if facts.registration_of(contract) is not None:
            return facts.registered(subject)
        deadline = facts.ctx.deadline(contract)
        if facts.ctx.as_of > deadline:
            return (f"batas pendaftaran {tanggal(deadline)} terlewat tanpa registrasi; kontrak kini dilaporkan "
                    f"sebagai {Unregistered.id}")
        return None
