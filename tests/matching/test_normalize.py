"""Keys of contract numbers, vendor names, NPWP and titles as contractors type them at BPJS."""

from __future__ import annotations

import random

import pytest
from rapidfuzz.distance import Levenshtein

from monitor.matching.normalize import contract_number_key, deletion_keys, npwp_key, title_key, vendor_key

PUPR = "27/14/SPK/PUPR/3/2026"


@pytest.mark.parametrize(
    "typed",
    [
        "027/14/SPK-PUPR/III/2026",  # as written in the contract
        "027/14/spk-pupr/iii/2026",  # case
        "027 / 14 / SPK-PUPR / III / 2026",  # spacing
        "  027/14/SPK-PUPR/III/2026  ",
        "027-14-SPK-PUPR-III-2026",  # separators
        "027.14.SPK.PUPR.III.2026",
        "027,14,SPK,PUPR,III,2026",
        "027_14_SPK PUPR\\III\\2026",
        "027/14/SPK PUPR/III/2026",
        "No. 027/14/SPK-PUPR/III/2026",  # prefixes
        "No.027/14/SPK-PUPR/III/2026",
        "NO : 027/14/SPK-PUPR/III/2026",
        "Nomor: 027/14/SPK-PUPR/III/2026",
        "Nomor 027/14/SPK-PUPR/III/2026",
        "NO. KONTRAK: 027/14/SPK-PUPR/III/2026",
        "Nomor Kontrak 027/14/SPK-PUPR/III/2026",
        "27/14/SPK-PUPR/III/2026",  # leading zeros within a segment
        "0027/014/SPK-PUPR/III/2026",
        "027/14/SPK-PUPR/3/2026",  # the month in digits instead of Roman numerals
        "027/14/SPK-PUPR/03/2026",
        "O27/14/SPK-PUPR/III/2O26",  # letter O typed for zero inside a number
    ],
)
def test_the_ways_people_write_one_number_share_a_key(typed: str) -> None:
    assert contract_number_key(typed) == PUPR


def test_letters_glued_to_digits_split_like_a_separator() -> None:
    assert contract_number_key("10/SPK/PPK.05/11/2021") == contract_number_key("10/SPK/PPK05/XI/2021")
    assert contract_number_key("10/SPK/PPK.05/11/2021") == "10/SPK/PPK/5/11/2021"


def test_a_label_word_belongs_to_the_number_unless_a_colon_follows() -> None:
    # "No. SPK/10/2021": SPK is part of the number; "No. SPK: 10/2021": SPK labels it.
    assert contract_number_key("No. SPK/10/2021") == "SPK/10/2021"
    assert contract_number_key("No. SPK: 10/2021") == "10/2021"


def test_every_roman_month_becomes_its_number() -> None:
    romans = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
    for month, roman in enumerate(romans, start=1):
        assert contract_number_key(f"5/SPK/{roman}/2026") == f"5/SPK/{month}/2026"
    assert contract_number_key("5/SPK/XIII/2026") == "5/SPK/XIII/2026"  # not a month: kept


def test_different_numbers_keep_different_keys() -> None:
    assert contract_number_key("027/14/SPK-PUPR/III/2026") != contract_number_key("028/14/SPK-PUPR/III/2026")
    assert contract_number_key("027/14/SPK-PUPR/III/2026") != contract_number_key("027/14/SPK-PUPR/IV/2026")
    assert contract_number_key("1/12/SPK") != contract_number_key("11/2/SPK")  # segments stay apart


@pytest.mark.parametrize("blank", [None, "", "   ", "-", "--", "0", "000", "N/A", "tidak ada", "BELUM ADA", "/"])
def test_blank_and_placeholder_numbers_have_no_key(blank: str | None) -> None:
    assert contract_number_key(blank) is None


def test_keys_one_edit_apart_share_a_deletion_key() -> None:
    rng = random.Random(7)
    alphabet = "0123456789/SPK"
    for _ in range(300):
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(5, 20)))
        i = rng.randrange(len(a))
        edits = [a[:i] + a[i + 1:], a[:i] + rng.choice(alphabet) + a[i + 1:], a[:i] + rng.choice(alphabet) + a[i:]]
        for b in edits:
            assert set(deletion_keys(a)) & set(deletion_keys(b)), (a, b)
    far = ("27/14/SPK", "38/25/SPK")
    assert Levenshtein.distance(*far) > 1
    assert not set(deletion_keys(far[0])) & set(deletion_keys(far[1]))


@pytest.mark.parametrize(
    "typed",
    ["PT. Karya Abadi", "PT Karya Abadi", "PT.KARYA ABADI", "P.T. Karya Abadi", "KARYA ABADI, PT", "Karya Abadi PT",
     "karya  abadi", "Karya Abadi (Persero) Tbk", "PT. KARYA-ABADI", "CV. Karya Abadi", "KARYA ABADI, CV."],
)
def test_vendor_names_lose_their_legal_form_punctuation_and_case(typed: str) -> None:
    assert vendor_key(typed) == "KARYA ABADI"


def test_a_legal_form_inside_the_name_stays() -> None:
    assert vendor_key("CV. Putra PT Jaya") == "PUTRA PT JAYA"
    assert vendor_key("PT") == ""
    assert vendor_key("") == ""


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("01.234.567.8-901.000", "012345678901000"),
        ("012345678901000", "012345678901000"),
        ("0012345678901000", "012345678901000"),  # the 16-digit form since 2024: 0 + the old 15 digits
        ("3171234567890001", "3171234567890001"),  # a person's NIK as NPWP stays 16 digits
        ("00.000.000.0-000.000", None),  # placeholder
        ("12345", None),  # wrong length
        ("", None),
        (None, None),
    ],
)
def test_npwp_keys(typed: str | None, key: str | None) -> None:
    assert npwp_key(typed) == key


def test_titles_drop_what_people_add_around_them() -> None:
    contract = "Pembangunan Drainase Lrg. Mawar Kel. Kenali Asam"
    assert title_key("PEKERJAAN PEMB. DRAINASE LRG. MAWAR KEL KENALI ASAM TA 2026") == title_key(contract)
    assert title_key(contract) == "PEMBANGUNAN DRAINASE LORONG MAWAR KELURAHAN KENALI ASAM"
