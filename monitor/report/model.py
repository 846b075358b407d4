"""The monev report's model: every figure computed once, from the database as of the latest successful
check run; the HTML, PDF and XLSX renderers only lay it out (and stream its long lists, :mod:`.lists`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Numeric, cast, func, select
from sqlalchemy.engine import Connection

from alerts.i18n import Formatter, formatter
from checks import REGISTRY
from monitor.check.findings import ACTIVE, CHECK_RUN, FINDING, RESOLVED
from monitor.check.followup import FOLLOWUP, from_row
from monitor.models import MonevSnapshot
from monitor.regulation.workdays import WorkingCalendar
from monitor.report import figures
from monitor.report.lists import LISTS, NEEDS_ACTION, Rows, details_text, parse_details
from monitor.settings import Settings

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
SOURCE_TITLES = {"contracts": "Kontrak (SiRUP/SPSE)", "registrations": "Registrasi BPJS Ketenagakerjaan",
                 "payments": "SP2D (BPKAD)", "addenda": "Adendum", "agreements": "Perjanjian (MoU/PKS)",
                 "kampung": "Kegiatan Kampung Bahagia"}


class ReportError(Exception):
    """A report that cannot be made as asked; the message says why, in Indonesian."""


@dataclass(frozen=True)
class MonevParams:
    as_of: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    final: bool = False


@dataclass(frozen=True)
class Headline:
    """The ringkasan eksekutif's figures (city-wide, and per OPD in a snapshot)."""

    contracts: int
    registered: int
    registered_value: int
    value: int
    pct_count: float
    pct_value: float
    premium_due: int
    premium_paid: int
    sp2d_unregistered: int
    sp2d_unregistered_value: int
    late_registrations: int
    findings_open: int
    amount_at_risk: int
    opened: int
    resolved: int
    overdue: int

    def figures(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class OpdRow:
    code: str
    name: str
    coverage: figures.Coverage
    findings_open: int
    amount_at_risk: int
    ppk: tuple[str, ...] = ()  # the PPKs of its unregistered contracts, where the data name them


@dataclass(frozen=True)
class TrendPoint:
    label: str
    as_of: date
    pct_count: float
    pct_value: float
    stored: bool  # from a final report's snapshot (True) or this report (False)


@dataclass
class MonevReport:
    settings: Settings
    fmt: Formatter
    nomor: str
    as_of: date
    check_run_id: int
    period_start: date
    period_end: date
    generated_at: datetime
    final: bool
    previous: dict[str, Any] | None  # the previous final report's snapshot
    headline: Headline
    change_pct_count: float | None
    change_pct_value: float | None
    sources: list[dict[str, Any]]
    links: dict[str, int]
    ambiguous: int
    legal_basis: list[dict[str, str]]
    opds: list[OpdRow]
    delay_histogram: list[tuple[str, int]]
    deadline_days: int
    on_time: int
    late: int
    kampung_by_kelurahan: list[dict[str, Any]]
    list_counts: dict[str, int]
    followup_count: int
    resolved_since: date  # section 7 lists the findings resolved from this day to the period's end
    resolved_count: int
    trend: list[TrendPoint]
    conclusions: list[dict[str, Any]] = field(default_factory=list)
    opd_headlines: dict[str, dict[str, Any]] = field(default_factory=dict)
    rows: Rows | None = None

    def snapshot_figures(self) -> dict[str, Any]:
        return {"city": self.headline.figures(), "opd": self.opd_headlines}


def latest_run(conn: Connection, as_of: date) -> tuple[int, date]:
    """The check run the report stands on: the latest successful one. The database holds only its state,
    so an as-of before it (or without any successful run) cannot be reported."""
    r = CHECK_RUN.c
    row = conn.execute(select(r.id, r.as_of).where(r.status == "ok").order_by(r.id.desc()).limit(1)).first()
    if row is None:
        raise ReportError("belum ada pemeriksaan yang berhasil; jalankan dulu `pantau check`")
    if row.as_of > as_of:
        raise ReportError(f"tidak ada pemeriksaan yang berhasil per {as_of.isoformat()}: pemeriksaan terakhir per "
                          f"{row.as_of.isoformat()} dan keadaan sebelumnya tidak disimpan; pakai --as-of "
                          f"{row.as_of.isoformat()} atau sesudahnya")
    return int(row.id), row.as_of


def snapshots(conn: Connection) -> list[dict[str, Any]]:
    s = MonevSnapshot.__table__.c
    return [dict(row._mapping) for row in conn.execute(
        select(s.id, s.nomor, s.period_start, s.period_end, s.as_of, s.figures).order_by(s.period_end, s.id))]


def resolved_since_previous(previous: dict[str, Any] | None, period_start: date) -> date:
    """Section 7 ("Selesai sejak monev sebelumnya") starts the day after the previous final report's data
    cut-off (what was resolved by then, that report showed), or at the period's start without one."""
    return previous["as_of"] + timedelta(days=1) if previous else period_start


def build_report(conn: Connection, settings: Settings, params: MonevParams, now: datetime) -> MonevReport:
    """Compute every figure of the monev report. Raises :class:`ReportError` for a period that ends before
    it starts or an as-of without a successful check run."""
    today = now.astimezone(settings.tz).date()
    as_of = params.as_of or today
    run_id, run_as_of = latest_run(conn, as_of)
    stored = snapshots(conn)
    before = [s for s in stored if s["period_end"] < (params.period_end or as_of)]
    previous = before[-1] if before else None
    period_end = params.period_end or as_of
    period_start = params.period_start or (
        previous["period_end"] + timedelta(days=1) if previous else date(period_end.year, 1, 1))
    if period_end < period_start:
        raise ReportError(f"periode berakhir ({period_end.isoformat()}) sebelum dimulai ({period_start.isoformat()})")
    fmt = formatter(settings.alerts.language, settings.tz)
    directory = {opd.code: opd.name for opd in settings.opd}

    cover = figures.coverage(conn)
    city = figures.Coverage()
    for per in cover.values():
        for name in city.__dataclass_fields__:
            setattr(city, name, getattr(city, name) + getattr(per, name))
    counts = figures.finding_counts(conn, period_start, period_end)
    overdue_by_opd = _overdue(conn, settings, run_as_of)
    sp2d_by_opd = _sp2d_values(conn)
    late_rule = ("jakon.late_registration",)

    def headline(cov: figures.Coverage, opd: Any = ...) -> Headline:
        sp2d = sp2d_by_opd if opd is ... else {opd: sp2d_by_opd.get(opd, (0, 0))}
        return Headline(
            contracts=cov.contracts, registered=cov.registered, registered_value=cov.registered_value,
            value=cov.value, pct_count=round(cov.pct_count, 2), pct_value=round(cov.pct_value, 2),
            premium_due=cov.premium_due, premium_paid=cov.premium_paid,
            sp2d_unregistered=sum(n for n, _ in sp2d.values()),
            sp2d_unregistered_value=sum(v for _, v in sp2d.values()),
            late_registrations=counts.total("active", rules=late_rule, opd=opd),
            findings_open=counts.total("active", opd=opd), amount_at_risk=counts.total("at_risk", opd=opd),
            opened=counts.total("opened", opd=opd), resolved=counts.total("resolved", opd=opd),
            overdue=sum(overdue_by_opd.values()) if opd is ... else overdue_by_opd.get(opd, 0),
        )

    head = headline(city)
    opd_codes = sorted(set(cover) | {o for (_, o) in counts.active if o})
    ppk = figures.unregistered_ppk(conn)
    opd_rows = [OpdRow(code, directory.get(code, f"{code} (tidak ada di direktori)"),
                       cover.get(code, figures.Coverage()), counts.total("active", opd=code),
                       counts.total("at_risk", opd=code), tuple(ppk.get(code, ()))) for code in opd_codes]
    # Worst first: the lowest share registered by count, then by value, the biggest portfolio first.
    ranked = sorted((r for r in opd_rows if r.coverage.contracts),
                    key=lambda r: (r.coverage.pct_count, r.coverage.pct_value, -r.coverage.value))
    opd_headlines = {r.code: headline(r.coverage, r.code).figures() for r in opd_rows}
    calendar = WorkingCalendar.from_settings(settings.calendar)
    delays = figures.registration_delays(conn, calendar, settings.deadline)
    on_time = sum(n for d, n in delays.items() if d <= settings.deadline.working_days)

    # The trend is the figures as shown at each final report, never recomputed from today's data.
    trend = [TrendPoint(f"s.d. {fmt.date(s['period_end'])}", s["as_of"], s["figures"]["city"]["pct_count"],
                        s["figures"]["city"]["pct_value"], True) for s in before]
    trend.append(TrendPoint("laporan ini", run_as_of, head.pct_count, head.pct_value, False))
    change_count = change_value = None
    if previous is not None:
        change_count = round(head.pct_count - previous["figures"]["city"]["pct_count"], 2)
        change_value = round(head.pct_value - previous["figures"]["city"]["pct_value"], 2)

    rows = Rows(conn, settings.report, fmt.rule, fmt.advice, run_as_of)
    list_counts = {spec.key: counts.total("active", rules=spec.rules) for spec in LISTS}
    f = FINDING.c
    followup_count = int(conn.execute(select(func.count()).where(f.status.in_(NEEDS_ACTION))).scalar() or 0)
    resolved_since = resolved_since_previous(previous, period_start)
    resolved_count = figures.resolved_count(conn, resolved_since, period_end)
    report = MonevReport(
        settings=settings, fmt=fmt,
        nomor=settings.report.nomor.format(year=run_as_of.year, month=ROMAN[run_as_of.month - 1]),
        as_of=run_as_of, check_run_id=run_id, period_start=period_start, period_end=period_end, generated_at=now,
        final=params.final, previous=previous, headline=head, change_pct_count=change_count,
        change_pct_value=change_value,
        sources=[{"kind": s.kind, "title": SOURCE_TITLES[s.kind], "file": s.file_name, "imported_at": s.imported_at,
                  "rows": s.rows, "rejected": s.rejected} for s in figures.sources(conn)],
        links=figures.links_by_method(conn), ambiguous=counts.total("active", rules=("data.ambiguous_match",)),
        legal_basis=[{"id": rule_id, "name": fmt.rule(rule_id), "rationale": str(rule.rationale)}
                     for rule_id, rule in REGISTRY.items()],
        opds=ranked, delay_histogram=figures.delay_histogram(delays), deadline_days=settings.deadline.working_days,
        on_time=on_time, late=sum(delays.values()) - on_time, kampung_by_kelurahan=_kampung(conn),
        list_counts=list_counts, followup_count=followup_count, resolved_since=resolved_since,
        resolved_count=resolved_count, trend=trend,
        opd_headlines=opd_headlines, rows=rows,
    )
    from monitor.report.conclusions import conclusions

    report.conclusions = conclusions(report)
    return report


def _overdue(conn: Connection, settings: Settings, as_of: date) -> dict[str | None, int]:
    """Active findings past their follow-up's batas waktu and not yet ``sesuai``, per OPD. Counted per
    distinct (rule, OPD, first seen, status, due): a million findings are a few thousand groups."""
    f, u = FINDING.c, FOLLOWUP.c
    result: dict[str | None, int] = defaultdict(int)
    for row in conn.execute(
        select(f.rule, f.opd, f.first_seen, u.status, u.due, func.count().label("n"))
        .select_from(FINDING.outerjoin(FOLLOWUP, u.finding_id == f.id)).where(f.status.in_(NEEDS_ACTION))
        .group_by(f.rule, f.opd, f.first_seen, u.status, u.due)
    ):
        tl = from_row(0, row.rule, row.first_seen, dict(row._mapping), settings.report)
        if tl.due < as_of and tl.status != "sesuai":
            result[row.opd] += int(row.n)
    return dict(result)


def _sp2d_values(conn: Connection) -> dict[str | None, tuple[int, int]]:
    """SP2D issued to unregistered contracts, per OPD: how many and their total value (``details.nilai_sp2d``,
    the payment's whole rupiah, summed by the database: no row's details cross into Python)."""
    f = FINDING.c
    nilai = cast(f.details["nilai_sp2d"].as_string(), Numeric)
    return {opd: (int(n), int(total or 0)) for opd, n, total in conn.execute(
        select(f.opd, func.count(), func.sum(nilai))
        .where(f.rule == "jakon.payment_unregistered", f.status.in_(ACTIVE)).group_by(f.opd))}


def _kampung(conn: Connection) -> list[dict[str, Any]]:
    f = FINDING.c
    per: dict[str, dict[str, Any]] = {}
    for rule, text in conn.execute(
        select(f.rule, details_text()).where(f.rule.in_(("kampung.no_sk_rt", "kampung.unregistered")),
                                             f.status != RESOLVED)
    ):
        details = parse_details(text)
        name = str(details.get("kelurahan") or "-")
        entry = per.setdefault(name, {"kelurahan": name, "kecamatan": details.get("kecamatan") or "-",
                                      "no_sk_rt": 0, "unregistered": 0, "underpaid": 0, "shortfall": 0})
        if rule == "kampung.no_sk_rt":
            entry["no_sk_rt"] += 1
        elif details.get("registered"):
            entry["underpaid"] += 1
            entry["shortfall"] += int(details.get("shortfall") or 0)
        else:
            entry["unregistered"] += 1
            entry["shortfall"] += int(details.get("required") or 0)
    return sorted(per.values(), key=lambda e: (-(e["no_sk_rt"] + e["unregistered"] + e["underpaid"]), e["kelurahan"]))
