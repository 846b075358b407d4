"""The lampiran's rows: read once as typed frames, shown by the HTML a column at a time and by the XLSX row by
row. The HTML written from the frames must be exactly what writing each dict row's cells one by one (escaped
by markupsafe, numbers and dates by the formatter) gives, for hostile text, NULLs, zero and negative amounts,
a missing PPK and a missing batas waktu."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from markupsafe import escape
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from alerts.i18n import Formatter, formatter
from monitor.bootstrap import App
from monitor.check.findings import FINDING, OPEN, RESOLVED, SILENCED
from monitor.check.followup import BELUM, FOLLOWUP, PROSES
from monitor.db import transaction
from monitor.report.html import CELL_CLASS, escaped, grouped, table_body
from monitor.report.lists import FOLLOWUP_COLUMNS, LISTS, UNKNOWN, Column, Frames, Rows, as_dicts
from tests.check.helpers import add_contract

AS_OF = date(2026, 4, 20)
FIRST_SEEN = date(2026, 3, 1)
NASTY = "a & b < c > d \"e\" 'f' &amp; &#39; <script>alert(1)</script>\r\n=HYPERLINK(\"x\")\t@SUM(1)"
UNREGISTERED = next(spec for spec in LISTS if spec.key == "belum_terdaftar")


def _reference_body(columns: tuple[Column, ...], rows: Iterator[dict[str, Any]], f: Formatter) -> str:
    """The lampiran's rows written cell by cell from dict rows, as the report wrote them before frames."""
    def cell(column: Column, value: Any) -> str:
        if value is None:
            return "-" if column.kind in ("money", "date") else ""
        if column.kind == "money":
            return f.money(value)
        if column.kind == "int":
            return f.number(value)
        if column.kind == "date" and isinstance(value, date):
            return f.date(value)
        return str(escape(str(value)))

    return "".join("<tr>" + "".join(f"<td{CELL_CLASS.get(c.kind, '')}>{cell(c, row[c.key])}</td>" for c in columns)
                   + "</tr>\n" for row in rows)


def _add_finding(conn: Connection, number: int, details: dict[str, Any], *, rule: str = "jakon.unregistered",
                 opd: str | None = "PUPR", amount: int = 0, status: str = OPEN) -> int:
    now = datetime(2026, 4, 20, 9, tzinfo=UTC)
    return int(conn.execute(insert(FINDING).returning(FINDING.c.id), {
        "fingerprint": f"fp-{number}", "rule": rule, "severity": "high", "status": status, "opd": opd,
        "subject": f"{opd}|K-{number:02d}", "title": NASTY, "amount_at_risk": amount, "details": details,
        "content_hash": "x" * 40, "first_seen": FIRST_SEEN + timedelta(days=number), "last_seen": AS_OF,
        "opened_at": now,
    }).scalar_one())


@pytest.fixture
def lists(app: App) -> Iterator[Rows]:
    with transaction(app.sessions) as session:
        conn = session.connection()
        add_contract(conn, "K-01", nama_ppk="Ir. <b>BUDI</b> & 'Rekan'", nip_ppk="197001011995031001")
        add_contract(conn, "K-02", nama_ppk="SITI", nip_ppk=None)
        hostile = _add_finding(conn, 1, {"nomor_kontrak": "K-01", "nama_paket": NASTY, "penyedia": "CV \"Maju\" & Co",
                                         "npwp_penyedia": "001234567890000", "nilai_kontrak": 75_000_000,
                                         "tanggal_kontrak": "2026-02-02", "deadline": "2026-02-23T00:00:00",
                                         "days_overdue": 56, "required": 180_000, "tindakan": NASTY},
                               amount=-1_234_567)
        odd = _add_finding(conn, 2, {"nomor_kontrak": "K-02", "nama_paket": None, "penyedia": {"nama": "<x>"},
                                     "nilai_kontrak": 0, "tanggal_kontrak": "02/02/2026", "deadline": None,
                                     "days_overdue": 12.7, "required": -5_000, "tindakan": ""})
        _add_finding(conn, 3, {"nama_paket": "Tanpa nomor", "nilai_kontrak": "1500000", "required": "abc",
                               "days_overdue": -3}, opd=None, amount=999, status=SILENCED)
        _add_finding(conn, 4, {"nama_paket": "Sudah selesai"}, status=RESOLVED)
        now = datetime(2026, 4, 10, tzinfo=UTC)
        conn.execute(insert(FOLLOWUP), [
            {"finding_id": hostile, "status": PROSES, "due": date(2026, 5, 1), "pic": NASTY, "note": None,
             "updated_at": now, "updated_by": "uji"},
            {"finding_id": odd, "status": "", "due": None, "pic": None, "note": "catatan <i>", "updated_at": now,
             "updated_by": "uji"},
        ])
    fmt = formatter("id", app.settings.tz)
    with app.sessions() as session:
        rows = Rows(session.connection(), app.settings.report, fmt.rule, fmt.advice, AS_OF)
        yield rows
        rows.close()  # a test that failed while reading ahead leaves no worker behind


def _html(columns: tuple[Column, ...], chunks: Iterator[pl.DataFrame], f: Formatter) -> str:
    return "".join(table_body(columns, chunks, f))


def test_a_list_from_frames_is_the_html_of_its_dict_rows(lists: Rows, app: App) -> None:
    f = formatter("id", app.settings.tz)
    rows = list(as_dicts(lists.findings(UNREGISTERED)))
    html = _html(UNREGISTERED.columns, lists.findings(UNREGISTERED), f)
    assert html == _reference_body(UNREGISTERED.columns, iter(rows), f)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&#39;f&#39;" in html and "&amp;amp;" in html

    # Active findings only (a silenced one too), each value typed as its column: what is not one is empty.
    by_number = {r["nomor_kontrak"]: r for r in rows}  # (where a NULL OPD sorts differs between databases)
    assert [(r["opd"], r["nomor_kontrak"]) for r in rows if r["opd"]] == [("PUPR", "K-01"), ("PUPR", "K-02")]
    hostile, odd, no_opd = by_number["K-01"], by_number["K-02"], by_number[None]
    assert hostile["nama_paket"] == NASTY and hostile["deadline"] == date(2026, 2, 23)
    assert (odd["nama_paket"], odd["nilai_kontrak"], odd["required"], odd["days_overdue"]) == (None, 0, -5_000, 12)
    assert odd["tanggal_kontrak"] is None and "<x>" in odd["penyedia"]  # an object: its JSON text, escaped
    assert (no_opd["nilai_kontrak"], no_opd["required"], no_opd["days_overdue"]) == (1_500_000, None, -3)
    assert "<td class=\"n\">Rp0</td>" in html and "<td class=\"n\">-Rp5.000</td>" in html
    assert "<td class=\"n\">-</td>" in html  # no amount: a dash


def test_the_follow_up_matrix_from_frames_is_the_html_of_its_dict_rows(lists: Rows, app: App) -> None:
    f = formatter("id", app.settings.tz)
    rows = list(as_dicts(lists.followup()))
    assert _html(FOLLOWUP_COLUMNS, lists.followup(), f) == _reference_body(FOLLOWUP_COLUMNS, iter(rows), f)

    # Silenced and resolved findings need no action; the worst amount first within rule and OPD.
    odd, hostile = rows  # 0 before -1.234.567
    default_days = app.settings.report.followup_days_for("jakon.unregistered")
    assert hostile["ppk"] == "Ir. <b>BUDI</b> & 'Rekan' (NIP 197001011995031001)"
    assert (hostile["due"], hostile["status_tl"], hostile["pic"]) == (date(2026, 5, 1), PROSES, NASTY)
    assert hostile["tindakan"] == NASTY and hostile["amount_at_risk"] == -1_234_567
    assert odd["ppk"] == "SITI"  # no NIP: the name alone
    assert odd["due"] == FIRST_SEEN + timedelta(days=2 + default_days)  # no batas waktu agreed: the rule's
    assert odd["status_tl"] == BELUM and odd["tindakan"] == f.advice("jakon.unregistered")
    assert (odd["amount_at_risk"], odd["age"]) == (0, (AS_OF - FIRST_SEEN).days - 2)


def test_a_finding_without_a_known_ppk_shows_a_dash(lists: Rows, app: App) -> None:
    with transaction(app.sessions) as session:
        _add_finding(session.connection(), 5, {"nomor_kontrak": "K-99"}, opd="PERKIM")
        _add_finding(session.connection(), 6, {"nomor_kontrak": "K-01"}, opd=None, rule="data.orphan_registration")
    fmt = formatter("id", app.settings.tz)
    with app.sessions() as session:
        rows = Rows(session.connection(), app.settings.report, fmt.rule, fmt.advice, AS_OF)
        ppk = {(r["opd"], r["subject"]): r["ppk"] for r in as_dicts(rows.followup())}
    assert ppk[("PERKIM", "PERKIM|K-05")] == UNKNOWN  # no such contract
    assert ppk[(None, "None|K-06")] == UNKNOWN  # no OPD: never matched to PUPR's K-01


def test_a_limit_stops_a_list_in_the_database(lists: Rows) -> None:
    assert [len(frame) for frame in lists.followup(limit=1)] == [1]
    assert sum(len(frame) for frame in lists.findings(UNREGISTERED, limit=2)) == 2


@pytest.mark.parametrize("language", ["id", "en"])
def test_whole_columns_of_numbers_are_written_as_the_formatter_writes_each(language: str) -> None:
    f = formatter(language, ZoneInfo("Asia/Jakarta"))
    values = [0, 1, -1, 12, 999, -999, 1_000, -1_000, 99_999, 100_000, 999_999, 1_000_000, -1_234_567,
              10**15, -(10**15) - 1, 2**62]
    frame = pl.DataFrame({"v": values}, schema={"v": pl.Int64})
    money = frame.select(grouped(pl.col("v"), f, f.symbols[2])).to_series().to_list()
    numbers = frame.select(grouped(pl.col("v"), f)).to_series().to_list()
    assert money == [f.money(v) for v in values]
    assert numbers == [f.number(v) for v in values]


def test_a_whole_column_is_escaped_as_markupsafe_escapes_each_string() -> None:
    texts = [NASTY, "", "&&&", "<<>>", "\"'", "&lt;", "tanpa apa-apa", "é & ü"]
    frame = pl.DataFrame({"t": texts})
    assert frame.select(escaped(pl.col("t"))).to_series().to_list() == [str(escape(t)) for t in texts]


def _every_list(rows: Rows) -> list[Any]:
    return [*(rows.findings(spec) for spec in LISTS), rows.followup(), rows.resolved(FIRST_SEEN, AS_OF)]


def test_lists_read_ahead_are_the_lists_read_directly(lists: Rows, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("monitor.report.lists.CHUNK_ROWS", 1)  # a frame per row: more frames than the queue holds
    direct = [list(as_dicts(stream)) for stream in _every_list(lists)]
    assert sum(map(len, direct)) > 3
    streams = lists.ahead(_every_list(lists))
    assert list(as_dicts(streams[0])) == direct[0]
    # A renderer may skip a list (an empty one it does not read): the next one still reads whole.
    assert list(as_dicts(streams[-2])) == direct[-2] and list(as_dicts(streams[-1])) == direct[-1]
    with pytest.raises(RuntimeError, match="read after"):
        next(streams[1])
    lists.close()
    assert lists.conn.exec_driver_sql("SELECT 1").scalar() == 1  # the connection is the report's again


def test_an_error_while_reading_ahead_reaches_the_renderer(lists: Rows) -> None:
    def broken() -> Frames:
        yield pl.DataFrame({"x": [1]})
        raise ValueError("basis data terputus")

    first, = lists.ahead([broken()])
    with pytest.raises(ValueError, match="terputus"):
        list(first)
    lists.close()


def test_closing_stops_a_read_ahead_that_nobody_finishes(lists: Rows) -> None:
    closed = []

    def endless() -> Frames:
        try:
            while True:
                yield pl.DataFrame({"x": [1]})
        finally:
            closed.append(True)

    stream, = lists.ahead([endless()])
    assert len(next(stream)) == 1
    lists.close()  # returns: the worker stopped and closed what it was reading
    assert closed == [True]
    assert not any(t.name == "monev-lists" for t in threading.enumerate())
