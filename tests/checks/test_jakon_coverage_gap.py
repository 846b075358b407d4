from __future__ import annotations

from datetime import date

from rule_fixtures import context, contract, registration, run, subjects

from checks.jakon_coverage_gap import CoverageGap

DURING = date(2026, 6, 1)
END = date(2026, 11, 30)  # extended by addendum from 30 September


def test_it_flags_cover_ending_before_the_amended_end_date() -> None:
    contracts = [contract(i, tanggal_selesai=END, adendum="ADD-01") for i in range(1, 5)]
    registrations = [
        registration(101, masa_akhir=END),  # extension reported: fine
        registration(102, masa_akhir=date(2026, 11, 29)),  # one day short
        registration(103, masa_akhir=date(2026, 9, 30), status="batal"),  # cancelled: not this rule
        registration(104, masa_akhir=date(2026, 12, 31)),  # longer than needed: fine
    ]
    links = [(1, 101), (2, 102), (3, 103), (4, 104)]
    findings = run(CoverageGap, context(DURING, contracts=contracts, registrations=registrations, links=links))
    assert subjects(findings) == ["PUPR|027/2/SPK-PUPR/III/2026"]
    [finding] = findings
    assert finding.severity == "medium"
    assert finding.amount_at_risk == 0
    assert finding.title == (
        "Perlindungan Jakon kontrak 027/2/SPK-PUPR/III/2026 berakhir 29 November 2026, sebelum pekerjaan "
        "selesai 30 November 2026"
    )
    assert finding.details["reasons"] == ["masa_akhir"]
    assert finding.details["gap_days"] == 1
    assert finding.details["masa_akhir"] == "2026-11-29"
    assert finding.details["tanggal_selesai"] == "2026-11-30"
    assert "adendum ADD-01" in finding.details["tindakan"]


def test_a_registration_marked_berakhir_while_work_goes_on() -> None:
    contracts = [contract(1, tanggal_selesai=END)]
    ended = [registration(101, masa_akhir=END, status="berakhir")]
    [finding] = run(CoverageGap, context(END, contracts=contracts, registrations=ended, links=[(1, 101)]))
    assert finding.details["reasons"] == ["status_berakhir"]
    assert finding.title == (
        "Registrasi Jakon JK-2026-0000101 kontrak 027/1/SPK-PUPR/III/2026 berstatus berakhir, padahal pekerjaan "
        "berjalan sampai 30 November 2026"
    )
    # Once the work is over, a registration that has ended is just history.
    after = context(date(2026, 12, 1), contracts=contracts, registrations=ended, links=[(1, 101)])
    assert run(CoverageGap, after) == []


def test_both_reasons_make_one_finding() -> None:
    ctx = context(
        DURING,
        contracts=[contract(1, tanggal_selesai=END)],
        registrations=[registration(101, masa_akhir=date(2026, 9, 30), status="berakhir")],
        links=[(1, 101)],
    )
    [finding] = run(CoverageGap, ctx)
    assert finding.details["reasons"] == ["masa_akhir", "status_berakhir"]
    assert finding.details["gap_days"] == 61


def test_severity_and_scope_are_configurable() -> None:
    contracts = [contract(1, tanggal_selesai=END), contract(2, tanggal_selesai=END, jenis_pekerjaan="konsultansi")]
    registrations = [registration(101), registration(102)]
    config = {"jakon.coverage_gap": {"severity": "high", "jenis_pekerjaan": ["konsultansi"]}}
    ctx = context(DURING, contracts=contracts, registrations=registrations, links=[(1, 101), (2, 102)], config=config)
    [finding] = run(CoverageGap, ctx)
    assert finding.subject == "PUPR|027/2/SPK-PUPR/III/2026"
    assert finding.severity == "high"
