"""The Jakon premium (iuran JKK + JKM) for construction projects.

When the workers' wages are unknown — the usual case for an APBD contract — BPJS Ketenagakerjaan
charges by contract value in *marginal* tiers, like tax brackets: each rate applies only to the
part of the value inside its band (PP 44/2015 as amended by PP 82/2019; PP 49/2020 art. 12 restates
the JKM tiers in this form; BPJS Perdir 22/2022):

====================================  =======  =======
band of contract value                JKK      JKM
====================================  =======  =======
up to Rp 100 juta                     0.21%    0.03%
over 100 juta to 500 juta             0.17%    0.02%
over 500 juta to 1 miliar             0.13%    0.02%
over 1 miliar to 5 miliar             0.11%    0.01%
over 5 miliar                         0.09%    0.01%
====================================  =======  =======

Rp 75.000.000 → Rp 180.000; Rp 1.500.000.000 → Rp 2.350.000 (a flat 0.12% would wrongly give
Rp 1.800.000). Beware figures like "0.0021%": that is the temporary 99% COVID discount of PP 49/2020.

Rounding: BPJS does not publish its rounding rule. Pantau computes every amount exactly (Decimal for
the breakdown; integers of the tariff's smallest unit for :func:`required_premium`, which runs for every
contract) and rounds **once**, half up to a whole rupiah, in :func:`round_half_up`; the JKK/JKM split
of a total is rounded the same way and JKM takes the remainder, so the parts always add up to the total.
Change the rule there and only there.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

# Enough digits for any rupiah value a BIGINT column holds, times a rate, without rounding.
_EXACT = Context(prec=60, rounding=ROUND_HALF_UP)


def round_half_up(numerator: int, denominator: int = 1) -> int:
    """THE rounding rule for premiums: the exact amount ``numerator / denominator`` rounded half up
    to a whole rupiah (BPJS publishes none)."""
    return (2 * numerator + denominator) // (2 * denominator)


def to_rupiah(amount: Decimal) -> int:
    """An exact Decimal amount, rounded by :func:`round_half_up`."""
    return round_half_up(*amount.as_integer_ratio())


@dataclass(frozen=True, slots=True)
class Band:
    """One tier of the value-based tariff: ``lower`` < part of the value <= ``upper``."""

    lower: int
    upper: int | None  # None: no upper bound
    jkk_rate: Decimal  # a fraction: 0.0021 is 0.21%
    jkm_rate: Decimal

    @property
    def rate(self) -> Decimal:
        return self.jkk_rate + self.jkm_rate


JUTA = 1_000_000
MILIAR = 1_000_000_000

TARIFF: tuple[Band, ...] = (
    Band(0, 100 * JUTA, Decimal("0.0021"), Decimal("0.0003")),
    Band(100 * JUTA, 500 * JUTA, Decimal("0.0017"), Decimal("0.0002")),
    Band(500 * JUTA, 1 * MILIAR, Decimal("0.0013"), Decimal("0.0002")),
    Band(1 * MILIAR, 5 * MILIAR, Decimal("0.0011"), Decimal("0.0001")),
    Band(5 * MILIAR, None, Decimal("0.0009"), Decimal("0.0001")),
)

# Perwal Kota Jambi 18/2025: Kampung Bahagia participants are covered through a Jakon premium of
# 0.24% of the activity value, flat (activities are at most Rp 100 juta, where it equals band 1).
KAMPUNG_RATE = Decimal("0.0024")

# When the wages are known: a percentage of the monthly wages (PP 44/2015 jo. PP 82/2019).
WAGE_JKK_RATE = Decimal("0.0174")
WAGE_JKM_RATE = Decimal("0.0030")


@dataclass(frozen=True, slots=True)
class BandPortion:
    """The part of a value that falls in one band, and the premium on it (exact, not rounded)."""

    lower: int
    upper: int | None
    portion: int
    jkk_rate: Decimal
    jkk: Decimal
    jkm_rate: Decimal
    jkm: Decimal

    @property
    def total(self) -> Decimal:
        return self.jkk + self.jkm


@dataclass(frozen=True, slots=True)
class PremiumBreakdown:
    """The premium on ``value``: every band the value reaches, and the rounded totals
    (``jkk + jkm == total`` always)."""

    value: int
    bands: tuple[BandPortion, ...]
    jkk: int
    jkm: int
    total: int

    @property
    def exact_total(self) -> Decimal:
        return sum((band.total for band in self.bands), Decimal(0))


def _check_value(value: int) -> None:
    if type(value) is not int:
        raise TypeError(f"a rupiah value must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"a rupiah value cannot be negative: {value}")


def _split(exact_jkk: Decimal, exact_jkm: Decimal) -> tuple[int, int, int]:
    total = to_rupiah(_EXACT.add(exact_jkk, exact_jkm))
    jkk = to_rupiah(exact_jkk)
    return jkk, total - jkk, total


def premium_breakdown(value: int, tariff: tuple[Band, ...] = TARIFF) -> PremiumBreakdown:
    """The value-based Jakon premium, band by band (marginal tiers)."""
    _check_value(value)
    portions = []
    for band in tariff:
        if value <= band.lower:
            break
        top = value if band.upper is None else min(value, band.upper)
        portion = top - band.lower
        portions.append(
            BandPortion(
                lower=band.lower,
                upper=band.upper,
                portion=portion,
                jkk_rate=band.jkk_rate,
                jkk=_EXACT.multiply(Decimal(portion), band.jkk_rate),
                jkm_rate=band.jkm_rate,
                jkm=_EXACT.multiply(Decimal(portion), band.jkm_rate),
            )
        )
    exact_jkk = sum((p.jkk for p in portions), Decimal(0))
    exact_jkm = sum((p.jkm for p in portions), Decimal(0))
    jkk, jkm, total = _split(exact_jkk, exact_jkm)
    return PremiumBreakdown(value=value, bands=tuple(portions), jkk=jkk, jkm=jkm, total=total)


def _steps(tariff: tuple[Band, ...]) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """The tariff in integers: ``scale`` (the rates' smallest unit, 10.000 for 0.0021) and, highest band
    first, (band lower bound, premium on everything below it, the band's rate), both in 1/scale rupiah.
    Exact like Decimal, and several times faster."""
    digits = max(-int(rate.as_tuple().exponent) for band in tariff for rate in (band.jkk_rate, band.jkm_rate))
    scale = 10**max(digits, 0)
    rows = []
    below = 0
    for band in tariff:
        rate = int(band.rate * scale)
        rows.append((band.lower, below, rate))
        if band.upper is not None:
            below += (band.upper - band.lower) * rate
    return scale, tuple(reversed(rows))


_SCALE, _STEPS = _steps(TARIFF)


def required_premium(value: int) -> int:
    """The Jakon premium (JKK + JKM) in whole rupiah for a contract ``value``: always equal to
    ``premium_breakdown(value).total``, computed without building a breakdown because the check runs
    it for every contract."""
    _check_value(value)
    for lower, below, rate in _STEPS:
        if value > lower:
            return round_half_up(below + (value - lower) * rate, _SCALE)
    return 0


def kampung_premium(value: int) -> int:
    """The Kampung Bahagia premium: 0.24% of the activity value, flat (Perwal 18/2025)."""
    _check_value(value)
    return to_rupiah(_EXACT.multiply(Decimal(value), KAMPUNG_RATE))


@dataclass(frozen=True, slots=True)
class WagePremium:
    wages: int
    jkk: int
    jkm: int
    total: int


def wage_premium(monthly_wages: int) -> WagePremium:
    """The monthly premium when the workers' wages are known: JKK 1.74% + JKM 0.30%."""
    _check_value(monthly_wages)
    wages = Decimal(monthly_wages)
    jkk, jkm, total = _split(_EXACT.multiply(wages, WAGE_JKK_RATE), _EXACT.multiply(wages, WAGE_JKM_RATE))
    return WagePremium(wages=monthly_wages, jkk=jkk, jkm=jkm, total=total)
