"""``data.orphan_registration``: a BPJS Jakon registration that belongs to no known contract or activity.

Why: usually the contractor typed the contract number wrongly (or left it blank) and the matcher could
not place it, so a registered contract shows as unregistered; sometimes it is a project that is not
APBD-funded. Either way a person should look: a manual link fixes the first, an acknowledgement the
second.

What counts: a registration that is not ``batal``, was made by the check date, and is linked to no
contract (``CheckContext.link_by_registration``), to no Kampung Bahagia activity
(``kampung_registration_ids``), is not waiting on a human in ``data.ambiguous_match``, and was not
superseded by a newer registration of its contract (the matcher lists those in a link's
``details["superseded"]``, by registration id or number).

Options: none besides ``enabled`` and ``severity``.

Example finding::

    rule      data.orphan_registration   severity  low
    subject   JK-2026-0012345            amount_at_risk  0
    title     Registrasi Jakon JK-2026-0012345 (Rehab Drainase Jl. Sumantri, KARYA ABADI, PT) tidak cocok
              dengan kontrak APBD mana pun
    details   nomor_kontrak_bpjs "027/14/SPK-PUPR/III/2O26", nilai_terdaftar 1500000000, tindakan "..."
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from checks.base import CheckContext, Rule, Words
from checks.common import registration_details
from checks.facts import ResolutionFacts, registration_linked
from monitor.records import Finding

TINDAKAN = (
    "Periksa nomor kontrak yang tercatat di BPJS{typed}. Jika ini proyek APBD Kota Jambi, tautkan manual dengan "
    "`pantau match confirm OPD NOMOR_KONTRAK {nomor}`; jika bukan proyek APBD, tandai temuan ini (ack) dengan "
    "catatan."
)


def _superseded(ctx: CheckContext) -> Collection[int | str]:
    """The superseded registrations: their ids, or their numbers as the links' details list them."""
    if ctx.superseded_registration_ids is not None:
        return ctx.superseded_registration_ids
    found: set[int | str] = set()
    for link in ctx.link_by_contract.values():
        if link.details:
            found.update(link.details.get("superseded") or ())
    return found


class OrphanRegistration(Rule):
    id: ClassVar[str] = "data.orphan_registration"
    title: ClassVar[str] = "Registrasi Jakon tanpa kontrak atau kegiatan yang cocok"
    severity: ClassVar[str] = "low"
    rationale: ClassVar[str] = (
        "Registrasi yang tidak tertaut membuat kontrak yang sebenarnya terdaftar tampak belum terdaftar; "
        "biasanya nomor kontrak salah ketik atau kosong di data BPJS"
    )
    default_config: ClassVar[Mapping[str, Any]] = MappingProxyType({})

    subject_kind: ClassVar[str] = "registration"
    reads: ClassVar[frozenset[str]] = frozenset({"registrations", "links", "ambiguities", "kampung"})
    names = Words(
        id="Registrasi BPJS tanpa kontrak",
        en="BPJS registration without a contract",
    )
    advice = Words(
        id=(
            "Periksa nomor kontrak pada pendaftaran BPJS; bila ini kontrak APBD, hubungkan dengan "
            "`pantau match confirm`."
        ),
        en=(
            "Check the contract number on the BPJS registration; if it is an APBD contract, link "
            "it with `pantau match confirm`."
        ),
    )

    def explain(self, facts: ResolutionFacts, subject: str) -> str | None:
        return registration_linked(facts, subject)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        severity = ctx.severity(self)
        as_of = ctx.as_of
        linked = ctx.link_by_registration
        kampung = ctx.kampung_registration_ids
        waiting = {ambiguity.registration_id for ambiguity in ctx.ambiguous}
        superseded = _superseded(ctx)
        for registration in ctx.registrations.values():
            rid = registration.id
            if rid in linked or rid in kampung or rid in waiting or not registration.valid:
                continue
            if registration.tanggal_daftar > as_of:
                continue
            if superseded and (rid in superseded or registration.nomor_registrasi in superseded):
                continue
            typed = registration.nomor_kontrak
            yield Finding(
                rule=self.id,
                subject=registration.nomor_registrasi,
                severity=severity,
                title=(
                    f"Registrasi Jakon {registration.nomor_registrasi} ({registration.nama_proyek}, "
                    f"{registration.penyedia}) tidak cocok dengan kontrak APBD mana pun"
                ),
                opd=None,
                amount_at_risk=0,
                details={
                    **registration_details(registration),
                    "nomor_kontrak_bpjs": typed,
                    "nama_proyek": registration.nama_proyek,
                    "penyedia": registration.penyedia,
                    "npwp_penyedia": registration.npwp_penyedia,
                    "tindakan": TINDAKAN.format(
                        typed=f" ('{typed}')" if typed else " (kosong)", nomor=registration.nomor_registrasi
                    ),
                },
            )
