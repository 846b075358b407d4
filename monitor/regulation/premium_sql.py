"""The Jakon premium as an SQL expression, for aggregates over every contract in one query (the metrics
collector and the monev report)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, case, literal

from monitor.regulation.premium import TARIFF, Band

_SCALE = 10_000  # tariff rates are whole ten-thousandths (0.24% = 24 / 10 000)


def premium_sql(value: ColumnElement[Any], tariff: tuple[Band, ...] = TARIFF) -> ColumnElement[Any]:
    """:func:`monitor.regulation.premium.required_premium` as an SQL expression, built from the same tariff:
    integer arithmetic in ten-thousandths, rounded half up once, so the sum over a million contracts
    is one aggregate query and equals the Python figure to the rupiah."""
    whens = []
    below = 0  # premium on everything under the band, in ten-thousandths of a rupiah
    for band in tariff:
        scaled = band.rate * _SCALE
        if scaled != scaled.to_integral_value():
            raise ValueError(f"tariff rate {band.rate} is not a whole number of ten-thousandths")
        rate = int(scaled)
        # Typed BIGINT: PostgreSQL would take the bare numbers for INTEGER and overflow past Rp 2,1 miliar.
        lower = literal(band.lower, BigInteger)
        whens.append((value > lower, (value - lower) * literal(rate, BigInteger) + literal(below, BigInteger)))
        if band.upper is not None:
            below += (band.upper - band.lower) * rate
    exact = case(*reversed(whens), else_=literal(0, BigInteger))
    return (exact + literal(_SCALE // 2, BigInteger)) // literal(_SCALE, BigInteger)
