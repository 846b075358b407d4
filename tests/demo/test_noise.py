"""The high noise level (``pantau demo-data --noise high``): registrations under another name than the
contract's (consortia, their members, unrelated firms), more blank NPWPs and numbers, more numbers
shared between OPDs — and a normal year left exactly as it was."""

from __future__ import annotations

from collections import Counter

import pytest
from rapidfuzz.fuzz import ratio

from monitor.demo import DemoYear, build_year
from monitor.demo.plan import NOISES, Noise, noise_level
from monitor.matching.consortium import is_consortium, members
from monitor.matching.normalize import contract_number_key, vendor_key

CONTRACTS = 1500


@pytest.fixture(scope="module")
def normal() -> DemoYear:
    return build_year(CONTRACTS, seed=5)


@pytest.fixture(scope="module")
def high() -> DemoYear:
    return build_year(CONTRACTS, seed=5, noise="high")


def labelled(year: DemoYear) -> Counter[str]:
    return Counter(label for labels in year.truth["scenarios"].values() for label in labels)


def test_the_normal_level_adds_nothing(normal: DemoYear) -> None:
    assert NOISES["normal"] == Noise()
    assert not any(getattr(NOISES["normal"], name) for name in ("consortium", "other_name", "blank_npwp",
                                                                 "blank_number", "shared_numbers"))
    assert "noise" not in normal.truth
    counts = labelled(normal)
    assert not {"kso_contract", "registered_by_consortium", "registered_by_partner",
                "registered_under_other_name"} & set(counts)


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown noise level 'loud'"):
        noise_level("loud")


def test_high_noise_is_deterministic() -> None:
    assert build_year(300, seed=9, noise="high").registrations == build_year(300, seed=9, noise="high").registrations


def test_high_noise_keeps_the_year_s_shape(normal: DemoYear, high: DemoYear) -> None:
    # The same contracts signed on the same days for the same values: only how things are written changes.
    assert len(high.contracts) == len(normal.contracts)
    assert [c["tanggal_kontrak"] for c in high.contracts] == [c["tanggal_kontrak"] for c in normal.contracts]
    assert high.truth["noise"] == "high"


def test_about_one_registration_in_ten_is_under_another_name(high: DemoYear) -> None:
    counts = labelled(high)
    kso = counts["kso_contract"]
    assert 0.08 * CONTRACTS < kso < 0.16 * CONTRACTS
    others = sum(counts[label] for label in ("registered_by_consortium", "registered_by_partner",
                                             "registered_under_other_name"))
    assert 0.05 * len(high.registrations) < others < 0.2 * len(high.registrations)
    assert counts["registered_by_lead"] > 0


def test_consortium_names_are_read_back_into_their_members(high: DemoYear) -> None:
    names = [row["penyedia"] for row in (*high.contracts, *high.registrations) if is_consortium(row["penyedia"])]
    assert len(names) > 50
    for name in names:
        assert len(members(name)) == 2, name


def test_a_consortium_s_registration_names_the_contract_s_vendor_among_its_members(high: DemoYear) -> None:
    contracts = {(high.opd_code(c["opd"]), c["nomor_kontrak"]): c for c in high.contracts}
    registrations = {r["nomor_registrasi"]: r for r in high.registrations}
    checked = 0
    for link in high.truth["links"]:
        contract = contracts[(link["opd"], link["nomor_kontrak"])]
        registration = registrations[link["nomor_registrasi"]]
        if is_consortium(registration["penyedia"]) and not is_consortium(contract["penyedia"]):
            # The contract names the lead; the consortium's name carries it, as BPJS types names
            # (upper case, the form after a comma, sometimes a letter short).
            lead = vendor_key(contract["penyedia"])
            assert max(ratio(lead, vendor_key(member)) for member in members(registration["penyedia"])) > 90, (
                contract["penyedia"], registration["penyedia"])
            checked += 1
    assert checked > 5


def test_more_registrations_without_npwp_or_number(normal: DemoYear, high: DemoYear) -> None:
    def share_blank(year: DemoYear, column: str) -> float:
        return sum(1 for r in year.registrations if not r[column]) / len(year.registrations)

    assert share_blank(high, "npwp_penyedia") > share_blank(normal, "npwp_penyedia") + 0.1
    assert share_blank(high, "nomor_kontrak") > share_blank(normal, "nomor_kontrak") + 0.02


def test_more_contract_numbers_are_shared_between_opds(normal: DemoYear, high: DemoYear) -> None:
    def shared(year: DemoYear) -> int:
        opds: dict[str, set[str]] = {}
        for c in year.contracts:
            opds.setdefault(contract_number_key(c["nomor_kontrak"]), set()).add(year.opd_code(c["opd"]))
        return sum(1 for found in opds.values() if len(found) > 1)

    assert shared(high) > shared(normal)
