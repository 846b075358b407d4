"""The monev report as PDF: the HTML page with its print CSS (A4 or F4, landscape lampiran, "Halaman X dari
Y", table headers repeated, rows never split), drawn by WeasyPrint with the fonts embedded."""

from __future__ import annotations

import logging

from monitor.report.html import render_html
from monitor.report.model import MonevReport


def render_pdf(report: MonevReport) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango, which only the PDF needs

    # WeasyPrint logs every CSS property it ignores (flex gaps and such); they change nothing here.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    page = "".join(render_html(report, pdf=True))
    return HTML(string=page).write_pdf() or b""
