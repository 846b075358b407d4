from __future__ import annotations

from datetime import date

from rule_fixtures import DEADLINE_DAY, NEXT_WORKING_DAY, context, contract, registration, run, subjects

from checks.jakon_late_registration import LateRegistration

AS_OF = date(2026, 6, 1)


def test_it_flags_exactly_the_registrations_made_after_the_deadline() -> None:
    contracts = [contract(i) for i in range(1, 7)]
    registrations = [
        registration(101, tanggal_daftar=DEADLINE_DAY),  # on the deadline day: on time
        registration(102, tanggal_daftar=NEXT_WORKING_DAY),  # one day late
        registration(103, tanggal_daftar=date(2026, 5, 4), status="batal"),  # cancelled: no registration at all
        registration(104, tanggal_daftar=date(2026, 5, 4), status="berakhir"),  # late, since ended
        registration(105, tanggal_daftar=date(2026, 3, 20)),  # early
    ]
    links = [(1, 101), (2, 102), (3, 103), (4, 104), (5, 105)]  # contract 6: unregistered, another rule
    findings = run(LateRegistration, context(AS_OF, contracts=contracts, registrations=registrations, links=links))
    assert subjects(findings) == ["PUPR|027/2/SPK-PUPR/III/2026", "PUPR|027/4/SPK-PUPR/III/2026"]


def test_the_finding_says_how_late_and_when() -> None:
    ctx = context(
        AS_OF,
        contracts=[contract(1)],
        registrations=[registration(101, tanggal_daftar=date(2026, 4, 10))],
        links=[(1, 101)],
    )
    [finding] = run(LateRegistration, ctx)
    assert finding.severity == "low"
    assert finding.amount_at_risk == 0
    assert finding.title == (
        "Kontrak 027/1/SPK-PUPR/III/2026 didaftarkan ke BPJS Ketenagakerjaan terlambat 3 hari "
        "(batas 7 April 2026, didaftarkan 10 April 2026)"
    )
    assert finding.details["deadline"] == "2026-04-07"
    assert finding.details["tanggal_daftar"] == "2026-04-10"
    assert finding.details["days_late"] == 3
    assert finding.details["nomor_registrasi"] == "JK-2026-0000101"
    assert finding.details["link_method"] == "exact"


def test_a_registration_after_the_check_date_is_not_judged_yet() -> None:
    ctx = context(
        date(2026, 4, 9),
        contracts=[contract(1)],
        registrations=[registration(101, tanggal_daftar=date(2026, 4, 10))],
        links=[(1, 101)],
    )
    assert run(LateRegistration, ctx) == []


def test_tolerance_and_severity_are_configurable() -> None:
    registrations = [
        registration(101, tanggal_daftar=date(2026, 4, 9)),
        registration(102, tanggal_daftar=date(2026, 4, 10)),
    ]
    config = {"jakon.late_registration": {"tolerance_days": 2, "severity": "medium"}}
    ctx = context(
        AS_OF, contracts=[contract(1), contract(2)], registrations=registrations, links=[(1, 101), (2, 102)],
        config=config,
    )
    [finding] = run(LateRegistration, ctx)
    assert finding.subject == "PUPR|027/2/SPK-PUPR/III/2026"
    assert finding.severity == "medium"


def test_out_of_scope_contracts_are_ignored() -> None:
    ctx = context(
        AS_OF,
        contracts=[contract(1, sumber_dana="APBN")],
        registrations=[registration(101, tanggal_daftar=date(2026, 5, 1))],
        links=[(1, 101)],
    )
    assert run(LateRegistration, ctx) == []
