"""``kampung.unregistered``: a Kampung Bahagia activity whose residents are not (fully) covered.

Why: the city pays the Jakon premium for the residents doing the RT's community works (Perwal 18/2025,
Perwal 36/2025), 0.24% of the activity value. An activity that has started without a registration,
or with less paid than that, leaves them uncovered while they work.

What counts: an activity that has started (``tanggal_mulai`` plus ``grace_days`` on or before the check
date) and either has no registration (no ``nomor_registrasi``, a number BPJS's data does not have, a
``batal`` one, or one made after the check date) or one with ``iuran_dibayar`` below the required
premium (``CheckContext.kampung_premium``: 0.24% flat, rounded half up). ``amount_at_risk`` is
required − paid.

Options (``[rules."kampung.unregistered"]``): ``grace_days`` (days after the start, default 0),
``opd`` (the OPD code findings are routed to; default empty: the fallback recipients).

Example finding::

    rule      kampung.unregistered  severity  high
    subject   KB-2026-KTB-014       amount_at_risk  240000
    title     Peserta kegiatan Kampung Bahagia KB-2026-KTB-014 di RT 14 Kelurahan Kenali Asam Atas belum
              didaftarkan ke BPJS Ketenagakerjaan: iuran Rp240.000
    details   required 240000, paid 0, nomor_registrasi null, tindakan "..."
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any, ClassVar

from checks.base import CheckContext, Rule, Words
from checks.common import REG_KAMPUNG, check_non_negative, kampung_details, options, place, registered_by
from checks.facts import ResolutionFacts
from monitor.records import Finding, KampungState, RegistrationState
from monitor.regulation.wording import rupiah


class KampungUnregistered(Rule):
    id: ClassVar[str] = "kampung.unregistered"
    title: ClassVar[str] = "Peserta Kampung Bahagia belum terlindungi Jakon"
    severity: ClassVar[str] = "high"
    rationale: ClassVar[str] = REG_KAMPUNG
    default_config: ClassVar[Mapping[str, Any]] = MappingProxyType({"grace_days": 0, "opd": ""})

    subject_kind: ClassVar[str] = "kampung"
    reads: ClassVar[frozenset[str]] = frozenset({"kampung", "registrations"})
    names = Words(
        id="Kegiatan Kampung Bahagia belum terlindungi Jakon",
        en="Kampung Bahagia activity not covered by Jakon",
    )
    advice = Words(
        id=(
            "Daftarkan kegiatan ke BPJS Ketenagakerjaan (iuran Jakon 0,24% dari nilai kegiatan) "
            "dan lunasi kekurangannya."
        ),
        en=(
            "Register the activity with BPJS Ketenagakerjaan (Jakon premium 0.24% of its value) "
            "and pay what is missing."
        ),
    )

    def explain(self, facts: ResolutionFacts, subject: str) -> str | None:
        activity = facts.kampung.get(subject)
        if activity is None:
            return "kegiatan tidak lagi ada dalam data"
        nomor = activity.nomor_registrasi
        registration = facts.ctx.registrations_by_number.get(nomor) if nomor else None
        if registration is None:
            return None
        return (f"registrasi {registration.nomor_registrasi} tercatat, iuran dibayar "
                f"{rupiah(registration.iuran_dibayar)}")

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> None:
        check_non_negative(config, "grace_days")

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        config = options(ctx, self)
        grace = timedelta(days=config["grace_days"])
        opd = config["opd"] or None
        severity = ctx.severity(self)
        as_of = ctx.as_of
        by_number = ctx.registrations_by_number
        for activity in ctx.kampung:
            if activity.tanggal_mulai + grace > as_of:
                continue
            number = (activity.nomor_registrasi or "").strip()
            registration = by_number.get(number) if number else None
            required = ctx.kampung_premium(activity.nilai_kegiatan)
            covered = registered_by(registration, as_of)
            paid = registration.iuran_dibayar if covered and registration is not None else 0
            if covered and paid >= required:
                continue
            yield self._finding(activity, number, registration if covered else None, required, paid, opd, severity)

    def _finding(
        self,
        activity: KampungState,
        number: str,
        registration: RegistrationState | None,
        required: int,
        paid: int,
        opd: str | None,
        severity: str,
    ) -> Finding:
        missing = required - paid
        where = f"kegiatan Kampung Bahagia {activity.kode_kegiatan} di {place(activity)}"
        if registration is None:
            title = f"Peserta {where} belum didaftarkan ke BPJS Ketenagakerjaan: iuran {rupiah(required)}"
            action = (
                f"Daftarkan peserta (sesuai SK RT) ke BPJS Ketenagakerjaan dan bayar iuran Jakon {rupiah(required)} "
                f"(0,24% dari nilai kegiatan {rupiah(activity.nilai_kegiatan)}), lalu catat nomor registrasinya."
            )
            if number:
                action += f" Nomor registrasi {number} tidak ditemukan atau tidak berlaku di data BPJS."
        else:
            title = f"Iuran Jakon {where} kurang {rupiah(missing)}: dibayar {rupiah(paid)} dari {rupiah(required)}"
            action = f"Bayar kekurangan iuran {rupiah(missing)} untuk registrasi {registration.nomor_registrasi}."
        return Finding(
            rule=self.id,
            subject=activity.kode_kegiatan,
            severity=severity,
            title=title,
            opd=opd,
            amount_at_risk=missing,
            details={
                **kampung_details(activity),
                "nomor_registrasi": number or None,
                "registered": registration is not None,
                "required": required,
                "paid": paid,
                "shortfall": missing,
                "tindakan": action,
            },
        )
