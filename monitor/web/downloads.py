"""An OPD's findings as CSV (streamed) and XLSX (XlsxWriter, constant memory): the whole filtered list,
not a page. Text cells that start like a formula are neutralized in the CSV; in the XLSX every text is
written as a string cell, never as a formula, and ids stay text (an NPWP or a contract number is not a
number)."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from datetime import date
from typing import Any

import xlsxwriter
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from monitor.cells import neutralize_formula
from monitor.web import queries
from monitor.web.pages import _known_opd, filters_from
from monitor.web.rendering import STATUS_LABELS
from monitor.web.security import staff, viewer_of, web_app

COLUMNS = (
    ("id", "ID"), ("rule", "Aturan"), ("severity", "Tingkat"), ("status", "Status"), ("opd", "OPD"),
    ("subject", "Subjek"), ("title", "Judul"), ("amount_at_risk", "Nilai berisiko (Rp)"),
    ("deadline", "Batas waktu"), ("first_seen", "Pertama terlihat"), ("last_seen", "Terakhir terlihat"),
)


def _cells(row: dict[str, Any]) -> list[Any]:
    details = row.get("details") or {}
    values = {**row, "deadline": details.get("deadline") or "", "status": STATUS_LABELS.get(row["status"],
                                                                                            row["status"])}
    out: list[Any] = []
    for key, _ in COLUMNS:
        value = values.get(key)
        if isinstance(value, date):
            value = value.isoformat()
        out.append("" if value is None else value)
    return out


async def _scope(request: Request) -> tuple[str | None, queries.Filters]:
    code = request.path_params.get("code")
    if code is None:
        await staff(request)
        return None, filters_from(request, None)
    opd = _known_opd(web_app(request), code)
    await viewer_of(request, opd)
    return opd, filters_from(request, opd)


def _name(opd: str | None, ext: str) -> str:
    safe = "".join(ch for ch in (opd or "semua") if ch.isalnum() or ch in "-_") or "opd"
    return f"pantau-temuan-{safe}.{ext}"


async def findings_csv(request: Request) -> Response:
    opd, filters = await _scope(request)
    app = web_app(request)

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([label for _, label in COLUMNS])
        with app.sessions() as session:
            for count, row in enumerate(queries.every_finding(session.connection(), filters), 1):
                writer.writerow([neutralize_formula(c) if isinstance(c, str) else c for c in _cells(row)])
                if count % 500 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    # A BOM so Excel reads the UTF-8 (names with diacritics) without asking.
    async def body() -> Any:
        yield "\ufeff"
        async for chunk in iterate_in_threadpool(lines()):
            yield chunk

    return StreamingResponse(body(), media_type="text/csv; charset=utf-8",
                             headers={"content-disposition": f'attachment; filename="{_name(opd, "csv")}"'})


async def findings_xlsx(request: Request) -> Response:
    opd, filters = await _scope(request)
    app = web_app(request)

    def build() -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            path = f"{tmp}/temuan.xlsx"
            book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                              "strings_to_numbers": False, "strings_to_urls": False,
                                              "tmpdir": tmp})
            sheet = book.add_worksheet("Temuan")
            bold, money = book.add_format({"bold": True}), book.add_format({"num_format": "#,##0"})
            for col, (_, label) in enumerate(COLUMNS):
                sheet.write_string(0, col, label, bold)
            sheet.set_column(5, 6, 40)
            with app.sessions() as session:
                for line, row in enumerate(queries.every_finding(session.connection(), filters), 1):
                    for col, value in enumerate(_cells(row)):
                        if isinstance(value, int) and not isinstance(value, bool):
                            sheet.write_number(line, col, value, money if col == 7 else None)
                        else:
                            sheet.write_string(line, col, str(value))
            book.close()
            with open(path, "rb") as fh:
                return fh.read()

    data = await run_in_threadpool(build)
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": f'attachment; filename="{_name(opd, "xlsx")}"'})
