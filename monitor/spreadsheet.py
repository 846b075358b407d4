"""XLSX written safely, for every spreadsheet Pantau hands out (the monev report, the digests' full lists).

XlsxWriter in constant-memory mode (rows go to disk as they are written). Every string is written as a
string: text that starts like a formula (``= + - @``, tab, CR) is never a formula, identifiers (contract
numbers, NPWP, SP2D numbers) stay text with their leading zeros, amounts are numbers with a rupiah format,
dates are dates. Each table has a frozen header row and an autofilter, and continues on a new sheet
before Excel's row limit.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

Kind = Literal["text", "id", "money", "date", "int"]
EXCEL_MAX_ROWS = 1_048_576
RUPIAH_FORMAT = '"Rp"#,##0'
MAX_SHEET_NAME = 31


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

    def close(self) -> bytes:
        self.book.close()
        return self._buffer.getvalue()


def _one_line_breaks(text: str) -> str:
    # A bare CR is stored as "_x000D_" and shown as such by some readers; a cell's line break is LF.
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _sheet_name(name: str) -> str:
    # Excel refuses []:*?/\ in sheet names and more than 31 characters.
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in name).strip("'")
    return cleaned[:MAX_SHEET_NAME]
