from __future__ import annotations

from datetime import date

from rule_fixtures import context, contract, registration, run, subjects

from checks.data_ambiguous_match import AmbiguousMatch
from monitor.records import Ambiguity

AS_OF = date(2026, 6, 1)


def test_one_finding_per_undecided_registration_not_cancelled() -> None:
    contracts = [
        contract(1, nomor_kontrak="10/SPK/2026"),
        contract(2, opd="PERKIM", nomor_kontrak="10/SPK/2026"),
        contract(3),
        contract(4),
    ]
    registrations = [registration(101), registration(102, status="batal"), registration(103)]
    ambiguous = [Ambiguity(101, (1, 2), 0.91), Ambiguity(102, (3, 4), 0.9), Ambiguity(103, (3, 4), 0.88)]
    ctx = context(AS_OF, contracts=contracts, registrations=registrations, ambiguous=ambiguous)
    findings = run(AmbiguousMatch, ctx)
    assert subjects(findings) == ["JK-2026-0000101", "JK-2026-0000103"]
    across, within = findings
    assert across.title == (
        "Registrasi Jakon JK-2026-0000101 cocok sama kuat dengan 2 kontrak (PUPR|10/SPK/2026, PERKIM|10/SPK/2026): "
        "perlu keputusan manual"
    )
    assert across.opd is None  # two OPDs: the fallback recipients decide
    assert within.opd == "PUPR"
    assert across.severity == "medium"
    assert [c["subject"] for c in across.details["candidates"]] == ["PUPR|10/SPK/2026", "PERKIM|10/SPK/2026"]
    assert across.details["candidates"][0]["nilai_kontrak"] == 1_500_000_000
    assert across.details["score"] == 0.91
    assert "pantau match confirm OPD NOMOR_KONTRAK JK-2026-0000101" in across.details["tindakan"]


def test_severity_comes_from_the_configuration() -> None:
    ctx = context(
        AS_OF, contracts=[contract(1), contract(2)], registrations=[registration(101)],
        ambiguous=[Ambiguity(101, (1, 2), 0.9)], config={"data.ambiguous_match": {"severity": "high"}},
    )
    assert [f.severity for f in run(AmbiguousMatch, ctx)] == ["high"]
