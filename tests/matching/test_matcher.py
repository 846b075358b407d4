"""The staged matcher on the hard cases: each test is one way contractors type registrations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from monitor.compute.processes import fork_is_safe
from monitor.matching import Decision, matcher
from monitor.matching.matcher import _in_part as in_part  # as written (the fixture may replace it)
from monitor.matching.matcher import _spread as spread
from tests.matching.builders import contract, link_of, pairs, registration, run


@pytest.fixture(autouse=True, params=["one process", "stages forked"])
def split_stages(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every case twice: as a small run matches (one process), and with stages 1 and 2 in two
    processes where every key falls in the forked process's part, so that each case's outcome
    reaches this process only through the merge."""
    if request.param == "stages forked":
        if not fork_is_safe():
            pytest.skip("another thread runs in this process: the matcher would not fork")
        monkeypatch.setattr(matcher, "_in_part", lambda key, part: part is None or part[0] == 1)
        monkeypatch.setattr(matcher, "PARALLEL_STAGE_MIN_RECORDS", 0)
    yield

# --- stage 1: the number -------------------------------------------------------------------------


def test_the_number_as_written_links_exactly_with_full_score() -> None:
    c = contract()
    r = registration()
    result = run([c], [r])
    link = link_of(result, c)
    assert link is not None and link.registration_id == r.id
    assert link.method == "exact" and link.score == 1.0
    assert link.details["number"] == "exact" and link.details["npwp"] == "same"
    assert link.details["evidence"] == ["number", "value", "dates", "npwp"]
    assert "nomor kontrak sama persis" in link.details["reason"]


def test_a_number_written_differently_links_as_normalized() -> None:
    c = contract()
    r = registration("No. 27 / 14 / spk.pupr / 03 / 2026", npwp=None)
    link = link_of(run([c], [r]), c)
    assert link is not None and link.registration_id == r.id
    assert link.method == "normalized" and 0.9 < link.score < 1.0


def test_the_same_number_in_two_opds_is_decided_by_vendor_npwp_and_value() -> None:
    pupr = contract("10/SPK/PPK.01/03/2026", opd="PUPR", penyedia="CV. Sinar Jaya", npwp="02.111.222.3-331.000",
                    nilai=450_000_000)
    perkim = contract("10/SPK/PPK.01/03/2026", opd="PERKIM", penyedia="PT. Karya Abadi", nilai=1_500_000_000)
    r = registration("10/SPK/PPK.01/03/2026", penyedia="KARYA ABADI, PT", nilai=1_500_000_000)
    result = run([pupr, perkim], [r])
    assert pairs(result) == {(perkim.id, r.id)}


def test_the_same_number_in_two_opds_equally_good_is_left_to_a_human() -> None:
    pupr = contract("10/SPK/PPK.01/03/2026", opd="PUPR")
    perkim = contract("10/SPK/PPK.01/03/2026", opd="PERKIM")
    r = registration("10/SPK/PPK.01/03/2026")
    result = run([pupr, perkim], [r])
    assert result.links == []
    [ambiguity] = result.ambiguous
    assert ambiguity.registration_id == r.id
    assert ambiguity.contract_ids == tuple(sorted((pupr.id, perkim.id)))


def test_a_typo_that_turns_one_number_into_another_does_not_link_the_wrong_contract() -> None:
    a = contract("027/14/SPK-PUPR/III/2026", penyedia="PT. Karya Abadi", nilai=1_500_000_000)
    b = contract("028/14/SPK-PUPR/III/2026", penyedia="CV. Sinar Jaya", npwp="02.111.222.3-331.000",
                 nilai=420_000_000, nama_paket="Rehabilitasi Drainase Jl. Gatot Subroto")
    # The contractor of A typed 028: B's number. NPWP, vendor and value all say A.
    r_a = registration("028/14/SPK-PUPR/III/2026")
    result = run([a, b], [r_a])
    assert pairs(result) == {(a.id, r_a.id)}
    link = link_of(result, a)
    assert link is not None and link.method == "npwp" and link.details["number"] == "near"


def test_a_typo_collision_without_npwp_is_caught_by_the_fuzzy_pass() -> None:
    a = contract("027/14/SPK-PUPR/III/2026", penyedia="PT. Karya Abadi", npwp=None, nilai=1_500_000_000)
    b = contract("028/14/SPK-PUPR/III/2026", penyedia="CV. Sinar Jaya", npwp=None, nilai=420_000_000)
    r_b = registration("028/14/SPK-PUPR/III/2026", penyedia="SINAR JAYA, CV", npwp=None, nilai=420_000_000)
    r_a = registration("028/14/SPK-PUPR/III/2026", penyedia="KARYA ABADI, PT", npwp=None)
    result = run([a, b], [r_a, r_b])
    assert pairs(result) == {(a.id, r_a.id), (b.id, r_b.id)}
    assert link_of(result, a).method == "fuzzy"  # type: ignore[union-attr]


def test_a_typo_into_the_same_vendors_other_contract_links_the_contract_whose_value_fits() -> None:
    # One contractor, two contracts one digit apart; its registration for A typed B's number.
    a = contract("027/14/SPK-PUPR/III/2026", nilai=1_500_000_000)
    b = contract("028/14/SPK-PUPR/III/2026", nilai=1_100_000_000, nama_paket="Rehabilitasi Drainase Jl. Sumantri")
    r_a = registration("028/14/SPK-PUPR/III/2026", nilai=1_500_000_000)
    result = run([a, b], [r_a])
    assert pairs(result) == {(a.id, r_a.id)}


def test_an_under_declared_value_still_links_by_number_when_nothing_fits_better() -> None:
    c = contract(nilai=1_500_000_000)
    r = registration(nilai=1_000_000_000)  # 67% declared: the premium rule will flag the shortfall
    link = link_of(run([c], [r]), c)
    assert link is not None and link.registration_id == r.id
    assert link.method == "exact" and link.details["value_ratio"] == 0.667


def test_different_companies_sharing_words_contradict_a_number_without_npwp() -> None:
    # The value is close, not the same: the number alone does not outweigh the other name.
    c = contract("5/SPK/PPK.04/07/2026", penyedia="CV. Barokah Lestari Jaya", npwp=None)
    r = registration("5/SPK/PPK.04/07/2026", penyedia="PRIMA BERSAMA JAYA, CV", npwp=None, nilai=1_450_000_000)
    assert run([c], [r]).links == []


def test_a_number_contradicted_by_the_value_does_not_link() -> None:
    c = contract(nilai=1_500_000_000)
    r = registration(nilai=150_000_000, npwp=None, penyedia="SINAR JAYA, CV")
    assert run([c], [r]).links == []


def test_a_number_contradicted_by_the_npwp_does_not_link() -> None:
    c = contract()
    r = registration(npwp="02.999.888.7-331.000", nilai=1_480_000_000)
    assert run([c], [r]).links == []


def test_a_one_character_typo_in_the_number_links_by_fuzzy_without_npwp() -> None:
    c = contract("027/14/SPK-PUPR/III/2026")
    r = registration("027/14/SPK-PUPR/III/2025", npwp=None)
    link = link_of(run([c], [r]), c)
    assert link is not None and link.registration_id == r.id
    assert link.method == "fuzzy" and link.details["number"] == "near"


# --- consortia (KSO) --------------------------------------------------------------------------------


def test_a_partner_registering_for_the_consortium_agrees_as_its_member() -> None:
    c = contract(penyedia="KSO PT. Karya Abadi - CV. Mitra Jaya", npwp=None)
    r = registration(penyedia="MITRA JAYA, CV", npwp=None)
    link = link_of(run([c], [r]), c)
    assert link is not None and link.registration_id == r.id and link.method == "exact"
    assert link.details["consortium"] is True and link.details["vendor"] == 1.0
    assert "anggota KSO: nama penyedia sama" in link.details["reason"]
    assert link.details["evidence"] == ["number", "value", "dates", "consortium_member"]


def test_a_consortium_registered_under_its_own_name_agrees_with_its_lead_on_the_contract() -> None:
    c = contract(penyedia="PT. Karya Abadi", npwp=None)
    r = registration("No. 27/14/SPK-PUPR/3/2026", penyedia="KARYA ABADI, PT - MITRA JAYA, CV (KSO)", npwp=None)
    link = link_of(run([c], [r]), c)
    assert link is not None and link.method == "normalized" and link.details["consortium"] is True


def test_a_firm_outside_the_consortium_still_contradicts_it() -> None:
    c = contract(penyedia="KSO PT. Karya Abadi - CV. Mitra Jaya", npwp=None)
    r = registration(penyedia="CV. Barokah Lestari", npwp=None, nilai=1_400_000_000)
    assert run([c], [r]).links == []


def test_the_members_the_source_names_agree_with_a_partners_registration() -> None:
    """SPSE's anggota_kso: the contract names only the lead, the partner registered under its own name
    and a value other than the contract's, so stage 5 (the same value) could not have linked it."""
    members = ("PT. Karya Abadi", "CV. Mitra Jaya")
    r = registration(penyedia="CV. Mitra Jaya", npwp=None, nilai=1_450_000_000)
    lead_only = contract(penyedia="PT. Karya Abadi", npwp=None)
    assert run([lead_only], [r]).links == []  # without the members: another firm, another value
    c = contract(penyedia="PT. Karya Abadi", npwp=None, anggota_kso=members)
    link = link_of(run([c], [r]), c)
    assert link is not None and link.registration_id == r.id and link.method == "exact"
    assert link.details["consortium"] is True and link.details["vendor"] == 1.0
    assert "anggota KSO: nama penyedia sama" in link.details["reason"]
    assert "other_name" not in link.details  # agreed, not weighed despite the vendor


def test_the_members_the_source_names_still_leave_other_firms_out() -> None:
    c = contract(penyedia="PT. Karya Abadi", npwp=None, anggota_kso=("PT. Karya Abadi", "CV. Mitra Jaya"))
    r = registration(penyedia="CV. Barokah Lestari", npwp=None, nilai=1_450_000_000)
    assert run([c], [r]).links == []


# --- registered under another name: weighed, not vetoed ------------------------------------------

OTHER_FIRM = {"penyedia": "CV. BAROKAH LESTARI", "npwp": "02.999.888.7-331.000"}


def test_a_registration_under_another_firms_name_links_by_number_and_value_for_review() -> None:
    c = contract(penyedia="PT. Karya Abadi")
    r = registration(**OTHER_FIRM)  # the KSO's partner registered, with its own NPWP
    link = link_of(run([c], [r]), c)
    assert link is not None and link.registration_id == r.id and link.method == "exact"
    assert link.score <= 0.75 and link.details["other_name"] is True
    assert link.details["npwp"] == "different" and link.details["vendor"] < 0.7
    assert link.details["reason"].endswith("penyedia berbeda: kemungkinan anggota KSO / nama lain")
    assert link.details["evidence"] == ["number", "value", "dates"]  # what decided: the project, not who


def test_a_partner_named_in_the_consortium_with_its_own_npwp_is_said_to_differ_by_npwp_not_name() -> None:
    c = contract(penyedia="KSO PT. Karya Abadi - CV. Mitra Jaya")
    r = registration(penyedia="MITRA JAYA, CV", npwp=OTHER_FIRM["npwp"])  # the partner, its own NPWP
    link = link_of(run([c], [r]), c)
    assert link is not None and link.details["other_name"] is True and link.details["npwp"] == "different"
    reason = link.details["reason"]
    assert "anggota KSO: nama penyedia sama" in reason
    assert reason.endswith("NPWP pendaftar berbeda: kemungkinan anggota KSO / nama lain")
    assert "penyedia berbeda" not in reason


def test_a_number_written_differently_under_another_name_links_too() -> None:
    c = contract()
    r = registration("27-14-spk.pupr-3-2026", penyedia="CV. BAROKAH LESTARI", npwp=None)
    link = link_of(run([c], [r]), c)
    assert link is not None and link.method == "normalized" and link.details["other_name"] is True


@pytest.mark.parametrize(("off_by", "links"), [(0, True), (1, True), (-1, True), (2, False), (-2, False),
                                               (1_000, False)])
def test_the_value_must_be_the_contracts_to_a_rupiahs_rounding(off_by: int, links: bool) -> None:
    c = contract(nilai=1_500_000_000)
    r = registration(nilai=1_500_000_000 + off_by, **OTHER_FIRM)
    assert pairs(run([c], [r])) == ({(c.id, r.id)} if links else set())


def test_the_original_value_before_an_addendum_counts_as_the_contracts() -> None:
    c = contract(nilai=1_650_000_000, nilai_awal=1_500_000_000)
    r = registration(nilai=1_500_000_000, **OTHER_FIRM)
    assert pairs(run([c], [r])) == {(c.id, r.id)}


def test_under_another_name_dates_that_contradict_still_veto() -> None:
    c = contract()
    r = registration(masa_awal=date(2025, 1, 6), masa_akhir=date(2025, 6, 30), tanggal_daftar=date(2025, 1, 6),
                     **OTHER_FIRM)
    assert run([c], [r]).links == []


def test_a_number_shared_by_two_opds_under_another_name_links_the_one_whose_value_it_is() -> None:
    pupr = contract("10/SPK/PPK.01/03/2026", opd="PUPR", nilai=450_000_000)
    perkim = contract("10/SPK/PPK.01/03/2026", opd="PERKIM", nilai=1_500_000_000)
    r = registration("10/SPK/PPK.01/03/2026", **OTHER_FIRM)
    link = link_of(run([pupr, perkim], [r]), perkim)
    assert link is not None and link.registration_id == r.id and link.details["other_name"] is True


def test_a_number_shared_by_two_opds_with_neither_value_is_not_linked_by_the_number_alone() -> None:
    pupr = contract("10/SPK/PPK.01/03/2026", opd="PUPR", nilai=450_000_000)
    perkim = contract("10/SPK/PPK.01/03/2026", opd="PERKIM", nilai=1_400_000_000)
    r = registration("10/SPK/PPK.01/03/2026", **OTHER_FIRM)
    result = run([pupr, perkim], [r])
    assert result.links == [] and result.ambiguous == []


def test_a_number_shared_by_two_opds_both_of_its_value_under_another_name_is_left_to_a_human() -> None:
    pupr = contract("10/SPK/PPK.01/03/2026", opd="PUPR")
    perkim = contract("10/SPK/PPK.01/03/2026", opd="PERKIM")
    r = registration("10/SPK/PPK.01/03/2026", **OTHER_FIRM)
    result = run([pupr, perkim], [r])
    assert result.links == []
    assert [(a.registration_id, a.contract_ids) for a in result.ambiguous] == [(r.id, (pupr.id, perkim.id))]


def test_a_registration_whose_vendor_agrees_keeps_a_shared_number_from_one_under_another_name() -> None:
    pupr = contract("10/SPK/PPK.01/03/2026", opd="PUPR")
    perkim = contract("10/SPK/PPK.01/03/2026", opd="PERKIM", penyedia="CV. Sinar Jaya", npwp=None)
    own = registration("10/SPK/PPK.01/03/2026", penyedia="SINAR JAYA, CV", npwp=None)
    other = registration("10/SPK/PPK.01/03/2026", **OTHER_FIRM)
    result = run([pupr, perkim], [own, other])
    assert pairs(result) == {(perkim.id, own.id), (pupr.id, other.id)}
    assert "other_name" not in link_of(result, perkim).details  # type: ignore[union-attr]


def test_a_typo_landing_on_another_contracts_number_never_links_that_contract_by_the_number() -> None:
    a = contract("027/14/SPK-PUPR/III/2026", nilai=1_500_000_000)
    b = contract("028/14/SPK-PUPR/III/2026", penyedia="CV. Sinar Jaya", npwp="02.111.222.3-331.000",
                 nilai=420_000_000, nama_paket="Rehabilitasi Drainase Jl. Gatot Subroto",
                 tanggal_mulai=date(2026, 5, 4))
    # Another firm registered A, typing B's number: B's value and dates are not A's.
    r = registration("028/14/SPK-PUPR/III/2026", **OTHER_FIRM)
    result = run([a, b], [r])
    assert link_of(result, b) is None
    link = link_of(result, a)  # A's own evidence: value to the rupiah, dates, title, a number one typo off
    assert link is not None and link.registration_id == r.id and link.details["other_name"] is True
    assert link.details["number"] == "near"


def test_a_blank_number_under_another_name_links_the_one_contract_its_project_fits() -> None:
    c = contract(nilai=1_500_000_000)
    other = contract("5/SPK/2026", nilai=1_500_000_000, nama_paket="Rehabilitasi Drainase Jl. Gatot Subroto",
                     tanggal_kontrak=date(2026, 6, 1), tanggal_mulai=date(2026, 6, 3),
                     tanggal_selesai=date(2026, 12, 1))
    r = registration(None, **OTHER_FIRM)
    result = run([c, other], [r])
    assert pairs(result) == {(c.id, r.id)}
    link = link_of(result, c)
    assert link is not None and link.method == "fuzzy" and link.details["other_name"] is True
    assert link.details["evidence"] == ["value", "dates", "title"]


def test_a_blank_number_under_another_name_registered_again_after_a_batal_supersedes_it() -> None:
    c = contract()
    cancelled = registration(None, status="batal", tanggal_daftar=date(2026, 3, 8), **OTHER_FIRM)
    again = registration(None, tanggal_daftar=date(2026, 3, 12), **OTHER_FIRM)
    result = run([c], [cancelled, again])
    assert pairs(result) == {(c.id, again.id)}
    assert result.superseded == {cancelled.id: c.id}


def test_a_blank_number_under_another_name_fitting_two_contracts_is_left_to_a_human() -> None:
    first = contract("1/SPK/2026")
    second = contract("2/SPK/2026", penyedia="CV. Sinar Jaya", npwp=None)
    r = registration(None, **OTHER_FIRM)
    result = run([first, second], [r])
    assert result.links == []
    assert [(a.registration_id, a.contract_ids) for a in result.ambiguous] == [(r.id, (first.id, second.id))]


def test_a_blank_number_under_another_name_not_clearly_better_than_the_next_is_left_to_a_human() -> None:
    fits = contract("1/SPK/2026")
    # The same project but for a coverage starting three weeks after its work did: it does not
    # fit, and it scores too close to the one that does.
    close = contract("2/SPK/2026", tanggal_mulai=date(2026, 2, 12))
    r = registration(None, **OTHER_FIRM)
    result = run([fits, close], [r])
    assert result.links == []
    assert [(a.registration_id, a.contract_ids) for a in result.ambiguous] == [(r.id, (fits.id, close.id))]


def test_a_blank_number_under_another_name_with_another_title_is_not_linked() -> None:
    c = contract()
    r = registration(None, nama_proyek="PEMBANGUNAN RUKO BLOK C", **OTHER_FIRM)
    result = run([c], [r])
    assert result.links == [] and result.ambiguous == []


# --- stage 2 and 3: no usable number --------------------------------------------------------------


def test_a_blank_number_is_resolved_by_npwp_and_value() -> None:
    c = contract()
    for blank in (None, "", "-", "BELUM ADA"):
        r = registration(blank)
        link = link_of(run([c], [r]), c)
        assert link is not None and link.registration_id == r.id and link.method == "npwp"


def test_npwp_picks_among_a_vendors_contracts_by_value_and_dates() -> None:
    small = contract("1/SPK/2026", nilai=300_000_000, tanggal_mulai=date(2026, 2, 1))
    big = contract("2/SPK/2026", nilai=1_500_000_000, tanggal_mulai=date(2026, 3, 5))
    late = contract("3/SPK/2026", nilai=1_480_000_000, tanggal_kontrak=date(2026, 6, 1),
                    tanggal_mulai=date(2026, 6, 3), tanggal_selesai=date(2026, 12, 1))
    r = registration(None, nilai=1_500_000_000)
    assert pairs(run([small, big, late], [r])) == {(big.id, r.id)}


def test_two_equally_good_contracts_of_one_vendor_are_ambiguous() -> None:
    first = contract("1/SPK/2026")
    second = contract("2/SPK/2026")
    r = registration(None)
    result = run([first, second], [r])
    assert result.links == []
    assert [(a.registration_id, a.contract_ids) for a in result.ambiguous] == [(r.id, (first.id, second.id))]


def test_a_blank_number_without_npwp_is_resolved_by_vendor_value_and_dates() -> None:
    c = contract(npwp=None)
    other = contract("5/SPK/2026", penyedia="CV. Sinar Jaya", npwp=None)
    r = registration("", npwp=None, penyedia="KARYA ABADI PT")
    link = link_of(run([c, other], [r]), c)
    assert link is not None and link.registration_id == r.id and link.method == "fuzzy"


def test_a_private_project_of_the_same_contractor_is_not_linked() -> None:
    # The contractor has an unregistered APBD contract and registered a private project of a
    # similar size: the same NPWP is not enough.
    c = contract(nilai=1_500_000_000)
    private = registration("12/SPK/SWASTA/2026", nilai=1_420_000_000, nama_proyek="PEMBANGUNAN RUKO",
                           masa_awal=date(2026, 6, 1), masa_akhir=date(2026, 12, 1), tanggal_daftar=date(2026, 6, 1))
    assert run([c], [private]).links == []


# --- one-to-one and supersession -----------------------------------------------------------------


def test_a_newer_registration_supersedes_an_older_one_of_the_same_contract() -> None:
    c = contract()
    old = registration(tanggal_daftar=date(2026, 3, 10))
    new = registration(tanggal_daftar=date(2026, 4, 2))
    result = run([c], [old, new])
    link = link_of(result, c)
    assert link is not None and link.registration_id == new.id
    assert link.details["superseded"] == [old.nomor_registrasi]
    assert result.superseded == {old.id: c.id}


def test_a_cancelled_registration_may_link_but_a_valid_one_wins() -> None:
    c = contract()
    cancelled = registration(status="batal")
    assert pairs(run([c], [cancelled])) == {(c.id, cancelled.id)}
    # Registered again after cancelling: the valid one is linked even if the batal one is newer.
    valid = registration(tanggal_daftar=date(2026, 3, 1))
    result = run([c], [cancelled, valid])
    assert pairs(result) == {(c.id, valid.id)}
    assert link_of(result, c).details["superseded"] == [cancelled.nomor_registrasi]  # type: ignore[union-attr]


def test_a_re_registration_matched_in_another_stage_still_supersedes() -> None:
    c = contract()
    old = registration(None, status="batal", tanggal_daftar=date(2026, 3, 8))  # NPWP: stage 2
    new = registration(None, npwp=None, tanggal_daftar=date(2026, 3, 12))  # no NPWP: stage 3
    result = run([c], [old, new])
    assert pairs(result) == {(c.id, new.id)}
    assert result.superseded == {old.id: c.id}


def test_a_third_registration_keeps_the_earlier_supersessions_listed() -> None:
    c = contract()
    first = registration(status="batal", tanggal_daftar=date(2026, 3, 6))
    second = registration(tanggal_daftar=date(2026, 3, 9))
    third = registration(None, npwp=None, tanggal_daftar=date(2026, 3, 20))  # no number: found at the end
    result = run([c], [first, second, third])
    link = link_of(result, c)
    assert link is not None and link.registration_id == third.id
    assert sorted(link.details["superseded"]) == sorted([first.nomor_registrasi, second.nomor_registrasi])
    assert result.superseded == {first.id: c.id, second.id: c.id}


def test_each_registration_links_one_contract_and_each_contract_one_registration() -> None:
    contracts = [contract(f"{i}/SPK/PPK.01/03/2026", nilai=100_000_000 * i) for i in range(1, 6)]
    registrations = [registration(f"{i}/SPK/PPK.01/03/2026", nilai=100_000_000 * i) for i in range(1, 6)]
    result = run(contracts, registrations)
    assert pairs(result) == {(c.id, r.id) for c, r in zip(contracts, registrations, strict=True)}


# --- stage 0: humans -----------------------------------------------------------------------------


def test_a_confirmed_link_wins_and_takes_both_out_of_automatic_matching() -> None:
    right = contract("027/14/SPK-PUPR/III/2026")
    wrong = contract("099/14/SPK-PUPR/III/2026", penyedia="CV. Lain", npwp=None, nilai=99_000_000)
    r = registration("027/14/SPK-PUPR/III/2026")
    other = registration("027/14/SPK-PUPR/III/2026", tanggal_daftar=date(2026, 5, 1))
    decisions = [Decision("PUPR", "099/14/SPK-PUPR/III/2026", r.nomor_registrasi, "confirm", "budi", "cek lapangan")]
    result = run([right, wrong], [r, other], decisions)
    manual = link_of(result, wrong)
    assert manual is not None and manual.registration_id == r.id
    assert manual.method == "manual" and manual.score == 1.0 and manual.details["actor"] == "budi"
    # The newer registration now gets the contract the confirmed one would have taken.
    assert pairs(result) == {(wrong.id, r.id), (right.id, other.id)}


def test_a_registration_naming_a_confirmed_contract_is_not_handed_to_its_vendors_other_contract() -> None:
    named = contract("1/SPK/2026")
    other = contract("345/SPK/2026")  # same contractor, value and dates: only the number differs
    confirmed = registration("1/SPK/2026")
    again = registration("1/SPK/2026", tanggal_daftar=date(2026, 4, 1))
    decisions = [Decision("PUPR", "1/SPK/2026", confirmed.nomor_registrasi, "confirm")]
    assert pairs(run([named, other], [confirmed, again], decisions)) == {(named.id, confirmed.id)}


def test_a_rejected_pair_is_never_linked_in_any_stage() -> None:
    c = contract()
    r = registration()
    decisions = [Decision("PUPR", c.nomor_kontrak, r.nomor_registrasi, "reject")]
    assert run([c], [r], decisions).links == []


def test_a_rejection_lets_the_next_candidate_through() -> None:
    pupr = contract("10/SPK/PPK.01/03/2026", opd="PUPR")
    perkim = contract("10/SPK/PPK.01/03/2026", opd="PERKIM")
    r = registration("10/SPK/PPK.01/03/2026")
    decisions = [Decision("PUPR", "10/SPK/PPK.01/03/2026", r.nomor_registrasi, "reject")]
    assert pairs(run([pupr, perkim], [r], decisions)) == {(perkim.id, r.id)}


def test_the_latest_decision_on_a_pair_wins_and_unknown_records_are_ignored() -> None:
    c = contract()
    r = registration()
    decisions = [
        Decision("PUPR", c.nomor_kontrak, r.nomor_registrasi, "reject"),
        Decision("PUPR", c.nomor_kontrak, r.nomor_registrasi, "confirm"),
        Decision("PUPR", "404/SPK/2026", "JK-404", "confirm"),
    ]
    link = link_of(run([c], [r], decisions), c)
    assert link is not None and link.method == "manual"


def test_the_latest_of_two_conflicting_confirms_wins() -> None:
    first = contract("1/SPK/2026")
    second = contract("2/SPK/2026", penyedia="CV. Lain", npwp=None)
    r = registration(None)
    decisions = [Decision("PUPR", "1/SPK/2026", r.nomor_registrasi, "confirm"),
                 Decision("PUPR", "2/SPK/2026", r.nomor_registrasi, "confirm")]
    assert pairs(run([first, second], [r], decisions)) == {(second.id, r.id)}


def test_no_data_no_links() -> None:
    assert run([], []).links == []
    assert run([contract()], []).links == []
    assert run([], [registration()]).links == []


def test_stages_one_and_two_leave_the_same_state_whether_forked_or_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond the links: what stages 1 and 2 leave for the later stages (the number matches deferred
    for a disagreeing value, the registrations naming a contract, the ambiguities) is the same after
    the merge."""
    contracts, registrations = [], []
    for k in range(6):
        number = f"9{k}/SPK-PUPR/2026"
        contracts.append(contract(number, nilai=1_500_000_000))
        registrations.append(registration(number, nilai=1_000_000_000))  # under-declared: deferred
        contracts += [contract(f"7{k}/SPK/2026", opd=opd) for opd in ("PUPR", "PERKIM")]
        registrations.append(registration(f"7{k}/SPK/2026"))  # two OPDs, equally good: ambiguous
        npwp = f"02.111.222.{k}-331.000"
        contracts += [contract(f"8{k}/{n}/SPK/2026", npwp=npwp, nama_paket="Drainase") for n in (1, 2)]
        registrations.append(registration(None, npwp=npwp.replace(".", "").replace("-", ""),
                                          nama_proyek="DRAINASE"))  # one vendor's two equal contracts
        contracts.append(contract(f"6{k}/SPK/2026", npwp=f"03.111.222.{k}-331.000"))
        registrations.append(registration(None, npwp=f"03111222{k}331000"))  # blank number: by NPWP
        contracts.append(contract(f"5{k}/SPK/2026", nilai=1_200_000_000))
        registrations.append(registration(f"5{k}/SPK/2026", penyedia="CV. Lain", npwp="04.111.222.3-331.000",
                                          nilai=1_200_000_000))  # another firm's name: for stage 5

    def after_stages() -> tuple[object, ...]:
        m = matcher._Matcher(contracts, registrations)
        m.by_number()
        m.by_npwp()
        return (list(m.holder), bytes(m.holder_stage), bytes(m.settled), bytes(m.named), sorted(m.deferred.items()),
                m.ambiguous, dict(m.superseded), sorted(m.other_named.items()))

    monkeypatch.setattr(matcher, "PARALLEL_STAGE_MIN_RECORDS", 10**9)
    alone = after_stages()
    monkeypatch.setattr(matcher, "PARALLEL_STAGE_MIN_RECORDS", 0)
    assert after_stages() == alone
    assert len(alone[4]) == 6 and len(alone[5]) == 12 and len(alone[7]) == 6  # type: ignore[arg-type]
    assert alone[1].count(2) == 6  # type: ignore[union-attr]


def test_npwps_ending_alike_still_split_in_two_even_parts() -> None:
    """Most NPWPs end in branch code 000: split by their parity, one process would get them all."""
    npwps = [int(f"01{n:07d}{n % 10}331000") for n in range(2_000)]
    first = sum(in_part(spread(npwp), (0, 2)) for npwp in npwps)
    assert 900 <= first <= 1_100
