from __future__ import annotations

from datetime import date, timedelta

import pytest
from rule_fixtures import agreement, context, run

from checks.agreement_expiring import AgreementExpiring

END = date(2027, 5, 27)


def _severity_at(days_left: int, **config: object) -> str | None:
    ctx = context(END - timedelta(days=days_left), agreements=[agreement(1)], config={"agreement.expiring": config})
    findings = run(AgreementExpiring, ctx)
    assert len(findings) <= 1
    return findings[0].severity if findings else None


@pytest.mark.parametrize(
    ("days_left", "severity"),
    [
        (91, None), (90, "low"), (61, "low"), (60, "medium"), (31, "medium"), (30, "high"),
        (8, "high"), (7, "critical"), (1, "critical"), (0, "critical"), (-1, None),
    ],
)
def test_severity_rises_at_each_window_edge(days_left: int, severity: str | None) -> None:
    assert _severity_at(days_left) == severity


def test_the_finding_names_the_agreement_and_the_days_left() -> None:
    [finding] = run(AgreementExpiring, context(END - timedelta(days=25), agreements=[agreement(1)]))
    assert finding.subject == "B/001/BPJS-JBI/V/2025"
    assert finding.opd is None
    assert finding.title == (
        "Perjanjian B/001/BPJS-JBI/V/2025 (Perlindungan Jaminan Sosial Ketenagakerjaan) berakhir 27 Mei 2027, "
        "25 hari lagi, belum ada perpanjangan"
    )
    assert finding.details["days_left"] == 25
    assert finding.details["window"] == 30
    assert finding.details["tanggal_berakhir"] == "2027-05-27"
    assert "BPJS Ketenagakerjaan Cabang Jambi" in finding.details["tindakan"]
    [last_day] = run(AgreementExpiring, context(END, agreements=[agreement(1)]))
    assert "berakhir 27 Mei 2027, hari ini," in last_day.title


def test_a_recorded_renewal_or_an_ended_agreement_is_not_expiring() -> None:
    agreements = [
        agreement(1, status="diperpanjang"),
        agreement(2, nomor_pengganti="B/200/BPJS-JBI/V/2027"),
        agreement(3, status="berakhir"),
        agreement(4, nomor_pengganti="  "),  # blank is no successor
    ]
    findings = run(AgreementExpiring, context(END - timedelta(days=10), agreements=agreements))
    assert [f.subject for f in findings] == ["B/004/BPJS-JBI/V/2025"]


def test_windows_and_their_severities_are_configurable() -> None:
    config = {"windows": [120, 14], "window_severities": ["info", "high"]}
    assert _severity_at(121, **config) is None
    assert _severity_at(120, **config) == "info"
    assert _severity_at(15, **config) == "info"
    assert _severity_at(14, **config) == "high"


def test_a_configured_severity_overrides_the_windows() -> None:
    assert _severity_at(80, severity="critical") == "critical"
    assert _severity_at(3, severity="low") == "low"


def test_several_parties_are_named_together() -> None:
    both = agreement(1, pihak="Dinas Tenaga Kerja; BPJS Ketenagakerjaan Cabang Jambi")
    [finding] = run(AgreementExpiring, context(END, agreements=[both]))
    assert "dengan Dinas Tenaga Kerja dan BPJS Ketenagakerjaan Cabang Jambi sekarang" in finding.details["tindakan"]
    [nobody] = run(AgreementExpiring, context(END, agreements=[agreement(2, pihak=None)]))
    assert "dengan BPJS Ketenagakerjaan sekarang" in nobody.details["tindakan"]
