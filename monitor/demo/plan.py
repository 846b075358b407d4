"""The skeleton of the year, laid out first and cheaply: which day each contract is signed, by
which OPD, under which SPK number; and the vendors.

Everything that must be sequential (each OPD numbers its own SPKs across the year) happens here,
so each chunk of the year can then be generated independently — in parallel processes for a
million contracts — from its :class:`ChunkPlan` and its own random stream.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from monitor.demo.names import Vendor, make_vendors
from monitor.demo.numbers import Numbering
from monitor.demo.reference import Reference, kota_jambi
from monitor.regulation.workdays import WorkingCalendar

CHUNK_CONTRACTS = 10_000
DAY = timedelta(days=1)
# Contracts per month (index 1-12): APBD tenders start in March, APBD-Perubahan adds a second wave.
MONTH_WEIGHTS = (0, 0.3, 0.7, 1.2, 1.4, 1.5, 1.4, 1.3, 1.1, 1.0, 1.2, 0.8, 0.3)
UNKNOWN_OPD = -1
# Every this many contracts, one comes from an OPD the directory lacks, and one package is split
# in two identical contracts (the twin takes the next contract's place, so the total stays exact).
UNKNOWN_EVERY, UNKNOWN_AT = 400, 37
SPLIT_EVERY, SPLIT_AT = 700, 211


def fiscal_year(as_of: date) -> int:
    """The budget year a demo as of ``as_of`` covers: the current one once it is under way."""
    return as_of.year if as_of.month >= 3 else as_of.year - 1


class Planned(NamedTuple):
    serial: int  # position in the year, 0-based; every id derived from it is unique
    day: date
    opd: int  # index into the reference's OPDs, or UNKNOWN_OPD
    number: str
    twin_of: int | None = None  # the serial of the contract this one duplicates (a split package)


@dataclass(frozen=True, slots=True)
class ChunkPlan:
    index: int
    items: tuple[Planned, ...]
    first_row: int  # contracts before this chunk (for the running "No" column)


@dataclass(frozen=True)
class Noise:
    """How careless the year's clerks are, beyond the demo's own noise (which every level keeps).

    ``normal`` adds nothing: the demo year is the same, byte for byte. ``high`` is a year where a
    registration is often made under another name than the contract's: contracts won by a
    consortium (KSO) whose registration is made by the consortium, its lead or its partner, and
    registrations under an unrelated firm's name; more registrations without NPWP or contract
    number; more OPDs numbering their SPKs per PPK per month (numbers shared between OPDs). Its
    draws come from a random stream of their own, so the rest of the year is the normal one."""

    name: str = "normal"
    consortium: float = 0.0  # contracts won by a KSO: the vendor leads it, with a partner
    other_name: float = 0.0  # registrations (of other contracts) under an unrelated firm's name
    blank_npwp: float = 0.0  # registrations whose NPWP is left blank, on top of the usual
    blank_number: float = 0.0  # registrations typed exactly whose number is left blank instead
    shared_numbers: float = 0.0  # OPDs switched to numbering per PPK per month


NOISES = {
    "normal": Noise(),
    "high": Noise("high", consortium=0.12, other_name=0.03, blank_npwp=0.25, blank_number=0.08,
                  shared_numbers=0.35),
}


def noise_level(name: str | Noise) -> Noise:
    if isinstance(name, Noise):
        return name
    try:
        return NOISES[name]
    except KeyError:
        raise ValueError(f"unknown noise level {name!r}: one of {', '.join(NOISES)}") from None


@dataclass
class YearContext:
    """What every chunk shares: read-only once built (worker processes inherit it)."""

    total: int
    seed: int
    as_of: date
    year: int
    ref: Reference
    vendors: list[Vendor]
    calendar: WorkingCalendar
    noise: Noise = NOISES["normal"]


def year_context(contracts: int, seed: int, as_of: date, noise: str | Noise = "normal") -> YearContext:
    if contracts < 0:
        raise ValueError("the number of contracts cannot be negative")
    ref = kota_jambi()
    # About five contracts per vendor, as in a city year; past 100,000 vendors (benchmark years)
    # the big firms simply win more.
    vendors = make_vendors(ref, random.Random(f"{seed}:vendors"), max(60, min(contracts // 5, 100_000)))
    return YearContext(contracts, seed, as_of, fiscal_year(as_of), ref, vendors, WorkingCalendar(),
                       noise_level(noise))


def contract_days(ctx: YearContext) -> list[tuple[date, int]]:
    """(day, number of contracts signed that day), exactly ``ctx.total`` in all, up to the day
    before the demo date."""
    rng = random.Random(f"{ctx.seed}:days")
    last = min(ctx.as_of - DAY, date(ctx.year, 12, 30))
    days: list[date] = []
    weights: list[float] = []
    day = date(ctx.year, 1, 2)
    while day <= last:
        weight = MONTH_WEIGHTS[day.month] * (0.6 + 0.8 * rng.random())
        if not ctx.calendar.is_working_day(day):
            weight *= 0.03
        days.append(day)
        weights.append(weight)
        day += DAY
    if not days:
        days, weights = [last], [1.0]
    scale = ctx.total / sum(weights)
    shares = [w * scale for w in weights]
    counts = [int(s) for s in shares]
    short = ctx.total - sum(counts)
    for i in sorted(range(len(days)), key=lambda i: counts[i] - shares[i])[:short]:
        counts[i] += 1
    return [(d, c) for d, c in zip(days, counts, strict=True) if c]


def chunk_plans(ctx: YearContext, chunk_size: int = CHUNK_CONTRACTS) -> Iterator[ChunkPlan]:
    """The year cut into chunks of about ``chunk_size`` contracts, in date order (lazily: a
    million contracts' plan is never held at once)."""
    rng = random.Random(f"{ctx.seed}:plan")
    numbering = Numbering(rng, ctx.year)
    opds = ctx.ref.opds
    total_weight = sum(o.weight for o in opds)
    edges: list[float] = []
    acc = 0.0
    for opd in opds:
        acc += opd.weight / total_weight
        edges.append(acc)
    last = len(opds) - 1
    styles = _number_styles(ctx)
    chunk = 0
    items: list[Planned] = []
    first_row = 0
    serial = 0
    twin_next: Planned | None = None
    for day, count in contract_days(ctx):
        for _ in range(count):
            if twin_next is not None:
                opd = opds[twin_next.opd]
                number = numbering.number(opd.code, styles[opd.code], twin_next.day.month)
                items.append(Planned(serial, twin_next.day, twin_next.opd, number, twin_next.serial))
                twin_next = None
            elif serial % UNKNOWN_EVERY == UNKNOWN_AT:
                items.append(Planned(serial, day, UNKNOWN_OPD, numbering.unknown(ctx.ref.unknown_opd_number)))
            else:
                index = min(bisect.bisect_right(edges, rng.random()), last)
                opd = opds[index]
                items.append(Planned(serial, day, index, numbering.number(opd.code, styles[opd.code], day.month)))
                if serial % SPLIT_EVERY == SPLIT_AT:
                    twin_next = items[-1]
            serial += 1
            if len(items) >= chunk_size and twin_next is None:
                yield ChunkPlan(chunk, tuple(items), first_row)
                chunk += 1
                first_row += len(items)
                items = []
    if items or not chunk:
        yield ChunkPlan(chunk, tuple(items), first_row)


def _number_styles(ctx: YearContext) -> dict[str, str]:
    """Each OPD's SPK numbering style: the directory's, or (at ``shared_numbers``) per PPK per month."""
    styles = {opd.code: opd.style for opd in ctx.ref.opds}
    if ctx.noise.shared_numbers:
        rng = random.Random(f"{ctx.seed}:noise:styles")
        for code in styles:
            if rng.random() < ctx.noise.shared_numbers:
                styles[code] = "ppk"
    return styles
