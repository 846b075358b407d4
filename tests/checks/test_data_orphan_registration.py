from __future__ import annotations

import dataclasses
from datetime import date

from rule_fixtures import activity, context, contract, registration, run, subjects

from checks.data_orphan_registration import OrphanRegistration
from monitor.records import Ambiguity, Link

AS_OF = date(2026, 6, 1)


def test_it_flags_exactly_the_registrations_nothing_claims() -> None:
    registrations = [
        registration(101),  # linked to contract 1
        registration(102, nomor_kontrak="027/14/SPK-PUPR/III/2O26"),  # an orphan, with a typo
        registration(103, status="batal"),  # cancelled: nobody cares
        registration(104),  # a Kampung Bahagia registration
        registration(105),  # waiting on a human (data.ambiguous_match)
        registration(106, tanggal_daftar=date(2026, 6, 2)),  # made after the check date
        registration(107),  # superseded by 108 for contract 2
        registration(108),
        registration(109, status="berakhir"),  # an ended orphan is still an orphan
    ]
    ctx = context(
        AS_OF,
        contracts=[contract(1), contract(2), contract(3), contract(4)],
        registrations=registrations,
        links=[Link(1, 101, "exact", 1.0), Link(2, 108, "normalized", 0.98, {"superseded": [107]})],
        kampung=[activity(1, nomor_registrasi="JK-2026-0000104")],
        ambiguous=[Ambiguity(105, (3, 4), 0.9)],
    )
    assert subjects(run(OrphanRegistration, ctx)) == ["JK-2026-0000102", "JK-2026-0000109"]


def test_the_finding_shows_what_the_contractor_typed_and_how_to_link_it() -> None:
    typo = registration(102, nomor_kontrak="027/14/SPK-PUPR/III/2O26")
    finding, blank = run(OrphanRegistration, context(AS_OF, registrations=[typo, registration(103)]))
    assert finding.subject == "JK-2026-0000102"
    assert finding.severity == "low"
    assert finding.opd is None
    assert finding.title == (
        "Registrasi Jakon JK-2026-0000102 (Proyek 102, KARYA ABADI, PT) tidak cocok dengan kontrak APBD mana pun"
    )
    assert finding.details["nomor_kontrak_bpjs"] == "027/14/SPK-PUPR/III/2O26"
    assert "('027/14/SPK-PUPR/III/2O26')" in finding.details["tindakan"]
    assert "pantau match confirm OPD NOMOR_KONTRAK JK-2026-0000102" in finding.details["tindakan"]
    assert blank.details["nomor_kontrak_bpjs"] is None
    assert "(kosong)" in blank.details["tindakan"]


def test_superseded_registrations_may_be_named_by_number_and_severity_is_configurable() -> None:
    ctx = context(
        AS_OF,
        contracts=[contract(1)],
        registrations=[registration(101), registration(102), registration(103)],
        links=[Link(1, 102, "npwp", 0.95, {"superseded": ["JK-2026-0000101"]})],
        config={"data.orphan_registration": {"severity": "medium"}},
    )
    [finding] = run(OrphanRegistration, ctx)
    assert (finding.subject, finding.severity) == ("JK-2026-0000103", "medium")


def test_the_matchers_list_of_superseded_registrations_stands_for_the_links_details() -> None:
    """The engine hands the rule the matcher's superseded registration ids: the same orphans, without
    reading every link's details."""
    registrations = [registration(101), registration(107), registration(108), registration(110)]
    ctx = context(AS_OF, contracts=[contract(1), contract(2)], registrations=registrations,
                  links=[Link(1, 101, "exact", 1.0), Link(2, 108, "normalized", 0.98)])
    assert subjects(run(OrphanRegistration, ctx)) == ["JK-2026-0000107", "JK-2026-0000110"]

    told = dataclasses.replace(ctx, superseded_registration_ids=frozenset({107}))
    assert subjects(run(OrphanRegistration, told)) == ["JK-2026-0000110"]
