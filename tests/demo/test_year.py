"""The demo year's content: deterministic, realistic in its proportions, and holding every hard case
the matcher and the rules must meet, with a ground truth that is consistent with the rows."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, timedelta

import pytest

from monitor.demo import KINDS, RULES, DemoYear, build_year
from monitor.demo.numbers import mistype, one_character_apart, reformat
from monitor.demo.tariff import kampung_premium, required_premium
from monitor.matching.normalize import contract_number_key
from monitor.regulation import premium
from monitor.regulation.workdays import WorkingCalendar

CALENDAR = WorkingCalendar()


def contract_key(year: DemoYear, row: dict) -> tuple[str, str]:
    return year.opd_code(row["opd"]), row["nomor_kontrak"]


def test_the_same_seed_gives_the_same_year() -> None:
    first, second = build_year(300, seed=11), build_year(300, seed=11)
    for kind in KINDS:
        assert first.rows(kind) == second.rows(kind)
    assert first.malformed == second.malformed
    assert first.truth == second.truth


def test_another_seed_gives_another_year() -> None:
    assert build_year(300, seed=11).contracts != build_year(300, seed=12).contracts


@pytest.mark.parametrize("contracts", [0, 1, 37, 701])
def test_it_makes_exactly_the_contracts_asked_for(contracts: int) -> None:
    year = build_year(contracts)
    assert len(year.contracts) == contracts
    assert year.truth["rows"]["contracts"] == contracts
    assert len(year.agreements) >= 10 and len(year.kampung) >= 24  # the rest of the year is still there


def test_negative_contracts_are_refused() -> None:
    with pytest.raises(ValueError):
        build_year(-1)


def test_nothing_happens_after_the_demo_date(seeded_year: DemoYear) -> None:
    as_of = seeded_year.as_of
    assert all(c["tanggal_kontrak"] < as_of for c in seeded_year.contracts)
    assert all(r["tanggal_daftar"] < as_of for r in seeded_year.registrations)
    assert all(p["tanggal_sp2d"] <= as_of for p in seeded_year.payments)
    assert all(a["tanggal_adendum"] < as_of for a in seeded_year.addenda)


def test_a_fiscal_year_early_in_the_calendar_year_is_the_previous_one() -> None:
    year = build_year(50, as_of=date(2027, 1, 20))
    assert year.fiscal_year == 2026
    assert all(c["tanggal_kontrak"].year == 2026 for c in year.contracts)


def test_identities_are_unique(seeded_year: DemoYear) -> None:
    year = seeded_year
    keys = [contract_key(year, c) for c in year.contracts]
    assert len(set(keys)) == len(keys)
    for kind, column in (("registrations", "nomor_registrasi"), ("payments", "nomor_sp2d"),
                         ("agreements", "nomor"), ("kampung", "kode_kegiatan"), ("contracts", "kode_paket")):
        values = [row[column] for row in year.rows(kind)]
        assert len(set(values)) == len(values), kind
    addenda = [(year.opd_code(a["opd"]), a["nomor_kontrak"], a["nomor_adendum"]) for a in year.addenda]
    assert len(set(addenda)) == len(addenda)


def test_values_and_dates_are_sane(seeded_year: DemoYear) -> None:
    year = seeded_year
    for c in year.contracts:
        assert 10_000_000 <= c["nilai_kontrak"] <= 100_000_000_000
        assert c["tanggal_selesai"] >= c["tanggal_kontrak"]
        assert c["tanggal_mulai"] is None or c["tanggal_kontrak"] <= c["tanggal_mulai"] <= c["tanggal_selesai"]
        assert c["jenis_pekerjaan"] in ("konstruksi", "konsultansi")
    for r in year.registrations:
        assert r["masa_akhir"] >= r["masa_awal"]
        assert r["status"] in ("aktif", "berakhir", "batal")
        assert 0 < r["iuran_dibayar"] <= required_premium(r["nilai_kontrak_terdaftar"])
    assert all(p["nilai"] > 0 for p in year.payments)
    assert all(0 < k["nilai_kegiatan"] <= 100_000_000 for k in year.kampung)  # Perwal 18/2025
    for a in year.agreements:
        assert a["tanggal_berakhir"] >= a["tanggal_mulai"]


def test_values_range_from_tens_of_millions_to_tens_of_billions() -> None:
    values = sorted(c["nilai_kontrak"] for c in build_year(3000, seed=5).contracts)
    assert values[0] < 50_000_000 and values[-1] > 15_000_000_000
    median = values[len(values) // 2]
    assert 100_000_000 < median < 1_000_000_000  # skewed: most packages are small


def test_contracts_spread_over_the_year_in_date_order(year: DemoYear) -> None:
    days = [c["tanggal_kontrak"] for c in year.contracts]
    assert days == sorted(days)
    months = Counter(day.month for day in days)
    assert len(months) >= 10
    assert months[5] > months[1]  # tenders peak mid-year


def test_proportions_are_realistic(seeded_year: DemoYear) -> None:
    year = seeded_year
    truth = year.truth
    linked = {(link["opd"], link["nomor_kontrak"]) for link in truth["links"]}
    share = len(linked) / len(year.contracts)
    assert 0.70 <= share <= 0.85, share
    counts = truth["counts"]
    registrations = len(truth["links"])
    # Registrations whose number cannot be matched as typed or normalized: blank, mistyped, garbled.
    unmatchable = sum(counts.get(f"number_{noise}", 0) for noise in ("blank", "mistype", "garble", "typo_other"))
    assert 0.05 <= unmatchable / registrations <= 0.12, unmatchable / registrations
    assert 0.10 <= counts["late"] / registrations <= 0.30
    assert 0.05 <= counts["underpaid"] / registrations <= 0.25
    assert 0.10 <= len(year.addenda) / len(year.contracts) <= 0.35
    assert 1.0 <= len(year.payments) / len(year.contracts) <= 2.0


@pytest.mark.parametrize("label", [
    "unregistered", "not_yet_due", "late", "underpaid", "instalment_50", "instalment_25", "flat_rate_premium",
    "coverage_gap", "addendum_not_reported", "addendum_reported", "paid_before_registration",
    "paid_unregistered", "batal", "shared_number", "split_package", "ambiguous", "opd_unknown",
    "number_reformat", "number_mistype", "number_typo_other", "number_garble", "number_blank",
    "npwp_missing_in_registration", "npwp_16_digit", "vendor_name_typo",
])
def test_every_hard_case_is_planted(seeded_year: DemoYear, label: str) -> None:
    assert seeded_year.truth["counts"].get(label, 0) > 0


def test_the_same_short_number_exists_in_two_opds(year: DemoYear) -> None:
    owners: dict[str, set[str]] = {}
    for c in year.contracts:
        owners.setdefault(c["nomor_kontrak"], set()).add(year.opd_code(c["opd"]))
    assert any(len(opds) > 1 for opds in owners.values())


def test_contract_numbers_follow_each_opds_style(year: DemoYear) -> None:
    styles = {
        "PUPR": r"\d{3}/\d{2}/SPK-PUPR/[IVX]+/2026",
        "PERKIM": r"\d+/SPK/PPK\.\d{2}/\d{2}/2026",
        "RSUD": r"\d{4,}/PMK-ADD/RS-AM/\d{2}/2026",
        "DINKES": r"440/\d{3}/SPK/DINKES/2026",
    }
    for c in year.contracts:
        pattern = styles.get(year.opd_code(c["opd"]))
        if pattern:
            assert re.fullmatch(pattern, c["nomor_kontrak"]), c["nomor_kontrak"]


def test_a_typo_can_turn_one_contracts_number_into_anothers(seeded_year: DemoYear) -> None:
    year = seeded_year
    by_number = {r["nomor_registrasi"]: r for r in year.registrations}
    numbers_by_opd: dict[str, set[str]] = {}
    for c in year.contracts:
        numbers_by_opd.setdefault(year.opd_code(c["opd"]), set()).add(c["nomor_kontrak"])
    hits = [
        link for link in year.truth["links"]
        if (typed := by_number[link["nomor_registrasi"]]["nomor_kontrak"]) != link["nomor_kontrak"]
        and typed in numbers_by_opd[link["opd"]]
    ]
    assert hits
    for link in hits:
        assert one_character_apart(link["nomor_kontrak"], by_number[link["nomor_registrasi"]]["nomor_kontrak"])


def test_vendor_names_are_written_differently_at_bpjs(year: DemoYear) -> None:
    forms = Counter()
    for r in year.registrations:
        name = r["penyedia"]
        forms["comma"] += name.endswith((", PT", ", CV"))
        forms["dotted"] += name.startswith(("PT. ", "CV. "))
    assert forms["comma"] > 50 and forms["dotted"] > 50
    assert any("’" in c["penyedia"] for c in year.contracts)  # the cp1252 apostrophe


def test_premiums_follow_the_tariff() -> None:
    rng = random.Random(3)
    values = [0, 1, 75_000_000, 100_000_000, 100_000_001, 500_000_000, 999_999_999, 1_000_000_000,
              1_500_000_000, 5_000_000_000, 5_000_000_001] + [int(10 ** (rng.random() * 11)) for _ in range(2000)]
    for value in values:
        assert required_premium(value) == premium.required_premium(value)
        assert kampung_premium(value) == premium.kampung_premium(value)
    assert required_premium(75_000_000) == 180_000
    assert required_premium(1_500_000_000) == 2_350_000


def test_fully_paid_registrations_pay_the_tariff(year: DemoYear) -> None:
    full = [r for r in year.registrations if r["iuran_dibayar"] == required_premium(r["nilai_kontrak_terdaftar"])]
    assert len(full) > 0.7 * len(year.registrations)


def test_no_finding_hangs_on_a_boundary_day(seeded_year: DemoYear) -> None:
    """Deadlines of unregistered contracts and planted end dates stay clear of the demo date, and
    no SP2D falls on its contract's registration day."""
    year = seeded_year
    as_of = year.as_of
    linked = {(link["opd"], link["nomor_kontrak"]) for link in year.truth["links"]}
    for c in year.contracts:
        if contract_key(year, c) not in linked:
            deadline = CALENDAR.add_working_days(c["tanggal_kontrak"], 14)
            assert abs((deadline - as_of).days) > 2
        assert abs((c["tanggal_selesai"] - as_of).days) > 1
    registered_on: dict[tuple[str, str], set[date]] = {}
    by_number = {r["nomor_registrasi"]: r for r in year.registrations}
    for link in year.truth["links"]:
        registered_on.setdefault((link["opd"], link["nomor_kontrak"]), set()).add(
            by_number[link["nomor_registrasi"]]["tanggal_daftar"])
    for p in year.payments:
        assert p["tanggal_sp2d"] not in registered_on.get((year.opd_code(p["opd"]), p["nomor_kontrak"]), set())


def test_every_registration_is_accounted_for(seeded_year: DemoYear) -> None:
    """Each registration is a contract's (linked or superseded), an activity's, or an orphan."""
    truth = seeded_year.truth
    owners = Counter(
        [link["nomor_registrasi"] for link in truth["links"]]
        + [item["nomor_registrasi"] for item in truth["superseded"]]
        + [item["nomor_registrasi"] for item in truth["kampung_links"]]
        + truth["orphans"]
    )
    numbers = [r["nomor_registrasi"] for r in seeded_year.registrations]
    assert sorted(owners) == sorted(numbers)
    assert set(owners.values()) == {1}


def test_links_and_subjects_name_real_rows(seeded_year: DemoYear) -> None:
    year = seeded_year
    contracts = {contract_key(year, c) for c in year.contracts}
    registrations = {r["nomor_registrasi"] for r in year.registrations}
    for link in year.truth["links"]:
        assert (link["opd"], link["nomor_kontrak"]) in contracts
        assert link["nomor_registrasi"] in registrations
    subjects = {f"{opd}|{nomor}" for opd, nomor in contracts}
    subjects |= {p["nomor_sp2d"] for p in year.payments} | {a["nomor"] for a in year.agreements}
    subjects |= {k["kode_kegiatan"] for k in year.kampung} | registrations
    assert set(year.truth["expected"]) == set(RULES)
    for rule, found in year.truth["expected"].items():
        assert set(found) <= subjects, rule
        assert len(set(found)) == len(found), rule


def test_split_packages_are_identical_but_for_the_number(year: DemoYear) -> None:
    [ambiguous] = year.truth["ambiguous"]
    source = next(c for c in year.contracts if c["nomor_kontrak"] == ambiguous["nomor_kontrak"])
    twins = [c for c in year.contracts if c["nama_paket"] == source["nama_paket"]
             and c["nilai_kontrak"] == source["nilai_kontrak"] and c["penyedia"] == source["penyedia"]]
    assert len(twins) == 2
    registration = next(r for r in year.registrations if r["nomor_registrasi"] == ambiguous["nomor_registrasi"])
    assert registration["nomor_kontrak"] in (None, "", "-", "0", "BELUM ADA")
    assert year.truth["expected"]["data.ambiguous_match"] == [ambiguous["nomor_registrasi"]]


def test_agreements_sit_in_every_warning_window(year: DemoYear) -> None:
    labels = {labels[0] for subject, labels in year.truth["scenarios"].items()
              if subject in {a["nomor"] for a in year.agreements}}
    assert {"expiring_7", "expiring_30", "expiring_60", "expiring_90", "expired", "renewed", "valid"} <= labels
    mou = {a["nomor"]: a for a in year.agreements if a["jenis"] == "MoU"}
    old, new = mou["180/05/MOU-HK/2020"], mou["180/07/MOU-HK/2025"]
    assert old["tanggal_berakhir"] == date(2025, 5, 25) and old["nomor_pengganti"] == new["nomor"]
    assert new["tanggal_mulai"] == date(2025, 5, 28)


def test_kampung_activities_have_their_problems(year: DemoYear) -> None:
    labels = Counter(label for subject, labels in year.truth["scenarios"].items() if subject.startswith("KB-")
                     for label in labels)
    for label in ("no_sk_rt", "sk_rt_after_start", "unregistered", "underpaid", "registration_not_found",
                  "not_started"):
        assert labels[label] > 0, label
    linked = {item["kode_kegiatan"] for item in year.truth["kampung_links"]}
    for row in year.kampung:
        if row["kode_kegiatan"] in linked:
            assert row["nomor_registrasi"]


def test_the_opd_directory_has_the_city_agencies(year: DemoYear) -> None:
    codes = {opd["code"] for opd in year.opds}
    assert 25 <= len(codes) <= 32
    assert {"PUPR", "PERKIM", "DISDIK", "DINKES", "RSUD", "DISHUB", "DLH", "DISNAKER", "BPKAD"} <= codes
    pupr = next(opd for opd in year.opds if opd["code"] == "PUPR")
    assert "Dinas PUPR" in pupr["aliases"] and pupr["email"][0].endswith("@jambikota.go.id")
    assert any(not opd["email"] for opd in year.opds)  # some go to the fallback address
    assert year.opd_code("dinas pupr") == "PUPR"
    assert year.opd_code("Kecamatan Danau Teluk") == "Kecamatan Danau Teluk"


def test_all_eleven_kecamatan_appear(year: DemoYear) -> None:
    kecamatan = {c["kecamatan"] for c in year.contracts if c["kecamatan"]}
    assert kecamatan == {"Alam Barajo", "Danau Sipin", "Danau Teluk", "Jambi Selatan", "Jambi Timur", "Jelutung",
                         "Kota Baru", "Paal Merah", "Pasar Jambi", "Pelayangan", "Telanaipura"}


def test_every_malformed_row_breaks_one_rule(year: DemoYear) -> None:
    for kind in KINDS:
        items = year.malformed[kind]
        assert 2 <= len(items) <= 5
        lines = [item["line"] for item in items]
        assert lines == sorted(set(lines)) and lines[0] >= 2
        for item in items:
            raw = item["row"][item["column"]]
            if item["reason"] == "missing_required":
                assert raw is None
            elif item["reason"] == "end_before_start":
                assert raw < item["row"]["tanggal_kontrak"]
            else:
                assert isinstance(raw, str)
    reasons = {item["reason"] for items in year.malformed.values() for item in items}
    assert reasons == {"missing_required", "impossible_date", "negative_amount", "unparseable_number",
                       "end_before_start"}


def test_registration_deadline_is_fourteen_working_days(year: DemoYear) -> None:
    late = set(year.truth["expected"]["jakon.late_registration"])
    by_number = {r["nomor_registrasi"]: r for r in year.registrations}
    contracts = {contract_key(year, c): c for c in year.contracts}
    assert late
    for link in year.truth["links"]:
        if f"{link['opd']}|{link['nomor_kontrak']}" in late:
            signed = contracts[(link["opd"], link["nomor_kontrak"])]["tanggal_kontrak"]
            registered = by_number[link["nomor_registrasi"]]["tanggal_daftar"]
            assert registered - signed > timedelta(days=14)
            assert CALENDAR.working_days_between(signed, registered) > 14


def test_retyped_numbers_are_what_the_matcher_normalizes_or_cannot() -> None:
    """``reformat`` noise must normalize back to the contract's number; a mistyped digit must not."""
    rng = random.Random(8)
    for number in ("027/14/SPK-PUPR/III/2026", "10/SPK/PPK.05/11/2021", "4268/PMK-ADD/RS-AM/12/2023",
                   "440/007/SPK/DINKES/2026", "027/101/SPK/SETDA/2026", "001/SPK/PPK-SD/DISDIK/2026"):
        for _ in range(200):
            assert contract_number_key(reformat(number, rng)) == contract_number_key(number)
            assert contract_number_key(mistype(number, rng)) != contract_number_key(number)
