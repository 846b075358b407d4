"""The monev report's aggregates over the database as of the latest successful check run: most are one query
each, the coverage per OPD a few plain reads joined by polars.

Per contract the status is the metrics collector's: ``registered`` (a linked registration that is not
``batal``), ``unregistered`` (an active ``jakon.unregistered`` finding: the deadline passed), else
``pending`` (the deadline has not passed yet). Values are the current ones (after the latest addendum).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from monitor.check.findings import ACTIVE, RESOLVED
from monitor.models import Addendum, Contract, Finding, ImportBatch, MatchLink, Registration
from monitor.regulation.premium_sql import premium_sql
from monitor.regulation.workdays import WorkingCalendar
from monitor.report.lists import frame, resolutions
from monitor.settings import DeadlineSettings

UNREGISTERED_RULE = "jakon.unregistered"
# Registration delay in working days after the deadline's start: the histogram's bins (upper bounds).
DELAY_BINS = (5, 10, 14, 20, 30, 45, 60, 90)
SOURCES = ("contracts", "registrations", "payments", "addenda", "agreements", "kampung")
LINK_METHODS = ("exact", "normalized", "npwp", "fuzzy", "manual")


@dataclass
class Coverage:
    """Contracts, their value and premium by compliance status, for the city or one OPD."""

    contracts: int = 0
    registered: int = 0
    unregistered: int = 0
    pending: int = 0
    value: int = 0
    registered_value: int = 0
    unregistered_value: int = 0
    premium_due: int = 0
    premium_paid: int = 0

    def add(self, status: str, n: int, value: int, premium: int, paid: int) -> None:
        self.contracts += n
        self.value += value
        self.premium_due += premium
        self.premium_paid += paid
        if status == "registered":
            self.registered += n
            self.registered_value += value
        elif status == "unregistered":
            self.unregistered += n
            self.unregistered_value += value
        else:
            self.pending += n

    @property
    def pct_count(self) -> float:
        return 100.0 * self.registered / self.contracts if self.contracts else 0.0

    @property
    def pct_value(self) -> float:
        return 100.0 * self.registered_value / self.value if self.value else 0.0

    @property
    def premium_gap(self) -> int:
        return max(self.premium_due - self.premium_paid, 0)


_CONTRACT_SCHEMA = {"id": pl.Int64(), "opd": pl.String(), "nomor_kontrak": pl.String(), "value": pl.Int64(),
                    "premium": pl.Int64()}
_ADDENDUM_SCHEMA = {"opd": pl.String(), "nomor_kontrak": pl.String(), "tanggal": pl.Date(), "id": pl.Int64(),
                    "nilai": pl.Int64(), "premi": pl.Int64()}
_PAID_SCHEMA = {"id": pl.Int64(), "paid": pl.Int64()}
_SUBJECT_SCHEMA = {"subject": pl.String()}


def coverage(conn: Connection) -> dict[str, Coverage]:
    """Coverage per OPD (the contract's OPD as stored). Four plain reads (the contracts, the addenda that
    change the value, the links to registrations that are not ``batal``, the unregistered findings' subjects)
    joined by polars: a million contracts joined by the database cost a lookup into four tables each, and
    with a cold file cache most of those went to the disk. The premium is the database's
    (:func:`monitor.regulation.premium_sql.premium_sql`), on the value the contract ends with."""
    c, a, m, r, f = (t.__table__.c for t in (Contract, Addendum, MatchLink, Registration, Finding))
    contracts = frame(conn, select(c.id, c.opd, c.nomor_kontrak, c.nilai_kontrak, premium_sql(c.nilai_kontrak)),
                      _CONTRACT_SCHEMA)
    addenda = frame(conn, select(a.opd, a.nomor_kontrak, a.tanggal_adendum, a.id, a.nilai_kontrak_baru,
                                 premium_sql(a.nilai_kontrak_baru)).where(a.nilai_kontrak_baru.is_not(None)),
                    _ADDENDUM_SCHEMA)
    paid = frame(conn, select(m.contract_id, r.iuran_dibayar)
                 .join(Registration.__table__, and_(r.id == m.registration_id, r.status != "batal")), _PAID_SCHEMA)
    unregistered = frame(conn, select(f.subject).where(f.rule == UNREGISTERED_RULE, f.status.in_(ACTIVE)),
                         _SUBJECT_SCHEMA)["subject"]
    # The latest addendum that sets a value (by date, then by id) gives the contract's value.
    current = (addenda.sort("tanggal", "id").group_by("opd", "nomor_kontrak").last()
               .select("opd", "nomor_kontrak", "nilai", "premi"))
    subject = pl.format("{}|{}", "opd", "nomor_kontrak")
    # Linked to a registration that is not batal: its iuran_dibayar (never NULL) is there.
    status = (pl.when(pl.col("paid").is_not_null()).then(pl.lit("registered"))
              .when(subject.is_in(unregistered.implode())).then(pl.lit("unregistered")).otherwise(pl.lit("pending")))
    wide = pl.Int128()  # a sum of a million rupiah values may pass Int64's range
    per = (contracts.join(current, on=["opd", "nomor_kontrak"], how="left")
           .join(paid, on="id", how="left")
           .group_by("opd", status.alias("status"))
           .agg(n=pl.len(), value=pl.coalesce("nilai", "value").cast(wide).sum(),
                premium=pl.coalesce("premi", "premium").cast(wide).sum(), paid=pl.col("paid").cast(wide).sum()))
    result: dict[str, Coverage] = defaultdict(Coverage)
    for opd, state, n, total, premium, paid_total in per.iter_rows():
        result[opd].add(state, int(n), int(total or 0), int(premium or 0), int(paid_total or 0))
    return dict(result)


def unregistered_ppk(conn: Connection) -> dict[str, list[str]]:
    """Per OPD, the PPKs (where the data name them) of its contracts still unregistered past the deadline."""
    result: dict[str, list[str]] = defaultdict(list)
    for opd, nama in conn.execute(
        select(Contract.opd, Contract.nama_ppk).distinct()
        .join(Finding, and_(Finding.rule == UNREGISTERED_RULE, Finding.status != RESOLVED,
                            Finding.subject == Contract.opd + "|" + Contract.nomor_kontrak))
        .where(Contract.nama_ppk.is_not(None)).order_by(Contract.opd, Contract.nama_ppk)
    ):
        result[opd].append(nama)
    return dict(result)


def registration_delays(conn: Connection, calendar: WorkingCalendar, deadline: DeadlineSettings) -> Counter[int]:
    """Working days from the deadline's start (the contract date by default) to the registration, for every
    registered contract: ``{days: contracts}``. Counted per distinct pair of dates over a cumulative
    working-day index, so a million contracts cost a few thousand date pairs."""
    field = Contract.tanggal_mulai if deadline.start_field == "tanggal_mulai" else Contract.tanggal_kontrak
    start = func.coalesce(field, Contract.tanggal_kontrak)
    pairs = conn.execute(
        select(start, Registration.tanggal_daftar, func.count())
        .select_from(Contract).join(MatchLink, MatchLink.contract_id == Contract.id)
        .join(Registration, and_(Registration.id == MatchLink.registration_id, Registration.status != "batal"))
        .group_by(start, Registration.tanggal_daftar)
    ).all()
    delays: Counter[int] = Counter()
    if not pairs:
        return delays
    days = [_as_date(d) for a, b, _ in pairs for d in (a, b)]
    index = _working_day_index(calendar, min(days), max(days))
    for a, b, n in pairs:
        delays[index[_as_date(b)] - index[_as_date(a)]] += int(n)
    return delays


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _working_day_index(calendar: WorkingCalendar, first: date, last: date) -> dict[date, int]:
    """Working days in ``(first, day]`` for every day from first to last: a difference of two is
    :meth:`WorkingCalendar.working_days_between`."""
    index: dict[date, int] = {first: 0}
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        count += calendar.is_working_day(day)
        index[day] = count
    return index


def delay_histogram(delays: Counter[int]) -> list[tuple[str, int]]:
    """``[(label, contracts)]`` over :data:`DELAY_BINS`; registrations before the start count as 0 days."""
    bins: list[tuple[str, int]] = []
    lower = 0
    for upper in DELAY_BINS:
        n = sum(count for days, count in delays.items() if lower <= max(days, 0) <= upper)
        bins.append((f"{lower}–{upper}", n))
        lower = upper + 1
    bins.append((f"> {DELAY_BINS[-1]}", sum(count for days, count in delays.items() if days > DELAY_BINS[-1])))
    return bins


@dataclass(frozen=True)
class Source:
    kind: str
    file_name: str | None
    imported_at: Any  # aware datetime of the latest import, None when never imported
    rows: int
    rejected: int


def sources(conn: Connection) -> list[Source]:
    """Per kind of data, its latest import: when, which file, rows read and rejected."""
    b = ImportBatch
    latest = {kind: batch_id for kind, batch_id in conn.execute(
        select(b.kind, func.max(b.id)).where(b.finished_at.is_not(None)).group_by(b.kind))}
    rows = {row.id: row for row in conn.execute(
        select(b.id, b.file_name, b.finished_at, b.rows, b.rejected).where(b.id.in_(list(latest.values()))))}
    result = []
    for kind in SOURCES:
        row = rows.get(latest.get(kind, -1))
        result.append(Source(kind, row.file_name if row else None, _aware(row.finished_at) if row else None,
                             int(row.rows) if row else 0, int(row.rejected) if row else 0))
    return result


def _aware(value: Any) -> Any:
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value is None or value.tzinfo is not None else value.replace(tzinfo=UTC)


def links_by_method(conn: Connection) -> dict[str, int]:
    found: dict[str, int] = {method: int(n) for method, n in conn.execute(
        select(MatchLink.method, func.count()).group_by(MatchLink.method))}
    return {method: int(found.get(method, 0)) for method in LINK_METHODS}


@dataclass
class FindingCounts:
    """Per rule and OPD: active findings and their amount at risk; opened and resolved in the period."""

    active: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    at_risk: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    opened: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    resolved: Counter[tuple[str, str | None]] = field(default_factory=Counter)

    def total(self, counter: str, *, rules: Iterable[str] | None = None, opd: str | object | None = ...) -> int:
        wanted = set(rules) if rules is not None else None
        return sum(n for (rule, o), n in getattr(self, counter).items()
                   if (wanted is None or rule in wanted) and (opd is ... or o == opd))


def finding_counts(conn: Connection, period_start: date, period_end: date) -> FindingCounts:
    f = Finding
    counts = FindingCounts()
    for rule, opd, n, amount in conn.execute(
        select(f.rule, f.opd, func.count(), func.sum(f.amount_at_risk)).where(f.status.in_(ACTIVE))
        .group_by(f.rule, f.opd)
    ):
        counts.active[rule, opd] += int(n)
        counts.at_risk[rule, opd] += int(amount or 0)
    for rule, opd, n in conn.execute(
        select(f.rule, f.opd, func.count()).where(f.first_seen >= period_start, f.first_seen <= period_end)
        .group_by(f.rule, f.opd)
    ):
        counts.opened[rule, opd] += int(n)
    # Resolved in the period: by a check run as of a day in it (the history's resolution, not last_seen).
    resolution = resolutions()
    for rule, opd, n in conn.execute(
        select(f.rule, f.opd, func.count()).join(resolution, resolution.c.finding_id == f.id)
        .where(f.status == RESOLVED, resolution.c.resolved_on.between(period_start, period_end))
        .group_by(f.rule, f.opd)
    ):
        counts.resolved[rule, opd] += int(n)
    return counts


def resolved_count(conn: Connection, since: date, until: date) -> int:
    """Findings resolved by a check run as of ``since`` to ``until``."""
    resolution = resolutions()
    return int(conn.execute(
        select(func.count()).select_from(Finding).join(resolution, resolution.c.finding_id == Finding.id)
        .where(Finding.status == RESOLVED, resolution.c.resolved_on.between(since, until))).scalar_one())
