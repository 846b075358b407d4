"""Consortium names (KSO, JO, Konsorsium) read into their members, in every form clerks write."""

from __future__ import annotations

import pytest

from monitor.matching.consortium import is_consortium, members
from monitor.matching.features import member_keys
from monitor.matching.normalize import vendor_key

CONSORTIA = [
    ("KSO PT. Karya Abadi - CV. Mitra Jaya", ("PT. Karya Abadi", "CV. Mitra Jaya")),
    ("KSO PT Karya Abadi – CV Mitra Jaya", ("PT Karya Abadi", "CV Mitra Jaya")),
    ("KSO PT. Karya Abadi & CV. Mitra Jaya", ("PT. Karya Abadi", "CV. Mitra Jaya")),
    ("PT. Karya Abadi - CV. Mitra Jaya (KSO)", ("PT. Karya Abadi", "CV. Mitra Jaya")),
    ("KARYA ABADI, PT - MITRA JAYA, CV KSO", ("KARYA ABADI, PT", "MITRA JAYA, CV")),
    ("K.S.O. PT. Karya Abadi - PT. Sinar", ("PT. Karya Abadi", "PT. Sinar")),
    ("JO PT. Karya Abadi - CV. Mitra Jaya", ("PT. Karya Abadi", "CV. Mitra Jaya")),
    ("Joint Operation PT Karya Abadi dan CV Mitra Jaya", ("PT Karya Abadi", "CV Mitra Jaya")),
    ("Konsorsium PT. A Satu - PT. B Dua - CV. C Tiga", ("PT. A Satu", "PT. B Dua", "CV. C Tiga")),
    ("KSO: PT. Karya Abadi / CV. Mitra Jaya", ("PT. Karya Abadi", "CV. Mitra Jaya")),
    ("kso pt karya abadi - cv mitra jaya", ("pt karya abadi", "cv mitra jaya")),
]


@pytest.mark.parametrize(("name", "expected"), CONSORTIA)
def test_a_consortium_name_gives_its_members(name: str, expected: tuple[str, ...]) -> None:
    assert is_consortium(name)
    assert members(name) == expected


@pytest.mark.parametrize(("name", "expected"), [
    *CONSORTIA, ("J.O. PT. Karya Abadi - CV. Mitra Jaya", ("PT. Karya Abadi", "CV. Mitra Jaya")),
    ("Kerja Sama Operasi PT. Karya Abadi - CV. Mitra Jaya", ("PT. Karya Abadi", "CV. Mitra Jaya")),
])
def test_the_matchers_quick_look_for_a_mark_misses_no_consortium(name: str, expected: tuple[str, ...]) -> None:
    """The matcher skips the parser for names without a mark's letters (features.member_keys)."""
    assert member_keys(name) == tuple(vendor_key(member) for member in expected)


@pytest.mark.parametrize("name", [
    "CV. Tiga-Putra",  # a hyphen inside a name is not a separator
    "PT. Karya Abadi",
    "KARYA ABADI, PT",
    "CV Jono Konstruksi",  # "Jo..." inside a word is no JO mark
    "PT. Koso Jaya",
    "CV. Mitra & Rekan",  # an ampersand without a consortium mark: one firm's name
])
def test_a_single_firm_is_its_only_member(name: str) -> None:
    assert not is_consortium(name)
    assert members(name) == (name,)


def test_blank_and_mark_only_names_have_no_members() -> None:
    assert members("") == ()
    assert members("   ") == ()
    assert members("KSO") == ()


@pytest.mark.parametrize(("name", "expected"), [
    # A firm's own name may hold an ampersand or "dan": a piece without a legal form belongs to a firm.
    ("KSO CV. Tunas Jaya & CV. Maju & Jaya Bersama", ("CV. Tunas Jaya", "CV. Maju & Jaya Bersama")),
    ("JO CV. Maju & Jaya Bersama - PT. Mega Nusantara", ("CV. Maju & Jaya Bersama", "PT. Mega Nusantara")),
    ("KSO MAJU & JAYA, CV - KARYA ABADI, PT", ("MAJU & JAYA, CV", "KARYA ABADI, PT")),
    ("JO CV. MAJU & JAYA - KENALI SELARAS CV", ("CV. MAJU & JAYA", "KENALI SELARAS CV")),
    # Without any legal form, every separator separates.
    ("KSO Karya Abadi - Mitra Jaya", ("Karya Abadi", "Mitra Jaya")),
])
def test_names_holding_separators_stay_whole(name: str, expected: tuple[str, ...]) -> None:
    assert members(name) == expected
