"""``jakon.unregistered``: an APBD construction contract past its registration deadline with no
Jakon registration.

Why: workers on a project that is not registered have no JKK/JKM cover; an accident on site falls on
the worker's family. This is the finding the monev Jakon meeting (BPJS Cabang Jambi, BPKAD, Disnaker,
the PPKs) reviews first.

Regulation: the project must be registered for JKK and JKM at the latest 14 working days after the
SPK (Permenaker 44/2015; BPJS applies the same under Permenaker 5/2021; PP 44/2015 jo. PP 82/2019
art. 53). Inpres 2/2021 and the Mendagri letter 400.5.7/765/Keuda make it the city's business.

What counts: an in-scope contract (``jenis_pekerjaan`` and ``sumber_dana`` options) whose deadline
(``CheckContext.deadline``: working days after the configured start field) is before the check date
and which has no linked registration that is not ``batal`` and was made by the check date. On the
deadline day itself the contract is not yet reported; from the next day on it is.
``amount_at_risk`` is the premium required on the contract's current value.

Options (``[rules."jakon.unregistered"]``): ``grace_days`` (calendar days after the deadline before
reporting, default 0), ``jenis_pekerjaan`` (default konstruksi and konsultansi: planning and
supervision works are covered too), ``sumber_dana`` (prefixes, default APBD).

Example finding::

    rule      jakon.unregistered              severity  high
    subject   PUPR|027/14/SPK-PUPR/III/2026   amount_at_risk  2350000
    title     Kontrak 027/14/SPK-PUPR/III/2026 belum didaftarkan ke BPJS Ketenagakerjaan: batas
              7 April 2026 terlewat 8 hari
    details   deadline "2026-04-07", days_overdue 8, required 2350000, minimum_payment 1175000,
              tindakan "PPK PUPR memastikan penyedia ... membayar iuran Jakon Rp2.350.000 ..."
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
    before_end,
    check_non_negative,
    contract_details,
    end_of_works,
    has_ended,
    options,
    registered_by,
)
from checks.facts import ResolutionFacts
from monitor.records import ContractState, Finding, RegistrationState
from monitor.regulation.wording import rupiah, tanggal


class Unregistered(Rule):
    id: ClassVar[str] = "jakon.unregistered"
    title: ClassVar[str] = "Kontrak APBD belum didaftarkan ke BPJS Ketenagakerjaan (Jakon) setelah batas waktu"
    severity: ClassVar[str] = "high"
    rationale: ClassVar[str] = REG_DEADLINE
    default_config: ClassVar[Mapping[str, Any]] = MappingProxyType({**SCOPE_DEFAULTS, "grace_days": 0})

    subject_kind: ClassVar[str] = "contract"
    reads: ClassVar[frozenset[str]] = frozenset({"contracts", "registrations", "links", "ambiguities"})
    needs_end_date: ClassVar[bool] = False  # the deadline runs from the contract (or SPMK) date
    names = Words(
        id="Kontrak belum terdaftar Jakon",
        en="Contract not registered for Jakon",
    )
    advice = Words(
        id=(
            "Minta penyedia segera mendaftarkan proyek ke BPJS Ketenagakerjaan (program Jakon: "
            "JKK dan JKM) dan membayar iuran, paling sedikit 50% saat mendaftar; simpan bukti "
            "kepesertaan di berkas kontrak."
        ),
        en=(
            "Ask the vendor to register the project with BPJS Ketenagakerjaan (Jakon: JKK and "
            "JKM) now and pay the premium, at least 50% on registration; keep the proof in the "
            "contract file."
        ),
    )

    def explain(self, facts: ResolutionFacts, subject: str) -> str | None:
        return facts.registered(subject)

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> None:
        check_non_negative(config, "grace_days")

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        config = options(ctx, self)
        in_scope = ContractScope(config)
        grace = timedelta(days=config["grace_days"])
        severity = ctx.severity(self)
        as_of = ctx.as_of
        deadline_of = ctx.deadline
        candidates = _ambiguous_candidates(ctx)
        for contract, registration in ctx.contracts_with_registrations():
            if registered_by(registration, as_of) or not in_scope(contract):
                continue
            deadline = deadline_of(contract)
            if as_of <= deadline + grace:
                continue
            yield self._finding(ctx, contract, deadline, registration, candidates.get(contract.id), severity)

    def _finding(
        self,
        ctx: CheckContext,
        contract: ContractState,
        deadline: date,
        registration: RegistrationState | None,
        candidates: list[str] | None,
        severity: str,
    ) -> Finding:
        required = ctx.required_premium(contract.nilai)
        days = (ctx.as_of - deadline).days
        nomor = contract.nomor_kontrak
        action = (
            f"PPK {contract.opd} memastikan penyedia {contract.penyedia} segera mendaftarkan proyek ke BPJS "
            f"Ketenagakerjaan dan membayar iuran Jakon {rupiah(required)} "
        )
        if has_ended(contract, ctx.as_of):
            # The instalment window has closed with the implementation period: all of it is due now.
            minimum = required
            action += f"sekaligus (masa pelaksanaan berakhir {end_of_works(contract)})."
        else:
            minimum = -(-required // 2)
            action += f"(minimal 50% = {rupiah(minimum)} saat pendaftaran, lunas {before_end(contract)})."
        details: dict[str, Any] = {
            **contract_details(contract),
            "deadline": deadline.isoformat(),
            "days_overdue": days,
            "required": required,
            "paid": 0,
            "minimum_payment": minimum,
            "regulasi": CITE_DEADLINE,
            "ketentuan_iuran": CITE_PREMIUM,
        }
        if registration is not None:
            # Linked, but it protects nobody: cancelled, or (checking a past date) not made yet.
            details["nomor_registrasi"] = registration.nomor_registrasi
            details["status_registrasi"] = registration.status
            if not registration.valid:
                action += f" Registrasi {registration.nomor_registrasi} berstatus batal dan tidak melindungi pekerja."
        if candidates:
            details["kandidat_registrasi"] = candidates
            action += (
                f" Ada registrasi yang mungkin milik kontrak ini ({', '.join(candidates)}): bila benar, "
                f"tautkan dengan `pantau match confirm {contract.opd} {nomor} NOMOR_REGISTRASI`."
            )
        details["tindakan"] = action
        return Finding(
            rule=self.id,
            subject=contract.subject,
            severity=severity,
            title=(
                f"Kontrak {nomor} belum didaftarkan ke BPJS Ketenagakerjaan: batas {tanggal(deadline)} "
                f"terlewat {days} hari"
            ),
            opd=contract.opd,
            amount_at_risk=required,
            details=details,
        )


def _ambiguous_candidates(ctx: CheckContext) -> dict[int, list[str]]:
    """Contract id -> registrations the matcher could not decide between (few: a dict is cheap)."""
    found: dict[int, list[str]] = {}
    for ambiguity in ctx.ambiguous:
        registration = ctx.registrations.get(ambiguity.registration_id)
        if registration is None or not registration.valid:
            continue
        for contract_id in ambiguity.contract_ids:
            found.setdefault(contract_id, []).append(registration.nomor_registrasi)
    return found
