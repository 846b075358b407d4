"""The Jakon premium in integer arithmetic, for generating a million realistic iuran amounts fast.

The same marginal tiers and the same rounding (half up to a whole rupiah) as
:func:`monitor.regulation.premium.required_premium`, which is the reference: a test holds the two equal. Rates
are in units of 0.01% so every band's premium is an exact integer fraction of 10,000.
"""

from __future__ import annotations

from itertools import pairwise

# (lower bound of the band, JKK + JKM rate in 0.01 %): 0.24 %, 0.19 %, 0.15 %, 0.12 %, 0.10 %.
_BANDS = ((0, 24), (100_000_000, 19), (500_000_000, 15), (1_000_000_000, 12), (5_000_000_000, 10))


def _cumulative() -> tuple[tuple[int, int, int], ...]:
    """(band lower bound, premium x 10,000 on everything below it, the band's rate), highest first."""
    rows = []
    below = 0
    for (lower, rate), (upper, _) in pairwise(_BANDS):
        rows.append((lower, below, rate))
        below += (upper - lower) * rate
    rows.append((_BANDS[-1][0], below, _BANDS[-1][1]))
    return tuple(reversed(rows))


_CUMULATIVE = _cumulative()


def required_premium(value: int) -> int:
    """JKK + JKM on a contract value, whole rupiah, marginal tiers (PP 44/2015 jo. PP 82/2019)."""
    for lower, below, rate in _CUMULATIVE:
        if value > lower:
            return (below + (value - lower) * rate + 5_000) // 10_000
    return 0


def kampung_premium(value: int) -> int:
    """Perwal Kota Jambi 18/2025: 0.24 % of the activity value, flat."""
    return (value * 24 + 5_000) // 10_000
