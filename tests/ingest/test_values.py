from __future__ import annotations

from datetime import date, datetime

import pytest

from monitor.ingest.values import (
    BadValue,
    count_parser,
    enum_parser,
    parse_date,
    parse_money,
    parse_npwp,
    parse_text,
    text_parser,
)


@pytest.mark.parametrize(
    "written",
    ["1250000000", "1.250.000.000", "1.250.000.000,00", "Rp 1.250.000.000,-", "Rp1.250.000.000", "Rp. 1.250.000.000,-",
     "RP 1.250.000.000,00", "IDR 1.250.000.000", " 1.250.000.000 ", "1,250,000,000", "1,250,000,000.00",
     "Rp\xa01.250.000.000", 1250000000, 1250000000.0],
)
def test_it_reads_rupiah_as_indonesian_exports_write_it(written: object) -> None:
    assert parse_money(written) == 1_250_000_000


def test_it_reads_the_issue_example_with_rp_dot_prefix() -> None:
    assert parse_money("Rp. 61.000.000,-") == 61_000_000


@pytest.mark.parametrize(
    ("written", "rupiah"),
    [("1.250,49", 1250), ("1.250,50", 1251), ("1.250,5", 1251), ("1250000.5", 1250001), (1250000.5, 1250001),
     (1250000.49, 1250000), ("0", 0), ("1.250", 1250), ("1,250", 1250)],
)
def test_sen_are_rounded_half_up_and_three_digit_groups_are_thousands(written: object, rupiah: int) -> None:
    assert parse_money(written) == rupiah


@pytest.mark.parametrize("blank", [None, "", "  ", "-", "—"])
def test_blank_money_is_none(blank: object) -> None:
    assert parse_money(blank) is None


@pytest.mark.parametrize(
    ("written", "says"),
    [("-5.000.000", "negatif"), ("(5.000.000)", "negatif"), ("Rp -5.000", "negatif"), (-1, "negatif"),
     ("1,25E+09", "notasi ilmiah"), ("12.34.567", "ribuan"), ("satu juta", "bukan angka"), ("12a", "bukan angka"),
     (True, "bukan angka"), (float("nan"), "bukan angka")],
)
def test_it_refuses_money_it_cannot_trust(written: object, says: str) -> None:
    with pytest.raises(BadValue, match=says):
        parse_money(written)


@pytest.mark.parametrize(
    "written",
    ["2026-03-25", "2026/03/25", "25/03/2026", "25-03-2026", "25.03.2026", "25/3/2026", "25/03/26", "25 Maret 2026",
     "25 maret 2026", "25 MARET 2026", "25 Mar 2026", "25-Mar-2026", "25-Mar-26", "Rabu, 25 Maret 2026",
     "2026-03-25 00:00:00", "25/03/2026 08:30", "46106", 46106, 46106.0, datetime(2026, 3, 25, 8, 30),
     date(2026, 3, 25)],
)
def test_it_reads_dates_as_indonesian_exports_write_them(written: object) -> None:
    assert parse_date(written) == date(2026, 3, 25)


@pytest.mark.parametrize(
    ("written", "month"),
    [("1 Januari 2026", 1), ("1 Jan 2026", 1), ("1 Februari 2026", 2), ("1 Feb 2026", 2), ("1 Pebruari 2026", 2),
     ("1 April 2026", 4), ("1 Apr 2026", 4), ("1 Mei 2026", 5), ("1 Juni 2026", 6), ("1 Jun 2026", 6),
     ("1 Juli 2026", 7), ("1 Jul 2026", 7), ("1 Agustus 2026", 8), ("1 Agu 2026", 8), ("1 Agt 2026", 8),
     ("1 Aug 2026", 8), ("1 September 2026", 9), ("1 Sep 2026", 9), ("1 Sept 2026", 9), ("1 Oktober 2026", 10),
     ("1 Okt 2026", 10), ("1 Oct 2026", 10), ("1 November 2026", 11), ("1 Nop 2026", 11), ("1 Nov 2026", 11),
     ("1 Nopember 2026", 11), ("1 Desember 2026", 12), ("1 Des 2026", 12), ("1 Dec 2026", 12)],
)
def test_it_knows_indonesian_month_names_and_short_forms(written: str, month: int) -> None:
    assert parse_date(written) == date(2026, month, 1)


@pytest.mark.parametrize(
    ("written", "says"),
    [("31/02/2026", "tidak ada di kalender"), ("29/02/2026", "tidak ada di kalender"), ("03/25/2026", "kalender"),
     ("30 Februari 2026", "kalender"), ("25 Marett 2026", "nama bulan"), ("kemarin", "bukan tanggal"),
     ("25/03/0226", "rentang wajar"), ("2026", "rentang wajar"), (True, "bukan tanggal")],
)
def test_it_refuses_dates_that_do_not_exist(written: object, says: str) -> None:
    with pytest.raises(BadValue, match=says):
        parse_date(written)


def test_a_leap_day_exists_in_a_leap_year() -> None:
    assert parse_date("29/02/2028") == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("written", "digits"),
    [("01.234.567.8-901.000", "012345678901000"), ("012345678901000", "012345678901000"),
     ("01 234 567 8 901 000", "012345678901000"), ("1234567890123456", "1234567890123456"),
     ("1234.5678.9012.3456", "1234567890123456"), (12345678901000, "012345678901000")],
)
def test_npwp_keeps_its_15_or_16_digits_whatever_the_punctuation(written: object, digits: str) -> None:
    assert parse_npwp(written) == digits


@pytest.mark.parametrize("written", ["01.234.567.8-901.00", "12345678901234567", "NPWP"])
def test_npwp_of_another_length_is_refused(written: str) -> None:
    with pytest.raises(BadValue, match="15 atau 16 digit"):
        parse_npwp(written)


def test_text_is_trimmed_and_inner_whitespace_collapsed() -> None:
    assert parse_text("  CV  Karya\nAbadi ") == "CV Karya Abadi"
    assert parse_text(12345.0) == "12345"
    assert parse_text("-") is None


def test_text_longer_than_the_column_is_refused() -> None:
    parse = text_parser(5)
    assert parse("12345") == "12345"
    with pytest.raises(BadValue, match="terlalu panjang"):
        parse("123456")


def test_enumerations_ignore_case_and_accept_synonyms() -> None:
    parse = enum_parser({"aktif": "aktif", "selesai": "berakhir", "berakhir": "berakhir"}, "status")
    assert parse("AKTIF") == "aktif"
    assert parse(" Selesai ") == "berakhir"
    assert parse("") is None
    with pytest.raises(BadValue, match="pilihan: aktif, berakhir"):
        parse("hilang")


def test_counts_have_bounds() -> None:
    parse = count_parser(1990, 2100, "tahun")
    assert parse("2026") == 2026
    assert parse(2026.0) == 2026
    assert parse(2100) == 2100
    with pytest.raises(BadValue, match="di luar rentang"):
        parse("2101")
    with pytest.raises(BadValue, match="bilangan bulat"):
        parse("2026a")
