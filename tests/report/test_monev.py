"""``pantau report monev`` end to end: the same headline numbers in HTML, PDF and XLSX, read back with real
readers (html.parser, pypdf, openpyxl) and equal to what ``pantau findings`` aggregates; hostile text; the
trend from stored snapshots; the errors."""

from __future__ import annotations

import io
import json
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from monitor.check.findings import FINDING, RESOLVED
from monitor.check.run import run_check
from monitor.db import transaction
from monitor.report import RENDERERS, MonevParams, charts, render_monev, write_monev
from monitor.report.lists import LISTS
from monitor.report.model import MonevReport, snapshots
from tests.check.helpers import add_registration
from tests.report.conftest import AS_OF, HOSTILE, City, pantau


class _Ringkasan(HTMLParser):
    """The ringkasan table's rows by their data-key, and every text node."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.text: list[str] = []
        self._key: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._key = dict(attrs).get("data-key")
            if self._key:
                self.rows[self._key] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._key and data.strip():
            self.rows[self._key].append(data.strip())


def _table_rows(html: str, table_id: str) -> list[list[str]]:
    """The body rows of the table with ``table_id``, cell texts."""

    class Table(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.inside, self.body, self.rows = False, False, []  # type: ignore[var-annotated]

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "table" and dict(attrs).get("id") == table_id:
                self.inside = True
            elif self.inside and tag == "tbody":
                self.body = True
            elif self.body and tag == "tr":
                self.rows.append([])
            elif self.body and tag == "td":
                self.rows[-1].append("")

        def handle_endtag(self, tag: str) -> None:
            if tag == "table":
                self.inside = self.body = False

        def handle_data(self, data: str) -> None:
            if self.body and self.rows and self.rows[-1]:
                self.rows[-1][-1] += data.strip()

    parser = Table()
    parser.feed(html)
    return parser.rows


def _report(city: City, fmt: str, *extra: str) -> Path:
    out = city.out / f"monev.{fmt}"
    result = pantau(city.app, "report", "monev", "--as-of", AS_OF.isoformat(), "--format", fmt, "--output",
                    str(out), *extra)
    assert result.exit_code == 0, result.output
    return out


def _findings(city: City) -> list[dict[str, object]]:
    result = pantau(city.app, "findings", "--format", "json")
    assert result.exit_code == 0
    return list(json.loads(result.output))


def test_the_three_formats_show_the_same_headline_numbers_as_pantau_findings(city: City) -> None:
    found = _findings(city)
    open_count = len(found)
    at_risk = sum(int(f["amount_at_risk"]) for f in found)  # type: ignore[call-overload]
    sp2d = sum(1 for f in found if f["rule"] == "jakon.payment_unregistered")
    late = sum(1 for f in found if f["rule"] == "jakon.late_registration")
    assert (open_count, at_risk, sp2d, late) == (3, 360_000, 1, 1)
    expected = {"contracts": "4", "registered": "2", "pct_count": "50,00%", "pct_value": "81,93%",
                "findings_open": str(open_count), "amount_at_risk": "Rp360.000", "sp2d_unregistered": str(sp2d),
                "sp2d_unregistered_value": "Rp15.000.000", "late_registrations": str(late),
                "premium_due": "Rp3.580.000", "premium_paid": "Rp2.780.000"}

    page = _Ringkasan()
    page.feed(_report(city, "html").read_text(encoding="utf-8"))
    assert {key: page.rows[key][1] for key in expected} == expected

    book = load_workbook(_report(city, "xlsx"), read_only=True)
    labels = {row[0]: row[1] for row in book["Ringkasan"].iter_rows(min_row=5, values_only=True)}
    assert labels["Kontrak dalam cakupan"] == 4 and labels["Kontrak terdaftar Jakon"] == 2
    assert labels["Persentase terdaftar (jumlah kontrak)"] == 50.0
    assert labels["Temuan aktif"] == open_count and labels["Nilai berisiko temuan aktif"] == at_risk
    assert labels["SP2D untuk kontrak tanpa kepesertaan (jumlah)"] == sp2d
    assert labels["SP2D untuk kontrak tanpa kepesertaan (nilai)"] == 15_000_000
    assert labels["Pendaftaran terlambat"] == late
    matrix = list(book["Tindak lanjut"].iter_rows(min_row=5, values_only=True))
    assert len(matrix) == open_count
    assert sum(row[6] for row in matrix) == at_risk  # amounts are numbers, not text

    reader = PdfReader(_report(city, "pdf"))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for label, value in (("Kontrak dalam cakupan", "4"), ("Persentase terdaftar (jumlah kontrak)", "50,00%"),
                         ("Nilai berisiko temuan aktif", "Rp360.000"), ("Temuan aktif", str(open_count)),
                         ("SP2D untuk kontrak tanpa kepesertaan (nilai)", "Rp15.000.000")):
        assert f"{label} {value}" in text
    pages = len(reader.pages)
    assert f"Halaman 2 dari {pages}" in text and f"Halaman {pages} dari {pages}" in text
    # The lampiran are landscape, the body portrait (A4: 595 x 842 pt).
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages}
    assert sizes == {(595, 842), (842, 595)}


def test_a_hostile_title_is_text_in_the_xlsx_and_escaped_in_html_and_pdf(city: City) -> None:
    html = _report(city, "html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    book = load_workbook(_report(city, "xlsx"))  # not read-only: data_type tells a formula from text
    sheet = book["Kontrak belum terdaftar Jakon"]
    [cell] = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cell.data_type == "s" and cell.value == HOSTILE.replace("\r\n", "\n")
    ids = [c for row in sheet.iter_rows() for c in row if c.value == "001234567890000"]
    assert ids and ids[0].data_type == "s"  # an NPWP keeps its leading zeros as text

    text = "\n".join(page.extract_text() for page in PdfReader(_report(city, "pdf")).pages)
    assert "<script>alert(1)</script>" in text.replace("\n", "")  # shown as text, not interpreted


def test_the_trend_uses_the_stored_snapshot_not_recomputed_figures(city: City) -> None:
    _report(city, "html", "--final")
    # After the meeting the missing registration arrives and the data are checked again.
    with transaction(city.app.sessions) as session:
        add_registration(session.connection(), "JK-3", nomor_kontrak="027/03/SPK-PUPR/II/2026", penyedia="HOSTILE, CV",
                         npwp="001234567890000", nilai=75_000_000, iuran=180_000, tanggal_daftar=date(2026, 4, 22),
                         nama_proyek="X")
    run_check(city.app, date(2026, 4, 27))
    page = _Ringkasan()
    page.feed(render_monev(city.app, MonevParams(as_of=date(2026, 4, 27)), "html").decode())
    assert page.rows["pct_count"][1] == "75,00%"
    assert page.rows["change_pct_count"][1] == "+25,00 poin"
    trend = _table_rows(render_monev(city.app, MonevParams(as_of=date(2026, 4, 27)), "html").decode(), "tren")
    # The previous meeting's point is the figure shown then (its snapshot), though today's data say 75%.
    assert [row[2:] for row in trend] == [["50,00%", "81,93%"], ["75,00%", "85,54%"]]
    assert trend[0][1] == "20 April 2026" and trend[1][1] == "27 April 2026"


def test_the_trend_chart_waits_for_a_stored_final_report(city: City) -> None:
    def section(html: str) -> str:
        return html.split("Perkembangan kepesertaan")[1].split("<h3>")[0]

    first = section(render_monev(city.app, MonevParams(as_of=AS_OF), "html").decode())
    assert "Belum ada laporan final sebelumnya" in first and "<svg" not in first  # one point is no trend
    _report(city, "html", "--final")
    later = section(render_monev(city.app, MonevParams(as_of=date(2026, 4, 27)), "html").decode())
    assert "<svg" in later and "Belum ada laporan final" not in later


def test_the_default_period_starts_after_the_previous_final_report(city: City) -> None:
    _report(city, "html", "--final")
    run_check(city.app, date(2026, 4, 27))
    html = render_monev(city.app, MonevParams(as_of=date(2026, 4, 27)), "html").decode()
    assert "21 April 2026 s.d. 27 April 2026" in html


@pytest.mark.parametrize(("args", "message"), [
    (["--as-of", "2026-04-19"], "tidak ada pemeriksaan yang berhasil per 2026-04-19"),
    (["--as-of", "2026-04-20", "--period-start", "2026-04-21"], "sebelum dimulai"),
    (["--as-of", "2026-04-20", "--format", "docx"], "format 'docx' tidak dikenal"),
    (["--as-of", "2026-04-20", "--output", "/tidak/ada/monev.html"], "folder /tidak/ada tidak ada"),
])
def test_bad_requests_exit_2_with_a_clear_message(city: City, args: list[str], message: str) -> None:
    result = pantau(city.app, "report", "monev", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_period_ending_on_the_day_it_starts_is_accepted(city: City) -> None:
    result = pantau(city.app, "report", "monev", "--as-of", "2026-04-20", "--period-start", "2026-04-20",
                    "--output", str(city.out / "a.html"))
    assert result.exit_code == 0, result.output


def test_charts_are_deterministic() -> None:
    first = charts.trend_lines(["a", "b"], [10.0, 20.0], [15.0, 30.0])
    assert first == charts.trend_lines(["a", "b"], [10.0, 20.0], [15.0, 30.0])
    assert first.startswith("<svg") and "<text" not in first  # fonts as paths
    assert first != charts.trend_lines(["a", "b"], [10.0, 21.0], [15.0, 30.0])


def test_the_lists_show_the_moment_of_the_figures_even_if_a_check_run_commits_meanwhile(
        city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, int] = {}

    def render(report: MonevReport, out: BinaryIO) -> None:
        with city.app.engine.begin() as writer:  # another process resolves everything mid-report
            writer.execute(FINDING.update().values(status=RESOLVED))
        assert report.rows is not None
        for spec in LISTS:
            seen[spec.key] = sum(frame.height for frame in report.rows.findings(spec))

    monkeypatch.setitem(RENDERERS, "html", render)
    report = write_monev(city.app, MonevParams(as_of=AS_OF), {"html": io.BytesIO()})
    assert sum(report.list_counts.values()) > 0
    assert seen == {spec.key: report.list_counts[spec.key] for spec in LISTS}


def test_a_final_report_overtaken_by_a_check_run_still_stores_the_figures_it_shows(
        city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    def render(report: MonevReport, out: BinaryIO) -> None:
        with city.app.engine.begin() as writer:  # the daemon's check run commits while the report is written
            writer.execute(FINDING.update().values(status=RESOLVED))
        out.write(b"<html></html>")

    monkeypatch.setitem(RENDERERS, "html", render)
    report = write_monev(city.app, MonevParams(as_of=AS_OF, final=True), {"html": io.BytesIO()})
    assert report.headline.findings_open > 0  # the moment before the check run's commit
    with city.app.sessions() as session:
        stored = snapshots(session.connection())
    assert [s["figures"] for s in stored] == [report.snapshot_figures()]
