"""``data.ambiguous_match``: a registration fits two or more contracts equally well.

Why: the matcher never guesses. When one short contract number exists in two OPDs and vendor, NPWP and
value do not tell them apart (or a typo turned one contract's number into another's), linking either
would risk calling an unregistered contract registered. A person decides, once; the decision survives
every later run.

What counts: every ambiguity the matcher reports (``CheckContext.ambiguous``) whose registration is not
``batal``. The subject is the registration's number; the finding goes to the OPD when all candidates
belong to one, else to the fallback recipients.

Options: none besides ``enabled`` and ``severity``.

Example finding::

    rule      data.ambiguous_match  severity  medium
    subject   JK-2026-0012345       amount_at_risk  0
    title     Registrasi Jakon JK-2026-0012345 cocok sama kuat dengan 2 kontrak (PUPR|10/SPK/2026,
              PERKIM|10/SPK/2026): perlu keputusan manual
    details   candidates [{"subject": "PUPR|10/SPK/2026", ...}, ...], score 0.91, tindakan "..."
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from checks.base import CheckContext, Rule, Words
from checks.common import iso, registration_details
from checks.facts import ResolutionFacts, registration_linked
from monitor.records import Finding


class AmbiguousMatch(Rule):
    id: ClassVar[str] = "data.ambiguous_match"
    title: ClassVar[str] = "Registrasi Jakon cocok dengan lebih dari satu kontrak"
    severity: ClassVar[str] = "medium"
    rationale: ClassVar[str] = (
        "Pantau tidak menebak: bila dua kontrak sama-sama cocok, petugas memutuskan tautannya agar kontrak yang "
        "belum terdaftar tidak dianggap terdaftar"
    )
    default_config: ClassVar[Mapping[str, Any]] = MappingProxyType({})

    subject_kind: ClassVar[str] = "registration"
    reads: ClassVar[frozenset[str]] = frozenset({"ambiguities", "registrations", "contracts"})
    needs_end_date: ClassVar[bool] = False  # the matcher's candidates, by number, vendor and value
    names = Words(
        id="Pasangan kontrak dan registrasi meragukan",
        en="Ambiguous contract and registration match",
    )
    advice = Words(
        id=(
            "Tentukan pasangan yang benar dengan `pantau match confirm` atau `pantau match "
            "reject`."
        ),
        en="Decide the right pair with `pantau match confirm` or `pantau match reject`.",
    )

    def explain(self, facts: ResolutionFacts, subject: str) -> str | None:
        return registration_linked(facts, subject)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        severity = ctx.severity(self)
        for ambiguity in ctx.ambiguous:
            registration = ctx.registrations.get(ambiguity.registration_id)
            if registration is None or not registration.valid:
                continue
            contracts = [c for c in map(ctx.contracts_by_id.get, ambiguity.contract_ids) if c is not None]
            opds = {c.opd for c in contracts}
            candidates = [
                {
                    "subject": c.subject,
                    "opd": c.opd,
                    "nomor_kontrak": c.nomor_kontrak,
                    "nama_paket": c.nama_paket,
                    "penyedia": c.penyedia,
                    "nilai_kontrak": c.nilai,
                    "tanggal_kontrak": iso(c.tanggal_kontrak),
                }
                for c in contracts
            ]
            names = ", ".join(c.subject for c in contracts)
            nomor = registration.nomor_registrasi
            yield Finding(
                rule=self.id,
                subject=nomor,
                severity=severity,
                title=(
                    f"Registrasi Jakon {nomor} cocok sama kuat dengan {len(ambiguity.contract_ids)} kontrak "
                    f"({names}): perlu keputusan manual"
                ),
                opd=opds.pop() if len(opds) == 1 else None,
                amount_at_risk=0,
                details={
                    **registration_details(registration),
                    "nomor_kontrak_bpjs": registration.nomor_kontrak,
                    "penyedia": registration.penyedia,
                    "npwp_penyedia": registration.npwp_penyedia,
                    "candidates": candidates,
                    "score": ambiguity.score,
                    "tindakan": (
                        f"Tentukan kontrak yang benar untuk registrasi {nomor}, lalu jalankan "
                        f"`pantau match confirm OPD NOMOR_KONTRAK {nomor}` (dan `pantau match reject OPD "
                        f"NOMOR_KONTRAK {nomor}` untuk kandidat yang salah)."
                    ),
                },
            )
