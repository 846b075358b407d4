"""XLSX written safely, for every spreadsheet Pantau hands out (the monev report, the digests' full lists).

XlsxWriter in constant-memory mode (rows go to disk as they are written). Every string is written as a
string: text that starts like a formula (``= + - @``, tab, CR) is never a formula, identifiers (contract
numbers, NPWP, SP2D numbers) stay text with their leading zeros, amounts are numbers with a rupiah format,
dates are dates. Each table has a frozen header row and an autofilter, and continues on a new sheet
before Excel's row limit.

A big table given as polars frames (:meth:`SafeWorkbook.frame_table`) does not go through XlsxWriter's
per-cell API (about 12 µs a cell: most of the monev report's time at a million contracts). XlsxWriter
writes its sheet with the header rows only; the rows are built as SpreadsheetML ``<row>`` XML a whole
column at a time by polars, into a temporary file, and :meth:`SafeWorkbook.close` splices them into that
sheet's XML before ``</sheetData>`` while it copies the rest of the package as XlsxWriter wrote it. The
cells are what XlsxWriter's constant-memory mode writes: inline strings escaped the same way (``& < >``,
control characters as ``_xHHHH_``), numbers and dates as ``<v>`` with the same formats' style indices.
The monev report's XLSX at 1M contracts (about 14M cells): 254 s with the per-cell API, 44 s so (README).
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import polars as pl
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.xmlwriter import XMLwriter

Kind = Literal["text", "id", "money", "date", "int"]
EXCEL_MAX_ROWS = 1_048_576
RUPIAH_FORMAT = '"Rp"#,##0'
MAX_SHEET_NAME = 31
MAX_STRING = 32_767  # Excel's limit per cell (XlsxWriter cuts a longer string there too)
# Deflate level of the package: 1 is several times faster than zlib's default 6 on a million rows' XML,
# for a file about a third bigger.
COMPRESS_LEVEL = 1
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap year only moves earlier days)
_NEEDS_ESCAPE = r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]"
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


@dataclass
class _Spliced:
    """A sheet whose rows were built here: XlsxWriter's sheet XML gets them before ``</sheetData>``."""

    sheet: Worksheet
    rows: Any  # a temporary binary file of <row> elements
    last_row: int  # 0-based, the sheet's last row
    last_col: int


@dataclass(frozen=True)
class Field:
    key: str
    header: str
    kind: Kind = "text"
    width: int = 14


class SafeWorkbook:
    """A workbook whose tables are written row by row; :meth:`close` returns the bytes."""

    def __init__(self, *, max_rows: int = EXCEL_MAX_ROWS) -> None:
        self._buffer = io.BytesIO()
        self.book: Workbook = xlsxwriter.Workbook(self._buffer, {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "default_date_format": "dd/mm/yyyy", "in_memory": False,
        })
        self.max_rows = max_rows
        self.header = self.book.add_format({"bold": True, "bg_color": "#E8EDF3", "border": 1, "text_wrap": True,
                                            "valign": "top"})
        self.money = self.book.add_format({"num_format": RUPIAH_FORMAT})
        self.date = self.book.add_format({"num_format": "dd/mm/yyyy"})
        self.integer = self.book.add_format({"num_format": "#,##0"})
        self.text = self.book.add_format({"num_format": "@"})
        self.bold = self.book.add_format({"bold": True})
        self.title = self.book.add_format({"bold": True, "font_size": 13})
        self.percent = self.book.add_format({"num_format": "0.00"})
        self._writers = self._cell_writers()
        self._spliced: list[_Spliced] = []

    def sheet(self, name: str) -> Worksheet:
        return self.book.add_worksheet(_sheet_name(name))

    def write_cell(self, sheet: Worksheet, row: int, col: int, kind: Kind, value: Any) -> None:
        self._writers[kind](sheet, row, col, value)

    def _cell_writers(self) -> dict[str, Callable[[Worksheet, int, int, Any], None]]:
        """Per kind, how a cell is written (chosen once per column, not per cell: a million-row sheet)."""

        def number(cell_format: Format) -> Callable[[Worksheet, int, int, Any], None]:
            def write(sheet: Worksheet, row: int, col: int, value: Any) -> None:
                if value is None or value == "":
                    sheet.write_blank(row, col, None)
                else:
                    sheet.write_number(row, col, int(value), cell_format)
            return write

        def text(cell_format: Format | None) -> Callable[[Worksheet, int, int, Any], None]:
            def write(sheet: Worksheet, row: int, col: int, value: Any) -> None:
                if value is None or value == "":
                    sheet.write_blank(row, col, None)
                else:
                    # write_string never makes a formula, whatever the text starts with ("=HYPERLINK(...)").
                    sheet.write_string(row, col, _one_line_breaks(str(value)), cell_format)
            return write

        plain = text(None)

        def day(sheet: Worksheet, row: int, col: int, value: Any) -> None:
            if isinstance(value, (date, datetime)):
                sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), self.date)
            else:
                plain(sheet, row, col, value)

        return {"money": number(self.money), "int": number(self.integer), "date": day, "id": text(self.text),
                "text": plain}

    def table(self, name: str, fields: Sequence[Field], rows: Iterable[dict[str, Any]],
              *, before: Sequence[str] = ()) -> int:
        """A sheet (or several, ``name``, ``name (2)``, ...) of ``rows`` under a frozen, filtered header;
        ``before`` are lines of text above the header. Returns the rows written."""
        part, written = 1, 0
        sheet, top = self._start(name, fields, before)
        line = top + 1
        columns = [(col, field.key, self._writers[field.kind]) for col, field in enumerate(fields)]
        for row in rows:
            if line >= self.max_rows:
                self._finish(sheet, top, line, fields)
                part += 1
                sheet, top = self._start(f"{name} ({part})", fields, before)
                line = top + 1
            for col, key, write in columns:
                write(sheet, line, col, row.get(key))
            line += 1
            written += 1
        self._finish(sheet, top, line, fields)
        return written

    def _start(self, name: str, fields: Sequence[Field], before: Sequence[str]) -> tuple[Worksheet, int]:
        sheet = self.sheet(name)
        for i, text in enumerate(before):
            sheet.write_string(i, 0, text, self.title if i == 0 else None)
        top = len(before) + (1 if before else 0)
        for col, field in enumerate(fields):
            sheet.set_column(col, col, field.width)
        sheet.freeze_panes(top + 1, 0)
        for col, field in enumerate(fields):
            sheet.write_string(top, col, field.header, self.header)
        return sheet, top

    @staticmethod
    def _finish(sheet: Worksheet, top: int, end: int, fields: Sequence[Field]) -> None:
        sheet.autofilter(top, 0, max(end - 1, top), len(fields) - 1)

    def frame_table(self, name: str, fields: Sequence[Field], chunks: Iterable[pl.DataFrame],
                    *, before: Sequence[str] = ()) -> int:
        """As :meth:`table`, for rows given as polars frames with the fields' keys as columns: the rows are
        built as XML a column at a time (see the module's docstring). Returns the rows written."""
        part, written = 1, 0
        sheet, top = self._start(name, fields, before)
        spliced = self._splice(sheet, top, fields)
        # One frame's XML is built by polars (no GIL) in a worker while this thread reads the next frame
        # from the database: the two cores both work.
        with ThreadPoolExecutor(max_workers=1) as worker:
            pending: Future[None] | None = None
            for frame in chunks:
                while frame.height:
                    room = self.max_rows - 1 - spliced.last_row
                    if room <= 0:
                        self._finish(sheet, top, spliced.last_row + 1, fields)
                        part += 1
                        sheet, top = self._start(f"{name} ({part})", fields, before)
                        spliced = self._splice(sheet, top, fields)
                        continue
                    piece, frame = frame.head(room), frame.slice(room)
                    if pending is not None:
                        pending.result()
                    pending = worker.submit(self._write_rows, spliced, piece, fields, spliced.last_row + 1)
                    spliced.last_row += piece.height
                    written += piece.height
            if pending is not None:
                pending.result()
        self._finish(sheet, top, spliced.last_row + 1, fields)
        return written

    def _write_rows(self, spliced: _Spliced, frame: pl.DataFrame, fields: Sequence[Field], first: int) -> None:
        spliced.rows.write(self._rows_xml(frame, fields, first).encode())

    def _splice(self, sheet: Worksheet, top: int, fields: Sequence[Field]) -> _Spliced:
        # Closed by close(), after its rows are copied into the package.
        spliced = _Spliced(sheet, tempfile.TemporaryFile(), top, len(fields) - 1)  # noqa: SIM115
        self._spliced.append(spliced)
        return spliced

    def _rows_xml(self, frame: pl.DataFrame, fields: Sequence[Field], first: int) -> str:
        """The frame's rows as ``<row>`` elements, the first at 0-based row ``first``; blank cells omitted."""
        frame = frame.with_columns(_row=pl.int_range(first + 1, first + 1 + frame.height).cast(pl.String))
        cells = [self._cells_xml(frame, field, col) for col, field in enumerate(fields)]
        row = pl.concat_str([pl.lit('<row r="'), pl.col("_row"), pl.lit('">'), *cells, pl.lit("</row>")])
        return str(frame.select(row.str.join("")).item())

    def _cells_xml(self, frame: pl.DataFrame, field: Field, col: int) -> pl.Expr:
        value = pl.col(field.key)
        dtype = frame.schema[field.key]
        start = [pl.lit(f'<c r="{xl_col_to_name(col)}'), pl.col("_row")]
        if field.kind in ("money", "int") and dtype.is_numeric():
            style = self.money if field.kind == "money" else self.integer
            number = value.cast(pl.Int64, strict=False).cast(pl.String)  # whole, as int() cuts a fraction
            return _or_blank(number, [*start, pl.lit(f'"{_style(style)}><v>'), number, pl.lit("</v></c>")])
        if field.kind == "date" and dtype == pl.Date():
            serial = (value - pl.lit(_EXCEL_EPOCH)).dt.total_days().cast(pl.String)
            return _or_blank(serial, [*start, pl.lit(f'"{_style(self.date)}><v>'), serial, pl.lit("</v></c>")])
        text = _inline_text(frame, field.key)
        style = _style(self.text) if field.kind == "id" else ""
        preserve = pl.when(text.str.contains(r"^\s|\s$")).then(pl.lit(' xml:space="preserve"')).otherwise(pl.lit(""))
        return _or_blank(text, [*start, pl.lit(f'"{style} t="inlineStr"><is><t'), preserve, pl.lit(">"), text,
                                pl.lit("</t></is></c>")])

    def close(self) -> bytes:
        self.book.close()
        if not self._spliced:
            return self._buffer.getvalue()
        return self._spliced_package()

    def _spliced_package(self) -> bytes:
        """XlsxWriter's package with the built rows in their sheets; every other member copied as is."""
        by_member = {f"xl/worksheets/sheet{s.sheet.index + 1}.xml": s for s in self._spliced}
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(self._buffer.getvalue())) as source, \
                zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as target:
            for info in source.infolist():
                data = source.read(info)
                spliced = by_member.get(info.filename)
                if spliced is None:
                    target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
                    continue
                head, tail = data.split(b"</sheetData>", 1)
                ref = f'<dimension ref="A1:{xl_col_to_name(spliced.last_col)}{spliced.last_row + 1}"/>'.encode()
                # Opened by name, the member takes the file's level (a ZipInfo passed in would get zlib's 6).
                with target.open(info.filename, "w", force_zip64=True) as stream:
                    stream.write(_DIMENSION.sub(ref, head, count=1))
                    spliced.rows.seek(0)
                    shutil.copyfileobj(spliced.rows, stream, 1 << 20)
                    stream.write(b"</sheetData>" + tail)
                spliced.rows.close()
        return out.getvalue()


def _style(cell_format: Format) -> str:
    # The format's xf index, assigned now as XlsxWriter assigns it when a cell first uses the format.
    index = cell_format._get_xf_index()
    return f' s="{index}"' if index else ""


def _or_blank(value: pl.Expr, parts: list[pl.Expr]) -> pl.Expr:
    """The cell's XML, or nothing for a null or empty value (a blank cell is omitted, as XlsxWriter does)."""
    return pl.when(value.is_null() | (value == "")).then(pl.lit("")).otherwise(pl.concat_str(parts))


def _inline_text(frame: pl.DataFrame, key: str) -> pl.Expr:
    """A column's text as XlsxWriter writes an inline string: line breaks as LF, cut at Excel's limit,
    control characters (and text that looks like their escape) escaped as ``_xHHHH_``, then ``& < >``.
    The control characters' escape runs only on a frame that has one (rare; per value, in Python)."""
    text = (pl.col(key).cast(pl.String).str.replace_all("\r\n", "\n", literal=True)
            .str.replace_all("\r", "\n", literal=True).str.slice(0, MAX_STRING))
    if frame.select(text.str.contains(_NEEDS_ESCAPE).any()).item():
        text = text.map_elements(XMLwriter._escape_control_characters, return_dtype=pl.String)
    return (text.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True)
            .str.replace_all(">", "&gt;", literal=True))


def _one_line_breaks(text: str) -> str:
    # A bare CR is stored as "_x000D_" and shown as such by some readers; a cell's line break is LF.
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _sheet_name(name: str) -> str:
    # Excel refuses []:*?/\ in sheet names and more than 31 characters.
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in name).strip("'")
    return cleaned[:MAX_SHEET_NAME]
