"""The monthly monev job's work: the report in the three formats, written to ``[report] output_dir`` and
e-mailed to ``[report] recipients`` through the durable outbox (the files are part of the stored message,
so a mail outage loses nothing). A message heavier than ``[report] max_attachment_mb`` carries the HTML
only and says where the rest is."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from alerts.i18n import formatter
from alerts.outbox import enqueue_message
from alerts.render import XLSX_SUBTYPE, Attachment, RenderedEmail
from monitor.bootstrap import App
from monitor.db import transaction
from monitor.report import FORMATS, MonevParams, write_monev

KIND = "monev"
_TYPES = {"html": ("text", "html"), "pdf": ("application", "pdf"), "xlsx": ("application", XLSX_SUBTYPE)}


@dataclass(frozen=True)
class Delivered:
    files: list[Path]
    queued: int
    html_only: bool
    summary: dict[str, object] = field(default_factory=dict)


def write_and_send(app: App, now: datetime) -> Delivered:
    settings = app.settings
    as_of = now.astimezone(settings.tz).date()
    directory = settings.report.output_dir
    directory.mkdir(parents=True, exist_ok=True)
    paths = {fmt: directory / f"monev-{as_of.isoformat()}.{fmt}" for fmt in FORMATS}
    write_monev(app, MonevParams(as_of=as_of), paths, now=now)
    files = list(paths.values())
    fmt = formatter(settings.alerts.language, settings.tz)
    limit = settings.report.max_attachment_mb
    total_mb = sum(p.stat().st_size for p in files) / 1_000_000
    html_only = total_mb > limit
    html_mb = paths["html"].stat().st_size / 1_000_000
    # Over the limit the HTML goes alone; when it alone is over it too (its lampiran are complete), nothing does.
    sent = list(FORMATS) if not html_only else (["html"] if html_mb <= limit else [])
    attachments = [Attachment(paths[f].name, paths[f].read_bytes(), *_TYPES[f]) for f in sent]
    size = f"{total_mb:.1f}".replace(".", ",")
    if attachments:
        body = fmt.t("monev.body", date=fmt.date(as_of), files=", ".join(a.filename for a in attachments))
    else:
        body = fmt.t("monev.none", date=fmt.date(as_of), size=size, limit=f"{limit:g}", where=str(directory))
    if html_only and attachments:
        body += " " + fmt.t("monev.heavy", size=size, limit=f"{limit:g}", where=str(directory))
    rendered = RenderedEmail(subject=fmt.t("monev.subject", date=fmt.date(as_of)), text=body + "\n",
                             html=f"<p>{html.escape(body)}</p>\n")
    with transaction(app.sessions) as session:
        for recipient in settings.report.recipients:
            enqueue_message(session, settings, kind=KIND, recipient=recipient, rendered=rendered, now=now,
                            attachments=attachments)
    return Delivered(files=files, queued=len(settings.report.recipients), html_only=html_only,
                     summary={"files": [str(p) for p in files], "queued": len(settings.report.recipients),
                              "html_only": html_only, "megabytes": round(total_mb, 2)})
