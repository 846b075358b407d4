"""The compliance rules, one module each, and their one registry.

:data:`REGISTRY` maps a rule id to its class. Nothing is validated on import: the engine calls
:func:`validate_registry` at start-up, which fails loudly on a duplicate id or a rule with missing or
bad metadata, then :func:`rule_config` to build each rule's effective options from the settings, and
:func:`all_findings` to run every enabled rule.

Adding a rule is one module, one line here and one test file: write ``checks/<area>_<name>.py`` with
a module docstring that documents it (why, the regulation, what counts, its options, an example
finding) and a subclass of :class:`checks.base.Rule` declaring what the rule base asks (id,
severity, titles, names and advice in both languages, subject kind, what it reads, options,
``explain``) and ``run(ctx)``; then list the class in :data:`RULES`. The e-mails, metrics, resolution
and the tests read everything else from the class.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from checks.agreement_expired import AgreementExpired
from checks.agreement_expiring import AgreementExpiring
from checks.base import LANGUAGES, READS, SUBJECT_KINDS, CheckContext, Rule, Words
from checks.common import OptionError
from checks.data_ambiguous_match import AmbiguousMatch
from checks.data_orphan_registration import OrphanRegistration
from checks.jakon_coverage_gap import CoverageGap
from checks.jakon_deadline_near import DeadlineNear
from checks.jakon_late_registration import LateRegistration
from checks.jakon_payment_unregistered import PaymentUnregistered
from checks.jakon_premium_shortfall import PremiumShortfall
from checks.jakon_unregistered import Unregistered
from checks.kampung_no_sk_rt import KampungNoSkRt
from checks.kampung_unregistered import KampungUnregistered
from monitor.records import SEVERITIES, Finding
from monitor.settings import Settings, SettingsError

__all__ = ["REGISTRY", "RegistryError", "all_findings", "build_registry", "rule_config", "validate_registry"]

RULES: tuple[type[Rule], ...] = (
    Unregistered,
    DeadlineNear,
    LateRegistration,
    PremiumShortfall,
    CoverageGap,
    PaymentUnregistered,
    AgreementExpiring,
    AgreementExpired,
    KampungNoSkRt,
    KampungUnregistered,
    OrphanRegistration,
    AmbiguousMatch,
)

# Options every rule has; a rule's default_config must not redefine them.
COMMON_OPTIONS = ("enabled", "severity")
_ID = re.compile(r"^[a-z]+\.[a-z][a-z_]*$")
_METADATA = ("id", "title", "severity", "rationale", "names", "advice", "subject_kind", "reads", "default_config")


class RegistryError(Exception):
    """The rule registry is inconsistent: a programming error, reported at start-up."""


def build_registry(rules: Iterable[type[Rule]]) -> dict[str, type[Rule]]:
    """``{rule.id: rule}``, refusing a duplicate id (a dict literal would silently keep the last)."""
    registry: dict[str, type[Rule]] = {}
    for rule in rules:
        rule_id = getattr(rule, "id", None)
        if not isinstance(rule_id, str):
            raise RegistryError(f"{rule.__module__}.{rule.__qualname__}: no rule id")
        if rule_id in registry:
            other = registry[rule_id]
            raise RegistryError(f"duplicate rule id {rule_id!r}: {other.__module__} and {rule.__module__}")
        registry[rule_id] = rule
    return registry


REGISTRY: dict[str, type[Rule]] = build_registry(RULES)


def validate_registry(registry: Mapping[str, type[Rule]]) -> None:
    """Fail loudly on anything a report, a route or a dashboard could trip over later."""
    seen: dict[type[Rule], str] = {}
    for key, rule in registry.items():
        where = f"rule {key!r} ({getattr(rule, '__module__', '?')})"
        for name in _METADATA:
            if getattr(rule, name, None) in (None, ""):
                raise RegistryError(f"{where}: missing {name}")
        if rule.id != key:
            raise RegistryError(f"{where}: registered under {key!r} but its id is {rule.id!r} (duplicate id?)")
        if rule in seen:
            raise RegistryError(f"{where}: the same rule is registered twice (also as {seen[rule]!r})")
        seen[rule] = key
        if not _ID.match(rule.id):
            raise RegistryError(f"{where}: id must look like 'area.name' (lower case)")
        if rule.severity not in SEVERITIES:
            raise RegistryError(f"{where}: unknown severity {rule.severity!r} ({', '.join(SEVERITIES)})")
        for name in ("title", "rationale"):
            if not isinstance(getattr(rule, name), str):
                raise RegistryError(f"{where}: {name} must be text")
        if not isinstance(rule.default_config, Mapping):
            raise RegistryError(f"{where}: default_config must be a mapping")
        reserved = set(rule.default_config) & set(COMMON_OPTIONS)
        if reserved:
            raise RegistryError(f"{where}: default_config must not define {sorted(reserved)[0]!r}")
        if not (isinstance(rule, type) and issubclass(rule, Rule)):
            raise RegistryError(f"{where}: a rule must subclass checks.base.Rule")
        if inspect.isabstract(rule):
            raise RegistryError(f"{where}: no run(ctx) method")
        for name in ("names", "advice"):
            words = getattr(rule, name)
            if not isinstance(words, Words) or not all(words.in_language(language) for language in LANGUAGES):
                raise RegistryError(f"{where}: {name} must be Words with a text in each of {', '.join(LANGUAGES)}")
        if rule.subject_kind not in SUBJECT_KINDS:
            raise RegistryError(f"{where}: unknown subject_kind {rule.subject_kind!r} ({', '.join(SUBJECT_KINDS)})")
        if not isinstance(rule.reads, frozenset) or not rule.reads or not rule.reads <= set(READS):
            raise RegistryError(f"{where}: reads must be a non-empty frozenset of {', '.join(READS)}")
        if "contracts" in rule.reads and not isinstance(getattr(rule, "needs_end_date", None), bool):
            raise RegistryError(f"{where}: a rule reading contracts must say whether it needs_end_date (True/False)")
        try:
            _validate_options(rule, {**rule.default_config})
        except OptionError as exc:
            raise RegistryError(f"{where}: default_config: {exc}") from exc


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return isinstance(value, type(default))


def _plain(value: Any) -> Any:
    """Sequences as fresh lists: the effective options are JSON-ready and never share a default."""
    return list(value) if isinstance(value, (list, tuple)) else value


def _validate_options(rule: type[Rule], config: Mapping[str, Any]) -> None:
    rule.validate_config(config)


def rule_config(settings: Settings, registry: Mapping[str, type[Rule]] = REGISTRY) -> dict[str, dict[str, Any]]:
    """Each rule's effective options: ``enabled``, ``severity`` (None: the rule's own) and its
    ``default_config`` overlaid with ``[rules.<id>]`` (sequences as lists). An unknown rule, an
    unknown option or a value of the wrong kind is a :class:`SettingsError` naming ``rules.<id>.<key>``."""
    unknown_rules = sorted(set(settings.rules) - set(registry))
    if unknown_rules:
        raise SettingsError(
            f"{settings.source}: rules.{unknown_rules[0]}: unknown rule (known: {', '.join(sorted(registry))})"
        )
    result: dict[str, dict[str, Any]] = {}
    for rule_id, rule in registry.items():
        configured = settings.rule(rule_id)
        config: dict[str, Any] = {"enabled": configured.enabled, "severity": configured.severity}
        config.update((key, _plain(value)) for key, value in rule.default_config.items())
        for key, value in (configured.model_extra or {}).items():
            where = f"{settings.source}: rules.{rule_id}.{key}"
            if key not in rule.default_config:
                known = ", ".join([*COMMON_OPTIONS, *rule.default_config])
                raise SettingsError(f"{where}: unknown option (known: {known})")
            default = rule.default_config[key]
            if not _same_kind(default, value):
                raise SettingsError(f"{where}: expected {type(default).__name__}, got {value!r}")
            config[key] = _plain(value)
        try:
            _validate_options(rule, config)
        except OptionError as exc:
            raise SettingsError(f"{settings.source}: rules.{rule_id}.{exc.key}: {exc.message}") from exc
        result[rule_id] = config
    return result


def all_findings(ctx: CheckContext, registry: Mapping[str, type[Rule]] = REGISTRY) -> Iterator[Finding]:
    """Run every enabled rule over the context, in registry order."""
    for rule_id, rule in registry.items():
        if not ctx.config(rule_id).get("enabled", True):
            continue
        for finding in rule().run(ctx):
            if finding.rule != rule_id:
                raise RegistryError(f"rule {rule_id!r} yielded a finding for {finding.rule!r}")
            yield finding
