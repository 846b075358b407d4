"""``agreement.expiring``: an MoU or PKS with BPJS Ketenagakerjaan is about to end with no renewal.

Why: the city's cooperation with BPJS (data exchange, the Perwal 36/2025 premium payments for
construction and vulnerable workers, the monev meetings) rests on agreements with end dates. The MoU
ended on 25 May 2025 and was renewed only on 28 May 2025: three days without one. Renewal takes
weeks of drafting and signatures, so warnings start early and grow louder.

What counts: an agreement that has not ended (status not ``berakhir``, ``tanggal_berakhir`` on or after
the check date; the end date is the last valid day) with no renewal recorded (status
``diperpanjang``, or a ``nomor_pengganti``), and ``tanggal_berakhir`` within the widest warning window.
The finding's severity is that of the narrowest window the end date falls in: with the defaults,
90 days left → low, 60 → medium, 30 → high, 7 (down to the last day) → critical; 91 days left →
nothing yet. After the end date ``agreement.expired`` takes over.

Options (``[rules."agreement.expiring"]``): ``windows`` (days before the end, default
``[90, 60, 30, 7]``) and ``window_severities`` (one severity per window, in the same order, default
``["low", "medium", "high", "critical"]``). A ``severity`` set for the rule overrides the windows'.

Example finding::

    rule      agreement.expiring    severity  high
    subject   B/123/BPJS-JBI/V/2025 amount_at_risk  0
    title     Perjanjian B/123/BPJS-JBI/V/2025 (MoU Perlindungan Jaminan Sosial Ketenagakerjaan)
              berakhir 28 Mei 2027, 25 hari lagi, belum ada perpanjangan
    details   tanggal_berakhir "2027-05-28", days_left 25, window 30, tindakan "..."
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, ClassVar

from checks.base import CheckContext, Rule, Words
from checks.common import OptionError, check_severity, iso, options
from checks.facts import ResolutionFacts, agreement_renewed
from monitor.records import AgreementState, Finding
from monitor.regulation.wording import tanggal

REG_AGREEMENT = (
    "Kerja sama Pemerintah Kota Jambi dengan BPJS Ketenagakerjaan (MoU/PKS) menjadi dasar perlindungan "
    "pekerja yang iurannya dibayar Pemkot (Perwal Kota Jambi 36/2025) dan pertukaran data kepesertaan"
)


def renewed(agreement: AgreementState) -> bool:
    """A renewal is recorded: status ``diperpanjang`` or a successor agreement's number."""
    return agreement.status.casefold() == "diperpanjang" or bool((agreement.nomor_pengganti or "").strip())


def ended(agreement: AgreementState, as_of: date) -> bool:
    """Status ``berakhir``, or past its last valid day."""
    return agreement.status.casefold() == "berakhir" or agreement.tanggal_berakhir < as_of


def counterparty(agreement: AgreementState) -> str:
    """``"Disnaker; BPJS Ketenagakerjaan"`` -> ``"Disnaker dan BPJS Ketenagakerjaan"``."""
    names = [name.strip() for name in (agreement.pihak or "").split(";") if name.strip()]
    if not names:
        return "BPJS Ketenagakerjaan"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} dan {names[-1]}"


def agreement_details(agreement: AgreementState) -> dict[str, Any]:
    return {
        "nomor": agreement.nomor,
        "jenis": agreement.jenis,
        "judul": agreement.judul,
        "pihak": agreement.pihak,
        "opd": agreement.opd,
        "tanggal_mulai": iso(agreement.tanggal_mulai),
        "tanggal_berakhir": agreement.tanggal_berakhir.isoformat(),
        "status": agreement.status,
        "nomor_pengganti": agreement.nomor_pengganti,
        "regulasi": REG_AGREEMENT,
    }


class AgreementExpiring(Rule):
    id: ClassVar[str] = "agreement.expiring"
    title: ClassVar[str] = "Perjanjian kerja sama segera berakhir tanpa perpanjangan"
    severity: ClassVar[str] = "medium"
    rationale: ClassVar[str] = REG_AGREEMENT
    default_config: ClassVar[Mapping[str, Any]] = MappingProxyType(
        {"windows": (90, 60, 30, 7), "window_severities": ("low", "medium", "high", "critical")}
    )

    subject_kind: ClassVar[str] = "agreement"
    reads: ClassVar[frozenset[str]] = frozenset({"agreements"})
    names = Words(
        id="Perjanjian akan berakhir",
        en="Agreement ending soon",
    )
    advice = Words(
        id=(
            "Siapkan perpanjangan perjanjian sebelum tanggal berakhir, lalu catat status "
            "diperpanjang atau nomor penggantinya."
        ),
        en=(
            "Prepare the renewal before the end date, then record it (status diperpanjang or the "
            "new number)."
        ),
    )

    def explain(self, facts: ResolutionFacts, subject: str) -> str | None:
        return agreement_renewed(facts, subject)

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> None:
        windows, severities = config["windows"], config["window_severities"]
        if not windows:
            raise OptionError("windows", "give at least one window")
        for days in windows:
            if isinstance(days, bool) or not isinstance(days, int) or days < 0:
                raise OptionError("windows", f"{days!r} is not a number of days")
        if len(severities) != len(windows):
            raise OptionError("window_severities", f"give one severity per window ({len(windows)})")
        for severity in severities:
            check_severity("window_severities", severity)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        config = options(ctx, self)
        # Narrowest window first: the first one the days left fit in gives the severity.
        windows = sorted(zip(config["windows"], config["window_severities"], strict=True))
        widest = windows[-1][0]
        override = ctx.config(self.id).get("severity")
        as_of = ctx.as_of
        for agreement in ctx.agreements:
            if renewed(agreement) or ended(agreement, as_of):
                continue
            days_left = (agreement.tanggal_berakhir - as_of).days
            if days_left > widest:
                continue
            window, severity = next((w, s) for w, s in windows if days_left <= w)
            when = "hari ini" if days_left == 0 else f"{days_left} hari lagi"
            yield Finding(
                rule=self.id,
                subject=agreement.nomor,
                severity=str(override or severity),
                title=(
                    f"Perjanjian {agreement.nomor} ({agreement.judul}) berakhir {tanggal(agreement.tanggal_berakhir)}, "
                    f"{when}, belum ada perpanjangan"
                ),
                opd=agreement.opd,
                amount_at_risk=0,
                details={
                    **agreement_details(agreement),
                    "days_left": days_left,
                    "window": window,
                    "tindakan": (
                        f"Mulai proses perpanjangan dengan {counterparty(agreement)} sekarang, "
                        f"sebelum {tanggal(agreement.tanggal_berakhir)}; setelah ditandatangani, catat status "
                        f"'diperpanjang' atau nomor perjanjian pengganti agar peringatan ini berhenti."
                    ),
                },
            )
