from __future__ import annotations

from datetime import date

from rule_fixtures import activity, context, registration, run, subjects

from checks.kampung_unregistered import KampungUnregistered

START = date(2026, 8, 3)
REQUIRED = 240_000  # 0,24% of Rp 100 juta


def test_it_flags_started_activities_not_covered_in_full() -> None:
    activities = [
        activity(1, nomor_registrasi="JK-2026-0000101"),  # paid in full
        activity(2, nomor_registrasi="JK-2026-0000102"),  # one rupiah short
        activity(3),  # no registration number
        activity(4, nomor_registrasi="JK-2026-9999999"),  # a number BPJS does not have
        activity(5, nomor_registrasi="JK-2026-0000105"),  # cancelled
        activity(6, tanggal_mulai=date(2026, 8, 4)),  # starts tomorrow
        activity(7, nomor_registrasi="JK-2026-0000107", nilai_kegiatan=150_000_000),  # flat 0,24%: Rp360.000
    ]
    registrations = [
        registration(101, iuran_dibayar=REQUIRED),
        registration(102, iuran_dibayar=REQUIRED - 1),
        registration(105, iuran_dibayar=REQUIRED, status="batal"),
        registration(107, iuran_dibayar=360_000),
    ]
    findings = run(KampungUnregistered, context(START, kampung=activities, registrations=registrations))
    assert subjects(findings) == ["KB-2026-KTB-002", "KB-2026-KTB-003", "KB-2026-KTB-004", "KB-2026-KTB-005"]
    assert {f.subject: f.amount_at_risk for f in findings} == {
        "KB-2026-KTB-002": 1, "KB-2026-KTB-003": REQUIRED, "KB-2026-KTB-004": REQUIRED, "KB-2026-KTB-005": REQUIRED,
    }


def test_an_unregistered_activity_is_told_what_to_pay() -> None:
    [finding] = run(KampungUnregistered, context(START, kampung=[activity(14)]))
    assert finding.severity == "high"
    assert finding.title == (
        "Peserta kegiatan Kampung Bahagia KB-2026-KTB-014 di RT 14 Kelurahan Kenali Asam Atas belum didaftarkan ke "
        "BPJS Ketenagakerjaan: iuran Rp240.000"
    )
    assert (finding.details["required"], finding.details["paid"], finding.details["registered"]) == (REQUIRED, 0, False)
    assert "Rp240.000 (0,24% dari nilai kegiatan Rp100.000.000)" in finding.details["tindakan"]


def test_an_underpaid_activity_is_told_the_shortfall() -> None:
    ctx = context(
        START, kampung=[activity(1, nomor_registrasi="JK-2026-0000101")],
        registrations=[registration(101, iuran_dibayar=100_000)],
    )
    [finding] = run(KampungUnregistered, ctx)
    assert finding.title == (
        "Iuran Jakon kegiatan Kampung Bahagia KB-2026-KTB-001 di RT 01 Kelurahan Kenali Asam Atas kurang Rp140.000: "
        "dibayar Rp100.000 dari Rp240.000"
    )
    assert finding.details["nomor_registrasi"] == "JK-2026-0000101"
    assert finding.details["shortfall"] == 140_000


def test_grace_days_opd_and_severity_are_configurable() -> None:
    config = {"kampung.unregistered": {"grace_days": 5, "opd": "DPMPPA", "severity": "critical"}}
    assert run(KampungUnregistered, context(date(2026, 8, 7), kampung=[activity(1)], config=config)) == []
    [finding] = run(KampungUnregistered, context(date(2026, 8, 8), kampung=[activity(1)], config=config))
    assert (finding.opd, finding.severity) == ("DPMPPA", "critical")
