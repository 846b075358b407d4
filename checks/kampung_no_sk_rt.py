"""``kampung.no_sk_rt``: a Kampung Bahagia activity running without a valid SK RT.

Why: under Perwal 18/2025 the residents who take part in an RT's community works are covered by Jakon,
but only those the RT head names in a decree (SK Ketua RT). Without it, or with one issued after the
work began, BPJS cannot process the cover of whoever was hurt before it.

What counts: an activity that has started (``tanggal_mulai`` on or before the check date) with no
``nomor_sk_rt``, or with a ``tanggal_sk_rt`` after ``tanggal_mulai`` (an SK dated the start day itself
is fine). An SK with a number but no date is taken as valid: nothing shows it is late.

Options (``[rules."kampung.no_sk_rt"]``): ``opd`` (the OPD code the findings are routed to, e.g. the
agency that coordinates Kampung Bahagia; default empty: the fallback recipients).

Example finding::

    rule      kampung.no_sk_rt      severity  medium
    subject   KB-2026-KTB-014       amount_at_risk  0
    title     Kegiatan Kampung Bahagia KB-2026-KTB-014 di RT 14 Kelurahan Kenali Asam Atas berjalan
              sejak 3 Agustus 2026 tanpa SK RT
    details   problem "tanpa_sk", tanggal_mulai "2026-08-03", tindakan "Ketua RT 14 ..."
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from checks.base import CheckContext, Rule, Words
from checks.common import REG_KAMPUNG, kampung_details, options, place
from checks.facts import ResolutionFacts
from monitor.records import Finding
from monitor.regulation.wording import tanggal


class KampungNoSkRt(Rule):
    id: ClassVar[str] = "kampung.no_sk_rt"
    title: ClassVar[str] = "Kegiatan Kampung Bahagia tanpa SK RT yang sah"
    severity: ClassVar[str] = "medium"
    rationale: ClassVar[str] = REG_KAMPUNG
    default_config: ClassVar[Mapping[str, Any]] = MappingProxyType({"opd": ""})

    subject_kind: ClassVar[str] = "kampung"
    reads: ClassVar[frozenset[str]] = frozenset({"kampung"})
    names = Words(
        id="Kegiatan Kampung Bahagia tanpa SK RT",
        en="Kampung Bahagia activity without SK RT",
    )
    advice = Words(
        id=(
            "Minta Ketua RT menerbitkan SK yang memuat nama warga peserta sebelum kegiatan "
            "dimulai (Perwal 18/2025); tanpa SK, kepesertaan tidak dapat diproses."
        ),
        en=(
            "Ask the RT head to issue the SK naming the participating residents before the work "
            "starts (Perwal 18/2025); without it their cover cannot be processed."
        ),
    )

    def explain(self, facts: ResolutionFacts, subject: str) -> str | None:
        activity = facts.kampung.get(subject)
        if activity is None:
            return "kegiatan tidak lagi ada dalam data"
        return None if not activity.nomor_sk_rt else f"SK RT tercatat: {activity.nomor_sk_rt}"

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        config = options(ctx, self)
        opd = config["opd"] or None
        severity = ctx.severity(self)
        as_of = ctx.as_of
        for activity in ctx.kampung:
            if activity.tanggal_mulai > as_of:
                continue
            started = tanggal(activity.tanggal_mulai)
            if not (activity.nomor_sk_rt or "").strip():
                problem = "tanpa_sk"
                title = (
                    f"Kegiatan Kampung Bahagia {activity.kode_kegiatan} di {place(activity)} berjalan sejak "
                    f"{started} tanpa SK RT"
                )
            elif activity.tanggal_sk_rt is not None and activity.tanggal_sk_rt > activity.tanggal_mulai:
                problem = "sk_setelah_mulai"
                title = (
                    f"SK RT kegiatan Kampung Bahagia {activity.kode_kegiatan} di {place(activity)} bertanggal "
                    f"{tanggal(activity.tanggal_sk_rt)}, setelah kegiatan mulai {started}"
                )
            else:
                continue
            yield Finding(
                rule=self.id,
                subject=activity.kode_kegiatan,
                severity=severity,
                title=title,
                opd=opd,
                amount_at_risk=0,
                details={
                    **kampung_details(activity),
                    "problem": problem,
                    "tindakan": (
                        f"Ketua RT {activity.rt} menerbitkan SK yang memuat nama seluruh peserta kegiatan, berlaku "
                        f"sejak kegiatan dimulai {started}, dan menyerahkannya ke BPJS Ketenagakerjaan; tanpa SK "
                        f"perlindungan peserta tidak dapat diproses."
                    ),
                },
            )
