from __future__ import annotations

from datetime import date

from rule_fixtures import DEADLINE_DAY, NEXT_WORKING_DAY, context, contract, registration, run, subjects

from checks.jakon_unregistered import Unregistered
from monitor.records import Ambiguity


def test_it_flags_exactly_the_contracts_past_their_deadline_with_no_valid_registration() -> None:
    contracts = [
        contract(1),  # never registered
        contract(2),  # registered (late, but registered: not this rule)
        contract(3),  # its only registration was cancelled
        contract(4, tanggal_kontrak=date(2026, 3, 11)),  # deadline 8 April: not yet
        contract(5, sumber_dana="APBN"),  # not the city's money
        contract(6, jenis_pekerjaan="konsultansi"),  # supervision works are covered too
        contract(7, sumber_dana="APBD Perubahan"),
    ]
    registrations = [registration(102, tanggal_daftar=date(2026, 4, 8)), registration(103, status="batal")]
    ctx = context(NEXT_WORKING_DAY, contracts=contracts, registrations=registrations, links=[(2, 102), (3, 103)])
    assert subjects(run(Unregistered, ctx)) == [
        "PUPR|027/1/SPK-PUPR/III/2026",
        "PUPR|027/3/SPK-PUPR/III/2026",
        "PUPR|027/6/SPK-PUPR/III/2026",
        "PUPR|027/7/SPK-PUPR/III/2026",
    ]


def test_the_deadline_day_itself_is_not_late_across_idul_fitri() -> None:
    # Signed 10 March 2026; the 14 working days skip the cuti bersama of 18–24 March: deadline 7 April.
    assert run(Unregistered, context(DEADLINE_DAY, contracts=[contract(1)])) == []
    [finding] = run(Unregistered, context(NEXT_WORKING_DAY, contracts=[contract(1)]))
    assert finding.subject == "PUPR|027/1/SPK-PUPR/III/2026"
    assert finding.opd == "PUPR"
    assert finding.severity == "high"
    assert finding.amount_at_risk == 2_350_000
    assert finding.title == (
        "Kontrak 027/1/SPK-PUPR/III/2026 belum didaftarkan ke BPJS Ketenagakerjaan: batas 7 April 2026 "
        "terlewat 1 hari"
    )
    details = finding.details
    assert details["deadline"] == "2026-04-07"
    assert details["days_overdue"] == 1
    assert (details["required"], details["paid"], details["minimum_payment"]) == (2_350_000, 0, 1_175_000)
    assert details["nomor_kontrak"] == "027/1/SPK-PUPR/III/2026"
    assert details["tanggal_kontrak"] == "2026-03-10"
    assert "Rp2.350.000" in details["tindakan"] and "Rp1.175.000" in details["tindakan"]
    assert "30 September 2026" in details["tindakan"]
    # The finding cites the regulation by name; its text (the 14 working days) is the rule's rationale.
    assert details["regulasi"].startswith("Permenaker 44/2015 jo. Permenaker 5/2021")
    assert "14 hari kerja" in Unregistered.rationale
    assert len(details["regulasi"]) < 100


def test_the_premium_at_risk_is_on_the_value_of_the_latest_addendum() -> None:
    amended = contract(1, nilai=75_000_000, adendum="ADD-01")
    [finding] = run(Unregistered, context(NEXT_WORKING_DAY, contracts=[amended]))
    assert finding.amount_at_risk == 180_000
    assert finding.details["adendum"] == "ADD-01"


def test_a_cancelled_registration_does_not_count_and_is_named() -> None:
    ctx = context(
        NEXT_WORKING_DAY, contracts=[contract(1)], registrations=[registration(101, status="batal")], links=[(1, 101)]
    )
    [finding] = run(Unregistered, ctx)
    assert finding.details["nomor_registrasi"] == "JK-2026-0000101"
    assert finding.details["status_registrasi"] == "batal"
    assert "berstatus batal" in finding.details["tindakan"]


def test_a_registration_made_after_the_check_date_does_not_count_yet() -> None:
    late = registration(101, tanggal_daftar=date(2026, 4, 20))
    ctx = context(NEXT_WORKING_DAY, contracts=[contract(1)], registrations=[late], links=[(1, 101)])
    assert len(run(Unregistered, ctx)) == 1
    ctx = context(date(2026, 4, 20), contracts=[contract(1)], registrations=[late], links=[(1, 101)])
    assert run(Unregistered, ctx) == []


def test_grace_days_and_jenis_in_scope_are_configurable() -> None:
    contracts = [contract(1), contract(2, jenis_pekerjaan="konsultansi")]
    config = {"jakon.unregistered": {"grace_days": 3, "jenis_pekerjaan": ["konstruksi"]}}
    assert run(Unregistered, context(date(2026, 4, 10), contracts=contracts, config=config)) == []
    findings = run(Unregistered, context(date(2026, 4, 11), contracts=contracts, config=config))
    assert subjects(findings) == ["PUPR|027/1/SPK-PUPR/III/2026"]


def test_severity_comes_from_the_configuration() -> None:
    config = {"jakon.unregistered": {"severity": "critical"}}
    [finding] = run(Unregistered, context(NEXT_WORKING_DAY, contracts=[contract(1)], config=config))
    assert finding.severity == "critical"


def test_registrations_the_matcher_could_not_decide_on_are_suggested() -> None:
    ctx = context(
        NEXT_WORKING_DAY,
        contracts=[contract(1), contract(2)],
        registrations=[registration(101)],
        ambiguous=[Ambiguity(101, (1, 2), 0.9)],
    )
    findings = run(Unregistered, ctx)
    assert [f.details["kandidat_registrasi"] for f in findings] == [["JK-2026-0000101"], ["JK-2026-0000101"]]
    assert "pantau match confirm PUPR 027/1/SPK-PUPR/III/2026" in findings[0].details["tindakan"]


def test_after_the_end_of_the_work_the_whole_premium_is_due_at_once() -> None:
    [finding] = run(Unregistered, context(date(2026, 10, 1), contracts=[contract(1)]))
    assert finding.details["minimum_payment"] == 2_350_000
    assert "Rp2.350.000 sekaligus (masa pelaksanaan berakhir 30 September 2026)" in finding.details["tindakan"]
