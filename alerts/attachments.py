"""The digests' full lists: each digest carries, as XLSX, every open finding it speaks for, so no list is cut
for a recipient who has no ``pantau`` to look the rest up.

- an OPD's digest (the OPD's addresses and its cc): that OPD's complete list of active findings;
- the BPKAD digest: the city-wide list;
- any other digest (a route, the fallback, escalation): the findings it carries.

Written by :class:`monitor.spreadsheet.SafeWorkbook` (formula-safe text, identifiers as text, amounts as
rupiah numbers, dates as dates, frozen header, autofilter), with each finding's follow-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from alerts.digest import RESOLVED as RESOLVED_REASON
from alerts.digest import Digest
from alerts.i18n import Formatter, formatter
from alerts.render import XLSX_SUBTYPE, Attachment
from monitor.check.findings import ACTIVE, list_findings
from monitor.check.followup import followups
from monitor.settings import Settings
from monitor.spreadsheet import Field, SafeWorkbook

FIELDS = (
    Field("id", "ID temuan", "int", 9), Field("severity", "Tingkat", "text", 9), Field("status", "Status", "text", 11),
    Field("rule", "Temuan", "text", 30), Field("opd", "OPD", "text", 10), Field("subject", "Subjek", "id", 30),
    Field("title", "Judul", "text", 50), Field("amount_at_risk", "Nilai berisiko", "money", 16),
    Field("first_seen", "Pertama terlihat", "date", 12), Field("tindakan", "Yang harus dilakukan", "text", 50),
    Field("due", "Batas waktu tindak lanjut", "date", 12), Field("followup", "Status tindak lanjut", "text", 20),
)
_CHUNK = 2_000


@dataclass(frozen=True)
class DigestAttachment:
    attachment: Attachment | None
    notice: str  # the sentence in the body: what is attached, or why it is not


def scope(digest: Digest) -> tuple[str, list[str]]:
    """("city"|"opd"|"digest", the OPD codes)."""
    if digest.kind == "bpkad":
        return "city", []
    opds = sorted({role.detail for role in digest.roles if role.kind in ("opd", "cc") and role.detail})
    return ("opd", opds) if opds else ("digest", [])


def digest_attachment(session: Session, settings: Settings, digest: Digest, now: datetime) -> DigestAttachment:
    fmt = formatter(settings.alerts.language, settings.tz)
    kind, opds = scope(digest)
    conn = session.connection()
    if kind == "digest":
        wanted = {item.finding.id for item in digest.items if item.reason != RESOLVED_REASON}
        rows: Iterable[dict[str, Any]] = (r for r in list_findings(conn, statuses=ACTIVE) if r["id"] in wanted)
    else:
        rows = list_findings(conn, statuses=ACTIVE, opds=opds)
    day = now.astimezone(settings.tz).date()
    label = "-".join(opds) if kind == "opd" else ("kota" if kind == "city" else "ringkasan")
    filename = f"temuan-terbuka-{label}-{day.isoformat()}.xlsx"
    book = SafeWorkbook()
    book.table("Temuan terbuka", FIELDS, _with_followup(session, settings, fmt, rows), before=[
        f"Temuan terbuka per {fmt.date(day)}", "Nilai berisiko dalam rupiah; ID temuan untuk `pantau ack` dan "
        "tindak lanjut monev."])
    content = book.close()
    scope_text = {"opd": fmt.t("attachment.scope_opd", opds=", ".join(opds)),
                  "city": fmt.t("attachment.scope_city"), "digest": fmt.t("attachment.scope_digest")}[kind]
    limit = settings.report.max_attachment_mb
    size = len(content) / 1_000_000
    if size > limit:
        return DigestAttachment(None, fmt.t("attachment.too_big", size=f"{size:.1f}".replace(".", ","),
                                            limit=f"{limit:g}".replace(".", ",")))
    return DigestAttachment(Attachment(filename, content, "application", XLSX_SUBTYPE),
                            fmt.t("attachment.notice", scope=scope_text, attachment=filename))


def _with_followup(session: Session, settings: Settings, fmt: Formatter,
                   rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _CHUNK:
            yield from _chunk(session, settings, fmt, batch)
            batch = []
    yield from _chunk(session, settings, fmt, batch)


def _chunk(
    session: Session, settings: Settings, fmt: Formatter, rows: list[dict[str, Any]],
) -> Iterator[dict[str, Any]]:
    if not rows:
        return
    tl = followups(session.connection(), [r["id"] for r in rows], settings.report)
    for row in rows:
        follow = tl.get(row["id"])
        yield {**row, "severity": fmt.severity(row["severity"]), "rule": fmt.rule(row["rule"]),
               "first_seen": date.fromisoformat(row["first_seen"]),
               "tindakan": (row["details"] or {}).get("tindakan") or fmt.advice(row["rule"]),
               "due": follow.due if follow else None, "followup": follow.status if follow else None}
