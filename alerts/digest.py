"""Who gets what this cycle: the digest policy.

One digest per recipient address per cycle, carrying for that address:

- ``new``: an active finding it was never told about (``escalated`` when it reaches the address only
  through escalation); ``reopened``: one it was last told was resolved, or that reopened since;
- ``rose``: one whose severity is higher than when it was last told;
- ``escalated``: one that crossed its escalation limit since it was last told;
- ``reminder``: an ``open``/``reopened`` one last told at least ``[alerts] repeat_days[severity]``
  calendar days ago (local dates, so a daily cycle a few seconds early still reminds);
- ``resolved``: one it was told about that has been resolved since.

Acknowledged findings only come back when their severity rises; silenced findings never do. Nothing
due: no digest. "Told" means a :class:`~monitor.models.Notification` whose message is not dead: a
message that could not be delivered does not count, so its findings come again next cycle.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from alerts.routing import BPKAD_SEVERITIES, Escalation, FindingRef, Role, Router, about_payments, address_key
from monitor.bootstrap import App
from monitor.db import exact_sum, exact_total
from monitor.models import Finding, FindingEvent, Notification, OutboxMessage
from monitor.records import severity_rank
from monitor.settings import Settings

log = logging.getLogger(__name__)

NEW, REOPENED, ROSE, ESCALATED, REMINDER, RESOLVED = "new", "reopened", "rose", "escalated", "reminder", "resolved"
REASONS = (NEW, REOPENED, ROSE, ESCALATED, REMINDER, RESOLVED)
DEFAULT_REPEAT_DAYS = 7
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class FindingView:
    """A finding as the digest shows it (detached from the session)."""

    id: int
    rule: str
    severity: str
    status: str
    opd: str | None
    opd_label: str
    subject: str
    title: str
    amount_at_risk: int
    details: dict[str, Any]
    first_seen: date
    opened_at: datetime
    resolved_at: datetime | None
    resolved_reason: str | None


@dataclass(frozen=True, slots=True)
class DigestItem:
    finding: FindingView
    reason: str
    previous_severity: str | None = None
    escalation: Escalation | None = None


@dataclass(frozen=True, slots=True)
class OpdTotal:
    opd: str
    open: int
    urgent: int  # critical or high
    payments: int  # jakon.payment_unregistered
    amount_at_risk: int


@dataclass(frozen=True)
class Digest:
    """One email's worth: what one address must hear this cycle."""

    recipient: str
    kind: str  # "digest" or "bpkad"
    roles: tuple[Role, ...]
    items: tuple[DigestItem, ...]
    # (OPD as given, reason) for findings that came to this address as the fallback.
    fallbacks: tuple[tuple[str, str], ...] = ()
    opd_totals: tuple[OpdTotal, ...] = ()

    def count(self, reason: str) -> int:
        return sum(1 for item in self.items if item.reason == reason)

    @property
    def finding_ids(self) -> list[int]:
        return [item.finding.id for item in self.items]


@dataclass(frozen=True, slots=True)
class _Told:
    reason: str
    severity: str
    status: str
    at: datetime


@dataclass(frozen=True, slots=True)
class _Opened:
    on: date  # the local date it (last) opened: escalation counts from here
    at: datetime | None  # when it (last) opened or reopened, where comparable with the cycle's clock


def _opened(finding: Finding, reopen_event_at: datetime | None, now: datetime, tz: ZoneInfo) -> _Opened:
    """When the finding opened. The check engine stamps ``opened_at`` and its events with the wall clock,
    while a cycle may run as of another time (``--at``, a demo replaying a year): stamps later than the
    cycle's own time cannot be compared with it and are left out, ``first_seen`` standing in."""
    comparable = [t for t in (finding.opened_at, reopen_event_at) if t is not None and t <= now]
    on = finding.opened_at.astimezone(tz).date() if finding.opened_at <= now else finding.first_seen
    return _Opened(on=on, at=max(comparable) if comparable else None)


@dataclass
class _Builder:
    recipient: str
    roles: set[Role] = field(default_factory=set)
    items: dict[int, DigestItem] = field(default_factory=dict)
    fallbacks: set[tuple[str, str]] = field(default_factory=set)


def build_digests(app: App, now: datetime) -> list[Digest]:
    """The digests due at ``now``, without recording anything (``alerts preview`` uses this)."""
    with app.sessions() as session:
        return collect_digests(session, app.settings, now)


def collect_digests(session: Session, settings: Settings, now: datetime) -> list[Digest]:
    """The digests due at ``now``, read through ``session`` (the enqueue path reads and writes in one
    transaction). Recipients in address order; each digest's items in no particular order (view.py sorts)."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    tz = settings.tz
    today = now.astimezone(tz).date()
    router = Router(settings)
    told = _latest_notifications(session)
    findings = _candidate_findings(session, told)
    reopened_at = _reopen_times(session, [f.id for f in findings if f.status == REOPENED and f.id in told])
    spelled: dict[str, str] = {}
    builders: dict[str, _Builder] = {}
    unrouted: Counter[str] = Counter()

    def builder(address: str) -> _Builder:
        key = address_key(address)
        spelled.setdefault(key, address.strip())
        return builders.setdefault(key, _Builder(recipient=spelled[key]))

    for finding in findings:
        if finding.status == "silenced":
            continue
        view: FindingView | None = None
        opened = _opened(finding, reopened_at.get(finding.id), now, tz)
        ref = FindingRef(
            rule=finding.rule, severity=finding.severity, status=finding.status, opd=finding.opd,
            days_open=(today - opened.on).days,
        )
        escalation = router.escalation(ref)
        roles_by_key: dict[str, set[Role]] = defaultdict(set)
        for address, role in router.routes(ref):
            roles_by_key[address_key(address)].add(role)
            builder(address)
        if not roles_by_key and finding.status != RESOLVED:
            unrouted[finding.opd or "-"] += 1
        finding_told = told.get(finding.id, {})
        keys = set(roles_by_key)
        if finding.status == RESOLVED:
            keys |= set(finding_told)  # whoever was told hears it was resolved, routed or not
        for key in sorted(keys):
            roles = roles_by_key.get(key, set())
            last = finding_told.get(key)
            reason = _reason(finding, roles, last, escalation, opened, settings, tz, today)
            if reason is None:
                continue
            b = builders.get(key) or builder(key)
            b.roles |= roles
            view = view or _view(finding, router)
            b.items[finding.id] = DigestItem(
                finding=view, reason=reason,
                previous_severity=last.severity if reason == ROSE and last is not None else None,
                escalation=escalation,
            )
            for role in roles:
                if role.kind == "fallback":
                    b.fallbacks.add((view.opd_label, router.fallback_reason(finding.opd) or ""))

    if unrouted:
        log.warning(
            "alerts: %d temuan tidak punya penerima (OPD tanpa alamat email dan [alerts] fallback kosong): %s",
            sum(unrouted.values()), ", ".join(f"{opd} ({n})" for opd, n in sorted(unrouted.items())),
            extra={"unrouted": dict(unrouted)},
        )
    totals: tuple[OpdTotal, ...] | None = None
    digests = []
    for _key, b in sorted(builders.items()):
        if not b.items:
            continue
        kind = "bpkad" if router.is_bpkad(b.recipient) else "digest"
        if kind == "bpkad" and totals is None:
            totals = opd_totals(session, router)
        digests.append(Digest(
            recipient=b.recipient, kind=kind, roles=tuple(sorted(b.roles)), items=tuple(b.items.values()),
            fallbacks=tuple(sorted(b.fallbacks)), opd_totals=(totals or ()) if kind == "bpkad" else (),
        ))
    return digests


def _reason(
    finding: Finding, roles: set[Role], last: _Told | None, escalation: Escalation | None,
    opened: _Opened, settings: Settings, tz: ZoneInfo, today: date,
) -> str | None:
    """Why this address must hear about this finding now, or None."""
    status = finding.status
    if status == RESOLVED:
        return RESOLVED if last is not None and last.reason != RESOLVED else None
    if status == "silenced" or not roles:
        return None
    rose = last is not None and severity_rank(finding.severity) > severity_rank(last.severity)
    if status == "acknowledged":
        return ROSE if rose else None
    if last is None:
        return ESCALATED if {r.kind for r in roles} == {"escalation"} else NEW
    if (
        last.reason == RESOLVED
        or (status == REOPENED and last.status != REOPENED)
        or (opened.at is not None and opened.at > last.at)  # resolved and reopened since it was told
    ):
        return REOPENED
    if rose:
        return ROSE
    last_day = last.at.astimezone(tz).date()
    if escalation is not None and last.reason != ESCALATED:
        escalated_on = opened.on + timedelta(days=escalation.limit)
        if last_day < escalated_on:
            return ESCALATED
    repeat = settings.alerts.repeat_days.get(finding.severity, DEFAULT_REPEAT_DAYS)
    if (today - last_day).days >= repeat:
        return REMINDER
    return None


def _latest_notifications(session: Session) -> dict[int, dict[str, _Told]]:
    """finding id -> recipient key -> the latest notification whose message is not dead."""
    n, o = Notification.__table__.c, OutboxMessage.__table__.c
    dead = select(o.id).where(o.status == "dead")  # few, and answered from the (status, ...) index
    latest = (
        select(func.max(n.id))
        .where(or_(n.outbox_id.is_(None), n.outbox_id.not_in(dead)))
        .group_by(n.finding_id, n.recipient)
    )
    rows = session.execute(
        select(n.finding_id, n.recipient, n.reason, n.severity, n.status, n.notified_at).where(n.id.in_(latest))
    )
    told: dict[int, dict[str, _Told]] = defaultdict(dict)
    for finding_id, recipient, reason, severity, status, at in rows:
        told[finding_id][recipient] = _Told(reason=reason, severity=severity, status=status, at=at)
    return told


def _candidate_findings(session: Session, told: dict[int, dict[str, _Told]]) -> list[Finding]:
    """Active findings, and resolved ones some address was told about and has not heard resolved."""
    findings = list(session.scalars(select(Finding).where(Finding.status != RESOLVED).order_by(Finding.id)))
    pending_resolution = sorted(
        fid for fid, by_recipient in told.items() if any(t.reason != RESOLVED for t in by_recipient.values())
    )
    for start in range(0, len(pending_resolution), _CHUNK):
        chunk = pending_resolution[start:start + _CHUNK]
        findings.extend(session.scalars(
            select(Finding).where(Finding.id.in_(chunk), Finding.status == RESOLVED).order_by(Finding.id)
        ))
    return findings


def _reopen_times(session: Session, finding_ids: Sequence[int]) -> dict[int, datetime]:
    e = FindingEvent.__table__.c
    times: dict[int, datetime] = {}
    for start in range(0, len(finding_ids), _CHUNK):
        rows = session.execute(
            select(e.finding_id, func.max(e.at))
            .where(e.finding_id.in_(finding_ids[start:start + _CHUNK]), e.to_status == REOPENED)
            .group_by(e.finding_id)
        )
        times.update((fid, at) for fid, at in rows if at is not None)
    return times


def _view(finding: Finding, router: Router) -> FindingView:
    return FindingView(
        id=finding.id, rule=finding.rule, severity=finding.severity, status=finding.status, opd=finding.opd,
        opd_label=router.opd_label(finding.opd), subject=finding.subject, title=finding.title,
        amount_at_risk=finding.amount_at_risk or 0, details=dict(finding.details or {}),
        first_seen=finding.first_seen, opened_at=finding.opened_at, resolved_at=finding.resolved_at,
        resolved_reason=finding.resolved_reason,
    )


def opd_totals(session: Session, router: Router) -> tuple[OpdTotal, ...]:
    """Active, unsilenced findings per OPD for BPKAD's city-wide view, the largest amount first."""
    f = Finding.__table__.c
    rows = session.execute(
        select(f.opd, f.rule, f.severity, func.count(), *exact_sum(f.amount_at_risk))
        .where(f.status.in_(("open", "reopened", "acknowledged")))
        .group_by(f.opd, f.rule, f.severity)
    )
    acc: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for opd, rule, severity, count, high, low in rows:
        total = acc[router.opd_label(opd)]
        total[0] += count
        total[1] += count if severity in BPKAD_SEVERITIES else 0
        total[2] += count if about_payments(rule) else 0
        total[3] += exact_total(high, low)  # a plain sum() overflows 64 bits on SQLite
    return tuple(sorted(
        (OpdTotal(opd, *values) for opd, values in acc.items()), key=lambda t: (-t.amount_at_risk, -t.open, t.opd)
    ))
