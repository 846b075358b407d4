"""Who must hear about a finding: its OPD (email and cc), the fallback when the OPD is unknown or has
no address, per-rule routes, BPKAD, and the escalation recipients once it has stayed open too long.

Addresses are compared case-insensitively and kept in the spelling the configuration first used.
Routing is pure: it reads settings and one finding, never the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from functools import cache

from checks import REGISTRY
from monitor.settings import Opd, Settings

# BPKAD sees these whatever the rule (and every finding of a rule that says ``for_bpkad``): it can
# still hold a payment.
BPKAD_SEVERITIES = frozenset({"critical", "high"})
# Escalation is for findings nobody has taken up: an acknowledgement or a silence stops it.
ESCALATING_STATUSES = frozenset({"open", "reopened"})

FALLBACK_UNKNOWN = "unknown"  # the OPD is not in the directory
FALLBACK_NO_ADDRESS = "no_address"  # in the directory, without an email
FALLBACK_NONE = "none"  # the finding names no OPD


@cache
def bpkad_rules() -> frozenset[str]:
    """The rules whose every finding BPKAD sees (``Rule.for_bpkad``)."""
    return frozenset(rule_id for rule_id, rule in REGISTRY.items() if rule.for_bpkad)


def about_payments(rule_id: str) -> bool:
    """Whether the rule's findings are about SP2Ds (``Rule.subject_kind``)."""
    rule = REGISTRY.get(rule_id)
    return rule is not None and rule.subject_kind == "payment"


@dataclass(frozen=True, slots=True, order=True)
class Role:
    """Why an address receives a finding. ``detail`` is the OPD, the route's glob, or empty."""

    kind: str  # opd|cc|fallback|route|bpkad|escalation
    detail: str = ""


@dataclass(frozen=True, slots=True)
class FindingRef:
    """What routing needs to know about a finding."""

    rule: str
    severity: str
    status: str
    opd: str | None
    days_open: int


def address_key(address: str) -> str:
    return address.strip().casefold()


class Directory:
    """The OPD directory, looked up by code, name or alias (ignoring case)."""

    def __init__(self, opds: tuple[Opd, ...]) -> None:
        self._by_label: dict[str, Opd] = {}
        for opd in opds:
            for label in (opd.code, opd.name, *opd.aliases):
                self._by_label.setdefault(label.strip().casefold(), opd)

    def find(self, opd: str | None) -> Opd | None:
        if not opd:
            return None
        return self._by_label.get(opd.strip().casefold())


@dataclass(frozen=True, slots=True)
class Escalation:
    days_open: int
    limit: int


class Router:
    """Routes findings to addresses according to ``[alerts]`` and the OPD directory."""

    def __init__(self, settings: Settings) -> None:
        self.alerts = settings.alerts
        self.directory = Directory(settings.opd)

    def opd_label(self, opd: str | None) -> str:
        """The OPD's code when the directory knows it, else the text as the finding gave it."""
        known = self.directory.find(opd)
        return known.code if known is not None else (opd or "")

    def fallback_reason(self, opd: str | None) -> str | None:
        """Why this OPD's findings go to the fallback recipients, or None when the OPD has an address."""
        if not opd:
            return FALLBACK_NONE
        known = self.directory.find(opd)
        if known is None:
            return FALLBACK_UNKNOWN
        if not known.email:
            return FALLBACK_NO_ADDRESS
        return None

    def escalation(self, finding: FindingRef) -> Escalation | None:
        """Set when the finding has been open at least the configured days for its severity."""
        limit = self.alerts.escalate_after_days.get(finding.severity)
        if limit is None or finding.status not in ESCALATING_STATUSES or finding.days_open < limit:
            return None
        return Escalation(days_open=finding.days_open, limit=limit)

    def routes(self, finding: FindingRef) -> Iterator[tuple[str, Role]]:
        """Every (address, role) that should hear about ``finding``; an address may come with several roles."""
        label = self.opd_label(finding.opd)
        known = self.directory.find(finding.opd)
        if known is not None:
            for address in known.email:
                yield address, Role("opd", label)
            for address in known.cc:
                yield address, Role("cc", label)
        if self.fallback_reason(finding.opd) is not None:
            for address in self.alerts.fallback:
                yield address, Role("fallback")
        for pattern, addresses in self.alerts.routes.items():
            if fnmatchcase(finding.rule, pattern):
                for address in addresses:
                    yield address, Role("route", pattern)
        if self.is_for_bpkad(finding):
            for address in self.alerts.bpkad:
                yield address, Role("bpkad")
        if self.escalation(finding) is not None:
            for address in self.alerts.escalation:
                yield address, Role("escalation")

    def is_for_bpkad(self, finding: FindingRef) -> bool:
        return finding.severity in BPKAD_SEVERITIES or finding.rule in bpkad_rules()

    def is_bpkad(self, address: str) -> bool:
        return address_key(address) in {address_key(a) for a in self.alerts.bpkad}

    def all_addresses(self) -> set[str]:
        keys = {address_key(a) for opd in self.directory._by_label.values() for a in (*opd.email, *opd.cc)}
        keys |= {address_key(a) for a in (*self.alerts.fallback, *self.alerts.bpkad, *self.alerts.escalation)}
        keys |= {address_key(a) for addresses in self.alerts.routes.values() for a in addresses}
        return keys


def days_between(start: date, end: date) -> int:
    return (end - start).days
