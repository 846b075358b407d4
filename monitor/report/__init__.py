"""The monev report: one model of figures (:mod:`.model`), three renderers (:mod:`.html`, :mod:`.pdf`,
:mod:`.xlsx`), one chart module (:mod:`.charts`), the snapshots of final reports (:mod:`.snapshot`) and
the meeting's follow-up sheet read back (:mod:`.followup_sheet`).

:func:`render_monev` is what the CLI, the daemon and the web interface call.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from monitor.bootstrap import App
from monitor.db import snapshot_connection
from monitor.report.model import MonevParams, MonevReport, ReportError, build_report

FORMATS = ("html", "pdf", "xlsx")


def _html(report: MonevReport, out: BinaryIO, *, capped: bool = False) -> None:
    from monitor.report.html import render_html

    # Piece by piece: at a million contracts the lampiran are hundreds of megabytes of HTML.
    for piece in render_html(report, capped=capped):
        out.write(piece.encode("utf-8"))


def _page(report: MonevReport, out: BinaryIO) -> None:
    _html(report, out, capped=True)


def _pdf(report: MonevReport, out: BinaryIO) -> None:
    from monitor.report.pdf import render_pdf

    out.write(render_pdf(report))


def _xlsx(report: MonevReport, out: BinaryIO) -> None:
    from monitor.report.xlsx import render_xlsx

    out.write(render_xlsx(report))


# "page": the HTML with its lists capped as in the PDF, for reading in a browser (the web's Laporan page).
RENDERERS: dict[str, Callable[[MonevReport, BinaryIO], None]] = {"html": _html, "pdf": _pdf, "xlsx": _xlsx,
                                                                  "page": _page}


def write_monev(app: App, params: MonevParams, targets: Mapping[str, Path | BinaryIO], *,
                now: datetime | None = None, actor: str = "pantau") -> MonevReport:
    """Build the report once, in one read transaction, and write it in each format to its target (a path,
    written whole or not at all, or an open binary file). With ``params.final`` its figures are stored as a
    snapshot once every file is written. Raises :class:`ReportError` for what cannot be reported."""
    unknown = [f for f in targets if f not in RENDERERS]
    if unknown:
        raise ReportError(f"format {unknown[0]!r} tidak dikenal; pilih dari: {', '.join(FORMATS)}")
    now = now or datetime.now(app.settings.tz)
    with app.sessions() as session:
        conn = snapshot_connection(session)  # the figures and the lists streamed after them see one moment
        report = build_report(conn, app.settings, params, now)
        assert report.rows is not None
        for fmt, target in targets.items():
            try:
                if isinstance(target, Path):
                    part = target.with_name(target.name + ".part")
                    with part.open("wb") as out:
                        RENDERERS[fmt](report, out)
                    part.replace(target)  # a reader never sees half a file
                else:
                    RENDERERS[fmt](report, target)
            finally:
                report.rows.close()  # the lists' read-ahead ends before the connection is used again
        if params.final:
            from monitor.report.snapshot import store_snapshot

            # In a transaction of its own: on SQLite a read snapshot that a check run's commit overtook while
            # the report was written cannot become a write ("database is locked"). What is stored is the
            # figures the report shows, computed in the snapshot, so nothing is lost by ending it first.
            session.rollback()
            store_snapshot(session.connection(), report, actor=actor, now=now)
            session.commit()
    return report


def render_monev(app: App, params: MonevParams, format: str, *, now: datetime | None = None) -> bytes:
    """The report in one format (``html``, ``pdf`` or ``xlsx``), as bytes (for the web interface)."""
    buffer = io.BytesIO()
    write_monev(app, params, {format: buffer}, now=now)
    return buffer.getvalue()


__all__ = ["FORMATS", "MonevParams", "ReportError", "render_monev", "write_monev"]
