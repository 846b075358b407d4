"""The monev report as one self-contained HTML file (inline CSS and SVG), and the same page for WeasyPrint
(``pdf=True``: print CSS, lists capped at ``[report] pdf_max_rows``). Jinja2 autoescapes every string; the
lampiran's rows, written a column at a time by :func:`table_body`, are escaped there as markupsafe would."""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from alerts.i18n import Formatter
from monitor.report import charts
from monitor.report.figures import DELAY_BINS
from monitor.report.lists import FOLLOWUP_COLUMNS, LISTS, RESOLVED_COLUMNS, Column
from monitor.report.model import MonevReport

TITLE = "Laporan Monitoring dan Evaluasi Kepatuhan Jaminan Sosial Ketenagakerjaan Jasa Konstruksi"
METHOD_NAMES = {"exact": "nomor kontrak sama persis", "normalized": "nomor kontrak setelah dinormalkan",
                "npwp": "NPWP dan nilai", "fuzzy": "kemiripan nama dan nilai", "manual": "keputusan manual"}
PAPER = {"A4": "A4", "F4": "215mm 330mm"}
CELL_CLASS = {"money": ' class="n"', "int": ' class="n"', "date": ' class="d"'}


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=PackageLoader("monitor.report", "templates"), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, trim_blocks=False)


def pct(value: float) -> str:
    return f"{value:.2f}".replace(".", ",") + "%"


def points(value: float | None) -> str:
    if value is None:
        return "-"
    return ("+" if value > 0 else "") + f"{value:.2f}".replace(".", ",") + " poin"


HEADLINE = (
    ("Kontrak dalam cakupan", "contracts", "int"),
    ("Kontrak terdaftar Jakon", "registered", "int"),
    ("Persentase terdaftar (jumlah kontrak)", "pct_count", "pct"),
    ("Perubahan sejak monev sebelumnya (jumlah)", "change_pct_count", "points"),
    ("Nilai kontrak", "value", "money"),
    ("Nilai kontrak terdaftar", "registered_value", "money"),
    ("Persentase terdaftar (nilai kontrak)", "pct_value", "pct"),
    ("Perubahan sejak monev sebelumnya (nilai)", "change_pct_value", "points"),
    ("Iuran wajib", "premium_due", "money"),
    ("Iuran dibayar", "premium_paid", "money"),
    ("SP2D untuk kontrak tanpa kepesertaan (jumlah)", "sp2d_unregistered", "int"),
    ("SP2D untuk kontrak tanpa kepesertaan (nilai)", "sp2d_unregistered_value", "money"),
    ("Pendaftaran terlambat", "late_registrations", "int"),
    ("Temuan aktif", "findings_open", "int"),
    ("Nilai berisiko temuan aktif", "amount_at_risk", "money"),
    ("Temuan baru dalam periode", "opened", "int"),
    ("Temuan selesai dalam periode", "resolved", "int"),
    ("Temuan melewati batas waktu tindak lanjut", "overdue", "int"),
)


def figure_rows(fmt: Formatter, values: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(label, value as shown, key) of the ringkasan's figures present in ``values`` — a report's, or a
    final report's snapshot (which keeps no change since the monev before it)."""
    shown: dict[str, Callable[[Any], str]] = {"int": fmt.number, "money": fmt.money, "pct": pct, "points": points}
    return [(label, shown[kind](values[key]), key) for label, key, kind in HEADLINE if key in values]


def headline_rows(report: MonevReport) -> list[tuple[str, str, str]]:
    """The ringkasan eksekutif: (label, value as shown, key) — the same rows in every format."""
    return figure_rows(report.fmt, {**report.headline.figures(), "change_pct_count": report.change_pct_count,
                                    "change_pct_value": report.change_pct_value})


def _logo(report: MonevReport) -> str | None:
    path = report.settings.report.logo
    if path is None or not path.is_file():
        return None
    kind = mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _generated(report: MonevReport) -> str:
    """``2 Desember 2026 pukul 14.16 WIB``: the time in the configured zone, the Indonesian way."""
    local = report.generated_at.astimezone(report.settings.tz)
    return f"{report.fmt.date(local)} pukul {local:%H.%M} {local.tzname()}"


# markupsafe's escapes, "&" first so the others' entities are not escaped again.
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("'", "&#39;"))


def escaped(text: pl.Expr) -> pl.Expr:
    """A text column HTML-escaped as markupsafe escapes a string."""
    for char, entity in _ESCAPES:
        text = text.str.replace_all(char, entity, literal=True)
    return text


def grouped(number: pl.Expr, f: Formatter, prefix: str = "") -> pl.Expr:
    """A whole-number column written as :meth:`Formatter.number` (``prefix`` "Rp": :meth:`Formatter.money`)
    writes each value: digits in groups of three from the right, the minus sign before the prefix."""
    group, minus, _ = f.symbols
    digits = (number.abs().cast(pl.String).str.reverse().str.replace_all(r"(\d{3})", "${1}" + group[::-1])
              .str.reverse().str.strip_chars_start(group))
    return pl.when(number < 0).then(pl.lit(minus + prefix) + digits).otherwise(pl.lit(prefix) + digits)


def _cells(column: Column, frame: pl.DataFrame, f: Formatter) -> pl.Expr:
    """How a column's values are shown: amounts, counts and dates the Indonesian way ("-" for no amount or
    date), text escaped. Dates through :meth:`Formatter.date`, once per distinct date of the frame."""
    value = pl.col(column.key)
    if column.kind == "money":
        return grouped(value, f, f.symbols[2]).fill_null("-")
    if column.kind == "int":
        return grouped(value, f).fill_null("")
    if column.kind == "date":
        days = {day: f.date(day) for day in frame[column.key].drop_nulls().unique()}
        return value.replace_strict(days, default=None, return_dtype=pl.String).fill_null("-")
    return escaped(value).fill_null("")


def table_body(columns: tuple[Column, ...], chunks: Iterable[pl.DataFrame], f: Formatter) -> Iterator[Markup]:
    """A lampiran's ``<tbody>`` rows as HTML, one piece per frame, each column formatted whole by polars:
    at a million contracts, formatting cell by cell in Python was most of the report's time."""
    for frame in chunks:
        parts: list[pl.Expr] = []
        for i, column in enumerate(columns):
            start = "<tr>" if i == 0 else "</td>"
            parts += [pl.lit(f"{start}<td{CELL_CLASS.get(column.kind, '')}>"), _cells(column, frame, f)]
        row = pl.concat_str([*parts, pl.lit("</td></tr>\n")])
        yield Markup(frame.select(row.str.join("")).item())


def context(report: MonevReport, *, pdf: bool, capped: bool = False) -> dict[str, Any]:
    f = report.fmt
    cap = report.settings.report.pdf_max_rows
    capped = capped or pdf
    rows = report.rows
    assert rows is not None

    limit = cap if capped else None
    # The lampiran in the page's order, read ahead while the ones before them are formatted.
    streams = rows.ahead([*(rows.findings(spec, limit) for spec in LISTS), rows.followup(limit),
                          rows.resolved(report.resolved_since, report.period_end, limit)])
    appendices: list[dict[str, Any]] = []
    numbers: dict[str, int] = {}
    for number, spec in enumerate(LISTS, start=1):
        numbers[spec.key] = number
        appendices.append({"number": number, "key": spec.key, "title": spec.title, "columns": spec.columns,
                           "count": report.list_counts[spec.key],
                           "body": table_body(spec.columns, streams[number - 1], f)})
    followup_no, resolved_no = len(LISTS) + 1, len(LISTS) + 2
    appendices.append({"number": followup_no, "key": "tindak-lanjut", "title": "Matriks tindak lanjut",
                       "columns": FOLLOWUP_COLUMNS, "count": report.followup_count,
                       "body": table_body(FOLLOWUP_COLUMNS, streams[-2], f)})
    appendices.append({"number": resolved_no, "key": "selesai", "title": "Selesai sejak monev sebelumnya",
                       "columns": RESOLVED_COLUMNS, "count": report.resolved_count,
                       "body": table_body(RESOLVED_COLUMNS, streams[-1], f)})
    labels = [o.code for o in report.opds]
    return {
        "r": report, "f": f, "report": report.settings.report, "title": TITLE, "pdf": pdf, "cap": cap,
        "capped": capped,
        "paper": PAPER[report.settings.report.paper], "logo": _logo(report),
        "generated": _generated(report),
        "headline_rows": headline_rows(report), "method_names": METHOD_NAMES, "pct": pct,
        "appendix_no": numbers, "followup_no": followup_no, "resolved_no": resolved_no, "appendices": appendices,
        "charts": {
            "coverage": charts.coverage_bars(labels, [o.coverage.pct_count for o in report.opds],
                                             [o.coverage.pct_value for o in report.opds]),
            "delay": charts.delay_histogram(report.delay_histogram, report.deadline_days, DELAY_BINS),
            "premium": charts.premium_bars(labels, [o.coverage.premium_due for o in report.opds],
                                           [o.coverage.premium_paid for o in report.opds]),
            # One point (no final report stored yet) is no trend: the page says so instead.
            "trend": charts.trend_lines([t.label for t in report.trend], [t.pct_count for t in report.trend],
                                        [t.pct_value for t in report.trend]) if len(report.trend) > 1 else None,
        },
    }


def render_html(report: MonevReport, *, pdf: bool = False, capped: bool = False) -> Iterator[str]:
    """The page in pieces (a million-row lampiran never sits in memory as one string). ``capped``: the
    lists stop after ``[report] pdf_max_rows`` as in the PDF (the web's Laporan page shows this one)."""
    return environment().get_template("monev.html").generate(**context(report, pdf=pdf, capped=capped))
