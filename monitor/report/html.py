"""The monev report as one self-contained HTML file (inline CSS and SVG), and the same page for WeasyPrint
(``pdf=True``: print CSS, lists capped at ``[report] pdf_max_rows``). Jinja2 autoescapes every string."""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from functools import lru_cache
from itertools import islice
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

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


ROWS_PER_PIECE = 500


def _cell_writer(column: Column, f: Formatter) -> Callable[[Any], str]:
    """How a column's value is shown: amounts, counts and dates the Indonesian way ("-" for no amount or
    date), text escaped."""
    blank = "-" if column.kind in ("money", "date") else ""
    shown: Callable[[Any], str] = {
        "money": f.money, "int": f.number,
        "date": lambda v: f.date(v) if isinstance(v, date) else escape(str(v)),
    }.get(column.kind, lambda v: escape(str(v)))
    return lambda v: blank if v is None else shown(v)


def table_body(columns: tuple[Column, ...], rows: Iterable[dict[str, Any]], f: Formatter) -> Iterator[Markup]:
    """A lampiran's ``<tbody>`` rows as HTML, in pieces of :data:`ROWS_PER_PIECE` rows. Written here rather
    than by a Jinja loop: at a million contracts the loop's per-cell calls were most of the report's time."""
    cells = [(c.key, f"<td{CELL_CLASS.get(c.kind, '')}>", _cell_writer(c, f)) for c in columns]
    remaining = iter(rows)
    while chunk := list(islice(remaining, ROWS_PER_PIECE)):
        yield Markup("".join([
            "<tr>" + "".join([f"{start}{show(row[key])}</td>" for key, start, show in cells]) + "</tr>\n"
            for row in chunk]))


def context(report: MonevReport, *, pdf: bool, capped: bool = False) -> dict[str, Any]:
    f = report.fmt
    cap = report.settings.report.pdf_max_rows
    capped = capped or pdf
    rows = report.rows
    assert rows is not None

    def limited(items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        return islice(items, cap) if capped else items

    appendices: list[dict[str, Any]] = []
    numbers: dict[str, int] = {}
    for number, spec in enumerate(LISTS, start=1):
        numbers[spec.key] = number
        appendices.append({"number": number, "key": spec.key, "title": spec.title, "columns": spec.columns,
                           "count": report.list_counts[spec.key],
                           "body": table_body(spec.columns, limited(rows.findings(spec)), f)})
    followup_no, resolved_no = len(LISTS) + 1, len(LISTS) + 2
    appendices.append({"number": followup_no, "key": "tindak-lanjut", "title": "Matriks tindak lanjut",
                       "columns": FOLLOWUP_COLUMNS, "count": report.followup_count,
                       "body": table_body(FOLLOWUP_COLUMNS, limited(rows.followup()), f)})
    appendices.append({"number": resolved_no, "key": "selesai", "title": "Selesai sejak monev sebelumnya",
                       "columns": RESOLVED_COLUMNS, "count": report.resolved_count,
                       "body": table_body(RESOLVED_COLUMNS,
                                          limited(rows.resolved(report.resolved_since, report.period_end)), f)})
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
            "trend": charts.trend_lines([t.label for t in report.trend], [t.pct_count for t in report.trend],
                                        [t.pct_value for t in report.trend]),
        },
    }


def render_html(report: MonevReport, *, pdf: bool = False, capped: bool = False) -> Iterator[str]:
    """The page in pieces (a million-row lampiran never sits in memory as one string). ``capped``: the
    lists stop after ``[report] pdf_max_rows`` as in the PDF (the web's Laporan page shows this one)."""
    return environment().get_template("monev.html").generate(**context(report, pdf=pdf, capped=capped))
