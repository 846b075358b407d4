from __future__ import annotations

from datetime import date

from rule_fixtures import agreement, context, run, subjects

from checks.agreement_expired import AgreementExpired

END = date(2025, 5, 25)


def test_it_flags_exactly_the_ended_agreements_without_a_recorded_renewal() -> None:
    agreements = [
        agreement(1, tanggal_berakhir=END),  # ended three days ago
        agreement(2, tanggal_berakhir=END, status="diperpanjang"),
        agreement(3, tanggal_berakhir=END, nomor_pengganti="B/045/BPJS-JBI/V/2025"),
        agreement(4, tanggal_berakhir=date(2025, 5, 28)),  # its last day: still expiring, not expired
        agreement(5, tanggal_berakhir=date(2026, 1, 1), status="berakhir"),  # terminated early
    ]
    findings = run(AgreementExpired, context(date(2025, 5, 28), agreements=agreements))
    assert subjects(findings) == ["B/001/BPJS-JBI/V/2025", "B/005/BPJS-JBI/V/2025"]


def test_the_day_after_the_end_date_it_has_expired() -> None:
    assert run(AgreementExpired, context(END, agreements=[agreement(1, tanggal_berakhir=END)])) == []
    [finding] = run(AgreementExpired, context(date(2025, 5, 26), agreements=[agreement(1, tanggal_berakhir=END)]))
    assert finding.severity == "high"
    assert finding.title == (
        "Perjanjian B/001/BPJS-JBI/V/2025 (Perlindungan Jaminan Sosial Ketenagakerjaan) telah berakhir "
        "25 Mei 2025 tanpa perpanjangan tercatat"
    )
    assert finding.details["days_since_end"] == 1
    assert "nomor perjanjian pengganti" in finding.details["tindakan"]


def test_severity_comes_from_the_configuration() -> None:
    ctx = context(
        date(2025, 6, 1), agreements=[agreement(1, tanggal_berakhir=END)],
        config={"agreement.expired": {"severity": "critical"}},
    )
    assert [f.severity for f in run(AgreementExpired, ctx)] == ["critical"]
