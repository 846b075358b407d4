"""Laporan (staff only): the latest draft monev report, in the page and as PDF and XLSX, and every final one.

A draft is the report as of today on the latest successful check run. At a million contracts it takes
minutes to render, so each format is rendered once per (check run, latest final report, day) into a file of
the application's own temporary folder and served from there; the next check run, a new final report or a
new day renders it again. A final report is its snapshot (the figures as shown at the meeting) and the
files ``pantau report monev --final`` left in ``[report] output_dir``, when they are still there.
"""

from __future__ import annotations

import tempfile
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from alerts.render import XLSX_SUBTYPE
from monitor.bootstrap import App
from monitor.models import MonevSnapshot
from monitor.report import FORMATS, MonevParams, ReportError, write_monev
from monitor.report.html import figure_rows
from monitor.report.model import latest_run
from monitor.web.rendering import page_formatter, render
from monitor.web.security import HEADERS, Refused, staff, web_app

MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "xlsx": f"application/{XLSX_SUBTYPE}",
               "page": "text/html; charset=utf-8"}
# The page frames the draft with its lists capped as in the PDF ("page"): at a million contracts the full
# HTML is hundreds of megabytes, there as a download.
PAGE = "page"
_CSP = dict(HEADERS)[b"content-security-policy"].decode()
# The Laporan page frames the draft's HTML (its own page, same origin); the report is one self-contained
# file with inline CSS and SVG and no script, so only that page may be framed, and only by Pantau.
PAGE_HEADERS = {"content-security-policy": _CSP.replace("frame-ancestors", "frame-src 'self'; frame-ancestors")}
FRAMED_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                               "frame-ancestors 'self'; form-action 'none'; base-uri 'none'",
    "x-frame-options": "SAMEORIGIN",
}
WHY = ("Laporan monev memuat angka seluruh kota; halaman ini untuk petugas BPKAD, sekretariat monev, "
       "Disnaker dan BPJS. Akses Anda ({actor}) terbatas pada OPD {opd}.")


class DraftFiles:
    """The draft report's files, one set per (check run, latest final report, day); one render at a time."""

    def __init__(self, directory: Path | None = None) -> None:
        if directory is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="pantau-laporan-")
            directory = Path(self._temporary.name)
        self.directory = directory
        self._lock = threading.Lock()

    def key(self, app: App, today: date) -> tuple[int, int, date]:
        """What the draft stands on; a :class:`ReportError` when no check run has succeeded yet."""
        with app.sessions() as session:
            conn = session.connection()
            run_id, _ = latest_run(conn, today)
            final = conn.execute(select(func.coalesce(func.max(MonevSnapshot.id), 0))).scalar_one()
        return run_id, int(final), today

    def path(self, app: App, fmt: str, now: datetime) -> Path:
        run_id, final, today = self.key(app, now.astimezone(app.settings.tz).date())
        target = self.directory / f"konsep-{run_id}-{final}-{today.isoformat()}.{fmt}"
        with self._lock:
            if not target.exists():
                for old in self.directory.glob(f"konsep-*.{fmt}"):
                    old.unlink(missing_ok=True)
                write_monev(app, MonevParams(as_of=today), {fmt: target}, now=now)
        return target


def finals(app: App) -> list[dict[str, Any]]:
    """Every final report, newest first, with its figures as shown and the stored files still there."""
    s = MonevSnapshot.__table__.c
    fmt = page_formatter(app)
    with app.sessions() as session:
        rows = session.execute(select(s.id, s.nomor, s.period_start, s.period_end, s.as_of, s.created_at, s.actor,
                                      s.figures).order_by(s.period_end.desc(), s.id.desc())).all()
    return [{**row._mapping, "rows": figure_rows(fmt, (row.figures or {}).get("city", {})),
             "files": [f for f in FORMATS if stored_file(app, row.as_of, f).is_file()]} for row in rows]


def stored_file(app: App, as_of: date, fmt: str) -> Path:
    """Where ``pantau report monev --final`` writes a report by default."""
    return app.settings.report.output_dir / f"monev-{as_of.isoformat()}.{fmt}"


async def reports_page(request: Request) -> Response:
    await staff(request, why=WHY)
    app = web_app(request)
    today = datetime.now(app.settings.tz).date()

    def read() -> tuple[str | None, list[dict[str, Any]]]:
        try:
            request.app.state.drafts.key(app, today)
        except ReportError as exc:
            return str(exc), finals(app)
        return None, finals(app)

    problem, final_reports = await run_in_threadpool(read)
    response = await render(request, "reports.html", {"problem": problem, "finals": final_reports})
    response.headers.update(PAGE_HEADERS)
    return response


async def draft(request: Request) -> Response:
    """``/laporan/konsep`` (framed in the page: the lists capped), ``.html`` (complete), ``.pdf``, ``.xlsx``."""
    await staff(request, why=WHY)
    app = web_app(request)
    fmt = request.path_params.get("format", PAGE)
    if fmt not in (*FORMATS, PAGE) or request.path_params.get("format") == PAGE:
        raise Refused(f"Format {fmt!r} tidak dikenal; pilih dari: {', '.join(FORMATS)}.", status=404,
                      title="Tidak ditemukan")
    now = datetime.now(app.settings.tz)
    try:
        path = await run_in_threadpool(request.app.state.drafts.path, app, fmt, now)
    except ReportError as exc:
        raise Refused(f"Laporan konsep belum dapat dibuat: {exc}.", status=409, title="Laporan belum ada") from exc
    name = f"monev-konsep-{now.date().isoformat()}.{fmt}"
    if fmt in ("html", PAGE):
        return FileResponse(path, media_type=MEDIA_TYPES[fmt], headers=FRAMED_HEADERS)
    return FileResponse(path, media_type=MEDIA_TYPES[fmt], filename=name)


async def final_file(request: Request) -> Response:
    """``/laporan/final/<id>.<format>``: the file the final report left in ``[report] output_dir``."""
    await staff(request, why=WHY)
    app = web_app(request)
    snapshot_id, fmt = request.path_params["snapshot_id"], request.path_params["format"]

    def find() -> Path | None:
        with app.sessions() as session:
            as_of = session.scalar(select(MonevSnapshot.as_of).where(MonevSnapshot.id == snapshot_id))
        return None if as_of is None or fmt not in FORMATS else stored_file(app, as_of, fmt)

    path = await run_in_threadpool(find)
    if path is None or not path.is_file():
        raise Refused("Berkas laporan final ini tidak tersimpan (lagi) di folder laporan; angkanya tetap tampil "
                      "di halaman Laporan.", status=404, title="Tidak ditemukan")
    headers = FRAMED_HEADERS if fmt == "html" else None
    return FileResponse(path, media_type=MEDIA_TYPES[fmt], filename=path.name, headers=headers)
