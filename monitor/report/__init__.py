"""The monev report: one model of figures (:mod:`.model`), three renderers (:mod:`.html`, :mod:`.pdf`,
:mod:`.xlsx`), one chart module (:mod:`.charts`), the snapshots of final reports (:mod:`.snapshot`) and
the meeting's follow-up sheet read back (:mod:`.followup_sheet`).

:func:`render_monev` is what the CLI, the daemon and the web interface call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from monitor.bootstrap import App
from monitor.report.model import MonevParams, MonevReport, ReportError, build_report

FORMATS = ("html", "pdf", "xlsx")


def _html(report: MonevReport) -> bytes:
    from monitor.report.html import render_html

    return "".join(render_html(report)).encode("utf-8")


def _pdf(report: MonevReport) -> bytes:
    from monitor.report.pdf import render_pdf

    return render_pdf(report)


def _xlsx(report: MonevReport) -> bytes:
    from monitor.report.xlsx import render_xlsx

    return render_xlsx(report)


RENDERERS: dict[str, Callable[[MonevReport], bytes]] = {"html": _html, "pdf": _pdf, "xlsx": _xlsx}


def render_monev_all(app: App, params: MonevParams, formats: Iterable[str], *, now: datetime | None = None,
                     actor: str = "pantau") -> dict[str, bytes]:
    """Build the report once, in one read transaction, and render it in each format. With
    ``params.final`` its figures are stored as a snapshot in the same transaction."""
    wanted = list(formats)
    unknown = [f for f in wanted if f not in RENDERERS]
    if unknown:
        raise ReportError(f"format {unknown[0]!r} tidak dikenal; pilih dari: {', '.join(FORMATS)}")
    now = now or datetime.now(app.settings.tz)
    with app.sessions() as session:
        conn = session.connection()
        report = build_report(conn, app.settings, params, now)
        output = {fmt: RENDERERS[fmt](report) for fmt in wanted}
        if params.final:
            from monitor.report.snapshot import store_snapshot

            store_snapshot(conn, report, actor=actor, now=now)
            session.commit()
    return output


def render_monev(app: App, params: MonevParams, format: str, *, now: datetime | None = None) -> bytes:
    """The report in one format (``html``, ``pdf`` or ``xlsx``), as bytes."""
    return render_monev_all(app, params, [format], now=now)[format]


__all__ = ["FORMATS", "MonevParams", "ReportError", "render_monev", "render_monev_all"]
