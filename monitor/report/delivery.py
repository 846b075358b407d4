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
from monitor.report import FORMATS, MonevParams, render_monev_all

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
    output = render_monev_all(app, MonevParams(as_of=as_of), FORMATS, now=now)
    directory = settings.report.output_dir
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for suffix, content in output.items():
        path = directory / f"monev-{as_of.isoformat()}.{suffix}"
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(content)
        tmp.replace(path)  # a reader never sees half a file
        files.append(path)
    fmt = formatter(settings.alerts.language, settings.tz)
    limit = settings.report.max_attachment_mb
    total_mb = sum(len(c) for c in output.values()) / 1_000_000
    html_only = total_mb > limit
    sent = ["html"] if html_only else list(FORMATS)
    attachments = [Attachment(f"monev-{as_of.isoformat()}.{f}", output[f], *_TYPES[f]) for f in sent]
    body = fmt.t("monev.body", date=fmt.date(as_of), files=", ".join(a.filename for a in attachments))
    if html_only:
        body += " " + fmt.t("monev.heavy", size=f"{total_mb:.1f}".replace(".", ","), limit=f"{limit:g}",
                            where=str(directory))
    rendered = RenderedEmail(subject=fmt.t("monev.subject", date=fmt.date(as_of)), text=body + "\n",
                             html=f"<p>{html.escape(body)}</p>\n")
    with transaction(app.sessions) as session:
        for recipient in settings.report.recipients:
            enqueue_message(session, settings, kind=KIND, recipient=recipient, rendered=rendered, now=now,
                            attachments=attachments)
    return Delivered(files=files, queued=len(settings.report.recipients), html_only=html_only,
                     summary={"files": [str(p) for p in files], "queued": len(settings.report.recipients),
                              "html_only": html_only, "megabytes": round(total_mb, 2)})
