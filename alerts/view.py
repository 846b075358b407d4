"""A digest turned into what the templates show: sections per rule, most urgent first, with every
value already formatted. Templates only lay it out.

Everything from the data (titles, vendor names, OPD text) is flattened to one line here; the HTML
template autoescapes it and the message headers strip control characters again (render.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alerts.digest import ESCALATED, NEW, REASONS, REMINDER, REOPENED, RESOLVED, ROSE, Digest, DigestItem
from alerts.i18n import Formatter, formatter
from alerts.routing import FALLBACK_NO_ADDRESS, FALLBACK_NONE, FALLBACK_UNKNOWN, Role
from monitor.access.links import opd_link_url
from monitor.records import SEVERITIES, severity_rank
from monitor.settings import Settings

# A digest stays readable: beyond this many findings per rule it names the command listing the rest.
MAX_ITEMS_PER_SECTION = 50

# details key -> how to show its value. Only the keys a finding carries are shown, in this order.
DETAIL_FIELDS: tuple[tuple[str, str], ...] = (
    # the contract
    ("nomor_kontrak", "text"),
    ("nama_paket", "text"),
    ("penyedia", "text"),
    ("nilai_kontrak", "money"),
    ("tanggal_kontrak", "date"),
    ("tanggal_selesai", "date"),
    ("deadline", "date"),
    ("days_overdue", "days"),
    ("days_late", "days"),
    # the payment
    ("nomor_sp2d", "text"),
    ("tanggal_sp2d", "date"),
    ("nilai_sp2d", "money"),
    ("uraian", "text"),
    # the registration
    ("nomor_registrasi", "text"),
    ("nama_proyek", "text"),
    ("nomor_kontrak_bpjs", "text"),
    ("tanggal_daftar", "date"),
    ("masa_akhir", "date"),
    ("gap_days", "days"),
    # the agreement
    ("nomor", "text"),
    ("judul", "text"),
    ("pihak", "text"),
    ("tanggal_berakhir", "date"),
    ("days_left", "days"),
    ("days_since_end", "days"),
    # the Kampung Bahagia activity
    ("kode_kegiatan", "text"),
    ("nama_kegiatan", "text"),
    ("kecamatan", "text"),
    ("kelurahan", "text"),
    ("rt", "text"),
    ("nilai_kegiatan", "money"),
    ("tanggal_mulai", "date"),
    ("nomor_sk_rt", "text"),
    ("tanggal_sk_rt", "date"),
    ("jumlah_peserta", "text"),
    # the money
    ("required", "money"),
    ("minimum_payment", "money"),
    ("paid", "money"),
    ("shortfall", "money"),
    ("due_now", "money"),
)
_REASON_ORDER = {reason: i for i, reason in enumerate((ESCALATED, ROSE, NEW, REOPENED, REMINDER, RESOLVED))}
_FALLBACK_KEYS = {
    FALLBACK_UNKNOWN: "fallback.unknown", FALLBACK_NO_ADDRESS: "fallback.no_address", FALLBACK_NONE: "fallback.none"
}


def one_line(value: object) -> str:
    """Untrusted text on one line: no CR/LF or other control characters can shape the email."""
    text = str(value)
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())


@dataclass(frozen=True)
class ItemView:
    id: int
    reason: str
    reason_label: str
    severity: str
    severity_label: str
    rose_from: str
    title: str
    opd: str
    subject: str
    amount: str
    rows: tuple[tuple[str, str], ...]
    action: str
    escalation: str
    resolved_at: str
    resolved_reason: str


@dataclass(frozen=True)
class SectionView:
    rule: str
    title: str
    severity: str
    severity_label: str
    count: int
    amount: str
    advice: str
    regulation: str
    items: tuple[ItemView, ...]
    more: int
    more_command: str


def digest_context(
    digest: Digest, settings: Settings, now: datetime, *, attachment: str = "", attachment_notice: str = "",
) -> dict[str, Any]:
    """Everything the digest templates read. ``attachment``: the name of the attached full list, which the
    cut sections point to; ``attachment_notice``: the sentence saying what is attached (or why not)."""
    fmt = formatter(settings.alerts.language, settings.tz)
    active = [item for item in digest.items if item.reason != RESOLVED]
    resolved = sorted((item for item in digest.items if item.reason == RESOLVED), key=_urgency)
    opds = sorted({role.detail for role in digest.roles if role.kind in ("opd", "cc")})
    counts = {reason: digest.count(reason) for reason in REASONS}
    return {
        "fmt": fmt,
        "kind": digest.kind,
        "recipient": one_line(digest.recipient),
        "as_of": fmt.date(now),
        "scope": one_line(", ".join(opds)),
        "roles": [_role(fmt, role) for role in digest.roles],
        "fallbacks": [
            {"opd": one_line(opd) or fmt.t("opd_totals.none"), "reason": fmt.t(_FALLBACK_KEYS[reason])}
            for opd, reason in digest.fallbacks if reason in _FALLBACK_KEYS
        ],
        "counts": counts,
        "summary": ", ".join(
            fmt.t(f"subject.{reason}", count=counts[reason]) for reason in REASONS if counts[reason]
        ),
        # A digest of one finding says which in its subject (flattened here, header-safe in render.py).
        "headline": one_line(digest.items[0].finding.title) if len(digest.items) == 1 else "",
        "active_count": len(active),
        "active_amount": fmt.money(sum(item.finding.amount_at_risk for item in active)),
        "sections": _sections(fmt, settings, active, opds),
        "resolved": [_item(fmt, settings, item) for item in resolved],
        "opd_totals": [
            {"opd": one_line(t.opd) or fmt.t("opd_totals.none"), "open": fmt.number(t.open),
             "urgent": fmt.number(t.urgent), "payments": fmt.number(t.payments), "amount": fmt.money(t.amount_at_risk)}
            for t in digest.opd_totals
        ],
        "opd_totals_sum": {
            "open": fmt.number(sum(t.open for t in digest.opd_totals)),
            "urgent": fmt.number(sum(t.urgent for t in digest.opd_totals)),
            "payments": fmt.number(sum(t.payments for t in digest.opd_totals)),
            "amount": fmt.money(sum(t.amount_at_risk for t in digest.opd_totals)),
        },
        "base_url": settings.web.base_url,
        "opd_links": _opd_links(fmt, settings, digest, opds, now),
        "attachment": one_line(attachment),
        "attachment_notice": one_line(attachment_notice),
        # The ack example names a real finding of this digest, so it can be copied as it is.
        "example_id": active[0].finding.id if active else (digest.items[0].finding.id if digest.items else "ID"),
    }


def _opd_links(
    fmt: Formatter, settings: Settings, digest: Digest, opds: list[str], now: datetime
) -> list[dict[str, str]]:
    """A signed link to each OPD page this digest's recipient receives as that OPD (or its cc): it opens
    that OPD's view and actions for ``[web] link_days``. None without the web interface or a base_url."""
    links = []
    until = fmt.date(now + timedelta(days=settings.web.link_days))
    for opd in opds:
        url = opd_link_url(settings, opd, digest.recipient, now)
        if url is not None:
            links.append({"url": url, "label": fmt.t("footer.opd_link", opd=one_line(opd),
                                                     recipient=one_line(digest.recipient), until=until)})
    return links


def _role(fmt: Formatter, role: Role) -> str:
    key = f"role.{role.kind}"
    return one_line(fmt.t(key, opd=role.detail, pattern=role.detail))


def _urgency(item: DigestItem) -> tuple[int, int, int, int, int]:
    """Most urgent first: severity, then what happened, then days overdue and money at risk."""
    details = item.finding.details
    overdue = details.get("days_overdue")
    return (
        -severity_rank(item.finding.severity) if item.finding.severity in SEVERITIES else 1,
        _REASON_ORDER.get(item.reason, 99),
        -(overdue if isinstance(overdue, int) else 0),
        -item.finding.amount_at_risk,
        item.finding.id,
    )


def _sections(fmt: Formatter, settings: Settings, items: list[DigestItem], opds: list[str]) -> list[SectionView]:
    by_rule: dict[str, list[DigestItem]] = defaultdict(list)
    for item in items:
        by_rule[item.finding.rule].append(item)
    sections = []
    for rule, rule_items in by_rule.items():
        rule_items.sort(key=_urgency)
        top = rule_items[0].finding.severity
        shown = rule_items[:MAX_ITEMS_PER_SECTION]
        command = f"pantau findings --rule {rule}" + (f" --opd {opds[0]}" if len(opds) == 1 else "")
        regulation = rule_items[0].finding.details.get("regulasi")
        sections.append(SectionView(
            rule=rule, title=fmt.rule(rule), severity=top, severity_label=fmt.severity(top),
            count=len(rule_items), amount=_amount(fmt, sum(i.finding.amount_at_risk for i in rule_items)),
            advice=fmt.advice(rule), regulation=one_line(regulation) if isinstance(regulation, str) else "",
            items=tuple(_item(fmt, settings, item) for item in shown),
            more=len(rule_items) - len(shown), more_command=one_line(command),
        ))
    sections.sort(key=lambda s: (-_rank(s.severity), _first_urgency(s), s.rule))
    return sections


def _amount(fmt: Formatter, amount: int) -> str:
    return fmt.money(amount) if amount else ""


def _rank(severity: str) -> int:
    return severity_rank(severity) if severity in SEVERITIES else -1


def _first_urgency(section: SectionView) -> int:
    return _REASON_ORDER.get(section.items[0].reason, 99) if section.items else 99


def _item(fmt: Formatter, settings: Settings, item: DigestItem) -> ItemView:
    finding = item.finding
    details = finding.details
    rows = _detail_rows(fmt, details, finding.subject)
    action = details.get("tindakan") if fmt.language == "id" else None
    escalation = ""
    if item.escalation is not None and settings.alerts.escalation:
        note = fmt.t(
            "item.escalation_note", days=item.escalation.days_open, limit=item.escalation.limit,
            severity=fmt.severity(finding.severity),
        )
        escalation = f"{', '.join(settings.alerts.escalation)} ({note})"
    return ItemView(
        id=finding.id,
        reason=item.reason,
        reason_label=fmt.t(f"reason.{item.reason}"),
        severity=finding.severity,
        severity_label=fmt.severity(finding.severity),
        rose_from=fmt.t("rose.from", severity=fmt.severity(item.previous_severity)) if item.previous_severity else "",
        title=one_line(finding.title),
        opd=one_line(finding.opd_label or "-"),
        subject=one_line(finding.subject),
        amount=_amount(fmt, finding.amount_at_risk),
        rows=rows,
        action=one_line(action) if isinstance(action, str) and action.strip() else "",
        escalation=one_line(escalation),
        resolved_at=fmt.date(finding.resolved_at) if finding.resolved_at else "",
        resolved_reason=one_line(finding.resolved_reason or ""),
    )


def detail_rows(fmt: Formatter, details: Mapping[str, Any], subject: str) -> tuple[tuple[str, str], ...]:
    """A finding's facts as (label, formatted value) rows, in :data:`DETAIL_FIELDS` order (the web's
    finding page shows the same rows as the digests)."""
    return _detail_rows(fmt, details, subject)


def _detail_rows(fmt: Formatter, details: Mapping[str, Any], subject: str) -> tuple[tuple[str, str], ...]:
    rows = []
    for key, kind in DETAIL_FIELDS:
        value = details.get(key)
        if key == "nomor_kontrak" and not value and "|" in subject:
            value = subject.split("|", 1)[1]  # contract rules' subject is "OPD|nomor_kontrak"
        if key == "tanggal_selesai" and value is None and "tanggal_kontrak" in details:
            # A contract checked before its end of works is known: say so rather than leave it out.
            rows.append((fmt.t("detail.tanggal_selesai"), fmt.t("detail.tanggal_selesai.unknown")))
            continue
        if value is None or value == "" or isinstance(value, (dict, list)):
            continue
        rows.append((fmt.t(f"detail.{key}"), one_line(_format(fmt, kind, value))))
    return tuple(rows)


def _days(fmt: Formatter, value: Any) -> str:
    return fmt.t("detail.days.value", days=value) if isinstance(value, int) else str(value)


def _money(fmt: Formatter, value: Any) -> str:
    return fmt.money(int(value)) if isinstance(value, int | float) else str(value)


_FORMATS: dict[str, Callable[[Formatter, Any], str]] = {
    "text": lambda fmt, value: str(value),
    "money": _money,
    "date": lambda fmt, value: fmt.date(str(value)),
    "days": _days,
}


def _format(fmt: Formatter, kind: str, value: Any) -> str:
    return _FORMATS[kind](fmt, value)
