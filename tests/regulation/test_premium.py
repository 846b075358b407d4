"""The value-based Jakon tariff, checked against an independent computation: exact fractions, the
bands written as (breakpoint, rate) steps, and half-up rounding by floor(x + 1/2)."""

from __future__ import annotations

import json
import math
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.regulation.premium import (
    kampung_premium,
    premium_breakdown,
    required_premium,
    round_half_up,
    to_rupiah,
    wage_premium,
)

JUTA = 10**6
# (value where the band starts, JKK, JKM) in basis points of a percent: 21 means 0.21%.
STEPS = [(0, 21, 3), (100 * JUTA, 17, 2), (500 * JUTA, 13, 2), (1000 * JUTA, 11, 1), (5000 * JUTA, 9, 1)]
BREAKPOINTS = [100 * JUTA, 500 * JUTA, 1000 * JUTA, 5000 * JUTA]


def exact(value: int, programme: str = "both") -> Fraction:
    total = Fraction(0)
    for i, (start, jkk, jkm) in enumerate(STEPS):
        end = STEPS[i + 1][0] if i + 1 < len(STEPS) else math.inf
        inside = max(0, min(value, end) - start)
        rate = {"jkk": jkk, "jkm": jkm, "both": jkk + jkm}[programme]
        total += Fraction(int(inside) * rate, 10_000)
    return total


def half_up(amount: Fraction) -> int:
    return math.floor(amount + Fraction(1, 2))


def expected(value: int) -> int:
    return half_up(exact(value))


def test_the_worked_examples_of_the_domain_brief() -> None:
    assert required_premium(75_000_000) == 180_000
    breakdown = premium_breakdown(75_000_000)
    assert (breakdown.jkk, breakdown.jkm, breakdown.total) == (157_500, 22_500, 180_000)

    assert required_premium(1_500_000_000) == 2_350_000
    breakdown = premium_breakdown(1_500_000_000)
    assert [b.jkk for b in breakdown.bands] == [210_000, 680_000, 650_000, 550_000]
    assert [b.jkm for b in breakdown.bands] == [30_000, 80_000, 100_000, 50_000]
    assert (breakdown.jkk, breakdown.jkm, breakdown.total) == (2_090_000, 260_000, 2_350_000)


def test_the_premium_at_each_breakpoint_is_the_sum_of_the_full_bands_below() -> None:
    assert required_premium(100 * JUTA) == 240_000
    assert required_premium(500 * JUTA) == 240_000 + 760_000
    assert required_premium(1000 * JUTA) == 1_000_000 + 750_000
    assert required_premium(5000 * JUTA) == 1_750_000 + 4_800_000


@pytest.mark.parametrize("breakpoint", BREAKPOINTS)
@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_the_premium_around_every_breakpoint(breakpoint: int, offset: int) -> None:
    value = breakpoint + offset
    assert required_premium(value) == expected(value)
    breakdown = premium_breakdown(value)
    assert breakdown.total == expected(value)
    assert breakdown.exact_total == Decimal(exact(value).numerator) / Decimal(exact(value).denominator)


@pytest.mark.parametrize("breakpoint", BREAKPOINTS)
def test_the_band_above_a_breakpoint_starts_one_rupiah_past_it(breakpoint: int) -> None:
    at = premium_breakdown(breakpoint)
    above = premium_breakdown(breakpoint + 1)
    assert at.bands[-1].upper == breakpoint
    assert above.bands[-1].lower == breakpoint
    assert above.bands[-1].portion == 1
    assert len(above.bands) == len(at.bands) + 1


def test_zero_owes_nothing_and_has_no_bands() -> None:
    assert required_premium(0) == 0
    assert premium_breakdown(0).bands == ()
    assert premium_breakdown(0).total == 0


@pytest.mark.parametrize("value", [1, 416, 417, 625, 1875, 123_456_789, 9_999_999_999, 10**15, 2**63 - 1])
def test_small_odd_and_huge_values_match_the_independent_sum(value: int) -> None:
    assert required_premium(value) == expected(value)
    assert premium_breakdown(value).total == expected(value)


def test_rounding_is_half_up_not_to_even() -> None:
    # 1875 × 0.24% = 4.5 exactly: half up gives 5 (banker's rounding would give 4).
    assert exact(1875) == Fraction(9, 2)
    assert required_premium(1875) == 5
    assert required_premium(1874) == 4  # 4.4976
    assert to_rupiah(Decimal("2.5")) == 3
    assert to_rupiah(Decimal("2.4999")) == 2
    assert round_half_up(45_000, 10_000) == 5
    assert round_half_up(44_999, 10_000) == 4


def test_the_fast_premium_equals_the_decimal_breakdown_everywhere() -> None:
    rng = random.Random(20260310)
    values = [rng.randrange(0, 10 ** rng.randrange(1, 13)) for _ in range(2000)]
    for value in values:
        assert required_premium(value) == premium_breakdown(value).total == expected(value), value


def test_the_programmes_always_add_up_to_the_total() -> None:
    for value in [*range(0, 5000, 7), 1875, 100 * JUTA + 3, 5000 * JUTA + 12_345]:
        breakdown = premium_breakdown(value)
        assert breakdown.jkk + breakdown.jkm == breakdown.total == required_premium(value)
        assert breakdown.jkk == half_up(exact(value, "jkk"))


def test_negative_or_non_integer_values_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        required_premium(-1)
    with pytest.raises(TypeError):
        required_premium(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        premium_breakdown(True)


def test_kampung_bahagia_pays_a_flat_quarter_percent() -> None:
    assert kampung_premium(100_000_000) == 240_000
    assert kampung_premium(150_000_000) == 360_000  # flat: no lower tier above Rp 100 juta
    assert kampung_premium(1875) == 5
    assert kampung_premium(0) == 0


def test_the_wage_based_premium() -> None:
    wages = wage_premium(5_000_000)
    assert (wages.jkk, wages.jkm, wages.total) == (87_000, 15_000, 102_000)
    assert wage_premium(3_456_789).total == half_up(Fraction(3_456_789 * 204, 10_000))


# --- pantau premium ------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["1.500.000.000", "Rp 1.500.000.000,-", "1500000000", "Rp. 1.500.000.000,00"])
def test_the_command_reads_nilai_as_people_write_it(written: str) -> None:
    result = CliRunner().invoke(cli, ["premium", written, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["nilai"] == 1_500_000_000
    assert (data["jkk"], data["jkm"], data["total"]) == (2_090_000, 260_000, 2_350_000)
    assert [band["portion"] for band in data["bands"]] == [100 * JUTA, 400 * JUTA, 500 * JUTA, 500 * JUTA]
    assert data["bands"][0] == {
        "lower": 0, "upper": 100 * JUTA, "portion": 100 * JUTA,
        "jkk_rate": "0.0021", "jkk": "210000", "jkm_rate": "0.0003", "jkm": "30000",
    }


def test_the_command_prints_the_breakdown_in_indonesian() -> None:
    result = CliRunner().invoke(cli, ["premium", "Rp 1.500.000.000,-"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Iuran Jakon (JKK + JKM) untuk nilai kontrak Rp1.500.000.000"
    band = next(line for line in lines if line.startswith("Rp1.000.000.000 – Rp5.000.000.000"))
    assert band.split() == [
        "Rp1.000.000.000", "–", "Rp5.000.000.000", "Rp500.000.000", "0,11%", "Rp550.000", "0,01%", "Rp50.000",
        "Rp600.000",
    ]
    total = next(line for line in lines if line.startswith("Jumlah "))
    assert total.split() == ["Jumlah", "Rp1.500.000.000", "Rp2.090.000", "Rp260.000", "Rp2.350.000"]
    assert "Minimal 50% saat pendaftaran: Rp1.175.000" in result.output
    assert "setengah ke atas" in result.output


def test_the_command_shows_fractions_of_a_rupiah_inside_a_band() -> None:
    result = CliRunner().invoke(cli, ["premium", "5.000.000.001"])
    assert result.exit_code == 0, result.output
    last_band = next(line for line in result.output.splitlines() if line.startswith("di atas Rp5.000.000.000"))
    assert "Rp0,0009" in last_band and "Rp0,0001" in last_band


def test_the_command_has_kampung_and_wage_modes() -> None:
    kampung = CliRunner().invoke(cli, ["premium", "100.000.000", "--kampung", "--format", "json"])
    assert json.loads(kampung.output)["total"] == 240_000
    wages = CliRunner().invoke(cli, ["premium", "5.000.000", "--upah"])
    assert "JKK 1,74% = Rp87.000" in wages.output and "JKM 0,30% = Rp15.000" in wages.output


@pytest.mark.parametrize("written", ["abc", "-5.000", "1.50.000", ""])
def test_the_command_refuses_what_is_not_a_rupiah_amount(written: str) -> None:
    result = CliRunner().invoke(cli, ["premium", "--", written])
    assert result.exit_code == 2
    assert "NILAI" in result.output
