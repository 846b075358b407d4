from __future__ import annotations

from datetime import date

from rule_fixtures import activity, context, run, subjects

from checks.kampung_no_sk_rt import KampungNoSkRt

START = date(2026, 8, 3)


def test_it_flags_started_activities_without_an_sk_or_with_one_dated_after_the_start() -> None:
    activities = [
        activity(1, tanggal_sk_rt=START),  # dated the start day: fine
        activity(2, tanggal_sk_rt=date(2026, 8, 4)),  # the day after: too late
        activity(3, nomor_sk_rt=None, tanggal_sk_rt=None),
        activity(4, nomor_sk_rt=" ", tanggal_sk_rt=None),  # blank is no SK
        activity(5, nomor_sk_rt=None, tanggal_mulai=date(2026, 8, 4)),  # not started yet
        activity(6, tanggal_sk_rt=None),  # numbered but undated: nothing shows it is late
    ]
    findings = run(KampungNoSkRt, context(START, kampung=activities))
    assert subjects(findings) == ["KB-2026-KTB-002", "KB-2026-KTB-003", "KB-2026-KTB-004"]
    assert {f.details["problem"] for f in findings} == {"sk_setelah_mulai", "tanpa_sk"}


def test_the_findings_name_the_rt_and_what_the_rt_head_must_do() -> None:
    activities = [activity(14, nomor_sk_rt=None, tanggal_sk_rt=None), activity(2, tanggal_sk_rt=date(2026, 8, 4))]
    missing, late = run(KampungNoSkRt, context(START, kampung=activities))
    assert missing.title == (
        "Kegiatan Kampung Bahagia KB-2026-KTB-014 di RT 14 Kelurahan Kenali Asam Atas berjalan sejak 3 Agustus 2026 "
        "tanpa SK RT"
    )
    assert missing.severity == "medium"
    assert missing.opd is None
    assert missing.amount_at_risk == 0
    assert missing.details["tindakan"].startswith("Ketua RT 14 menerbitkan SK")
    assert "Perwal Kota Jambi 18/2025" in missing.details["regulasi"]
    assert late.title == (
        "SK RT kegiatan Kampung Bahagia KB-2026-KTB-002 di RT 02 Kelurahan Kenali Asam Atas bertanggal "
        "4 Agustus 2026, setelah kegiatan mulai 3 Agustus 2026"
    )


def test_the_opd_and_severity_are_configurable() -> None:
    config = {"kampung.no_sk_rt": {"opd": "DPMPPA", "severity": "high"}}
    [finding] = run(KampungNoSkRt, context(START, kampung=[activity(1, nomor_sk_rt=None)], config=config))
    assert (finding.opd, finding.severity) == ("DPMPPA", "high")
