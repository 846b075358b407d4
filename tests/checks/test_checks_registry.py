"""The registry: exactly the rule ids reports key on, validated loudly; options from settings."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from abc import abstractmethod
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import pytest
from rule_fixtures import DEADLINE_DAY, activity, agreement, context, contract, payment, registration

import checks
from checks import REGISTRY, RULES, RegistryError, all_findings, build_registry, rule_config, validate_registry
from checks.base import CheckContext, Rule, Words
from monitor.records import Finding
from monitor.settings import Settings, SettingsError, load_settings


def _rule_classes_in_checks() -> set[type[Rule]]:
    """Every concrete rule class defined in a module of the checks package."""
    found: set[type[Rule]] = set()
    for info in pkgutil.iter_modules(checks.__path__):
        module = importlib.import_module(f"checks.{info.name}")
        found |= {value for value in vars(module).values()
                  if isinstance(value, type) and issubclass(value, Rule) and not inspect.isabstract(value)
                  and value.__module__ == module.__name__}
    return found


def test_the_registry_holds_every_rule_module_once_and_validates() -> None:
    # A rule module whose class is not listed in RULES would never run: the registry must hold them all.
    assert set(REGISTRY.values()) == _rule_classes_in_checks()
    assert len(REGISTRY) == len(RULES)
    validate_registry(REGISTRY)
    assert REGISTRY["jakon.payment_unregistered"].severity == "critical"


@pytest.mark.parametrize("rule_id", list(REGISTRY))
def test_each_rule_module_documents_itself(rule_id: str) -> None:
    rule = REGISTRY[rule_id]
    module = importlib.import_module(rule.__module__)
    assert module.__doc__ is not None
    assert f"``{rule_id}``" in module.__doc__
    assert "Example finding" in module.__doc__
    assert rule.title and rule.rationale


class _Good(Rule):
    id: ClassVar[str] = "test.good"
    title: ClassVar[str] = "Baik"
    severity: ClassVar[str] = "low"
    rationale: ClassVar[str] = "Karena"
    names = Words(id="Baik", en="Good")
    advice = Words(id="Tidak ada.", en="Nothing.")
    subject_kind: ClassVar[str] = "contract"
    reads: ClassVar[frozenset[str]] = frozenset({"contracts"})
    needs_end_date: ClassVar[bool] = False
    default_config: ClassVar[Mapping[str, Any]] = {}

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        yield Finding(rule="test.other", subject="x", severity="low", title="t")


def _variant(**attributes: Any) -> type:
    return type("Variant", (_Good,), attributes)


def test_a_duplicate_id_fails_loudly() -> None:
    with pytest.raises(RegistryError, match=r"duplicate rule id 'jakon\.unregistered'"):
        build_registry([*RULES, _variant(id="jakon.unregistered")])
    with pytest.raises(RegistryError, match=r"its id is 'test\.good'"):
        validate_registry({"test.good": _Good, "test.copy": _Good})


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"title": ""}, "missing title"),
        ({"rationale": None}, "missing rationale"),
        ({"severity": "urgent"}, "unknown severity 'urgent'"),
        ({"default_config": {"severity": "high"}}, "must not define 'severity'"),
        ({"default_config": ["x"]}, "default_config must be a mapping"),
        ({"id": "Test Good"}, "id must look like"),
        ({"names": Words(id="Baik", en="")}, "names must be Words with a text in each of id, en"),
        ({"advice": "Tidak ada."}, "advice must be Words"),
        ({"subject_kind": "kontrak"}, "unknown subject_kind 'kontrak'"),
        ({"reads": frozenset({"contracts", "gossip"})}, "reads must be a non-empty frozenset"),
        ({"reads": frozenset()}, "reads must be a non-empty frozenset"),
        ({"needs_end_date": None}, "a rule reading contracts must say whether it needs_end_date"),
        ({"needs_end_date": "ya"}, "a rule reading contracts must say whether it needs_end_date"),
        ({"run": abstractmethod(lambda self, ctx: iter(()))}, r"no run\(ctx\) method"),
    ],
)
def test_bad_metadata_fails_loudly(attributes: dict[str, Any], message: str) -> None:
    variant = _variant(**attributes)
    with pytest.raises(RegistryError, match=message):
        validate_registry({variant.id: variant})  # type: ignore[attr-defined]


def test_a_class_not_built_on_the_rule_base_is_refused() -> None:
    plain = type("Plain", (), {name: getattr(_Good, name) for name in (
        "id", "title", "severity", "rationale", "names", "advice", "subject_kind", "reads", "needs_end_date",
        "default_config", "run")})
    with pytest.raises(RegistryError, match=r"must subclass checks\.base\.Rule"):
        validate_registry({"test.good": plain})


def test_a_rule_yielding_another_rules_finding_is_refused() -> None:
    ctx = context(date(2026, 1, 1))
    with pytest.raises(RegistryError, match=r"yielded a finding for 'test\.other'"):
        list(all_findings(ctx, {"test.good": _Good}))  # type: ignore[dict-item]


def _settings(tmp_path: Path, rules: str) -> Settings:
    path = tmp_path / "pantau.toml"
    path.write_text(rules, encoding="utf-8")
    return load_settings(path, environ={}, required=True)


def test_rule_config_overlays_the_settings_on_the_defaults(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        """
[rules."jakon.unregistered"]
grace_days = 3
severity = "critical"
jenis_pekerjaan = ["konstruksi"]

[rules."agreement.expiring"]
windows = [120, 14]
window_severities = ["info", "high"]

[rules."data.orphan_registration"]
enabled = false
""",
    )
    config = rule_config(settings)
    assert set(config) == set(REGISTRY)
    assert config["jakon.unregistered"] == {
        "enabled": True, "severity": "critical", "grace_days": 3, "jenis_pekerjaan": ["konstruksi"],
        "sumber_dana": ["APBD"],
    }
    assert config["jakon.late_registration"]["severity"] is None  # the rule's own
    assert config["agreement.expiring"]["windows"] == [120, 14]
    assert config["agreement.expiring"]["window_severities"] == ["info", "high"]
    assert config["jakon.premium_shortfall"]["first_instalment_percent"] == 50
    assert config["data.orphan_registration"]["enabled"] is False


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ('[rules."jakon.unregisterd"]\nenabled = false', r"rules\.jakon\.unregisterd: unknown rule"),
        ('[rules."jakon.unregistered"]\ngrace = 3', r"rules\.jakon\.unregistered\.grace: unknown option"),
        ('[rules."jakon.unregistered"]\ngrace_days = "3"', r"rules\.jakon\.unregistered\.grace_days: expected int"),
        ('[rules."jakon.unregistered"]\ngrace_days = -1', r"rules\.jakon\.unregistered\.grace_days: must not be"),
        ('[rules."agreement.expiring"]\nwindows = [30]', r"rules\.agreement\.expiring\.window_severities: give one"),
        (
            '[rules."agreement.expiring"]\nwindow_severities = ["low", "medium", "high", "dire"]',
            r"rules\.agreement\.expiring\.window_severities: 'dire' is not a severity",
        ),
        (
            '[rules."jakon.premium_shortfall"]\nfirst_instalment_percent = 120',
            r"rules\.jakon\.premium_shortfall\.first_instalment_percent: must be between 0 and 100",
        ),
    ],
)
def test_bad_rule_options_are_errors_naming_the_key(tmp_path: Path, rules: str, message: str) -> None:
    settings = _settings(tmp_path, rules)
    with pytest.raises(SettingsError, match=message) as caught:
        rule_config(settings)
    assert str(tmp_path / "pantau.toml") in str(caught.value)


def test_all_findings_runs_every_enabled_rule(tmp_path: Path) -> None:
    world = dict(
        contracts=[contract(1), contract(2)],
        registrations=[registration(102, tanggal_daftar=date(2026, 4, 10), iuran_dibayar=0), registration(103)],
        links=[(2, 102)],
        payments=[payment(501, contract_id=1)],
        agreements=[agreement(1, tanggal_berakhir=date(2026, 6, 20)), agreement(2, tanggal_berakhir=DEADLINE_DAY)],
        kampung=[activity(1, nomor_sk_rt=None, tanggal_mulai=date(2026, 5, 1))],
    )
    config = rule_config(_settings(tmp_path, ""))
    everything = {(f.rule, f.subject) for f in all_findings(context(date(2026, 6, 1), config=config, **world))}
    assert everything == {
        ("jakon.unregistered", "PUPR|027/1/SPK-PUPR/III/2026"),
        ("jakon.late_registration", "PUPR|027/2/SPK-PUPR/III/2026"),
        ("jakon.premium_shortfall", "PUPR|027/2/SPK-PUPR/III/2026"),
        ("jakon.payment_unregistered", "SP2D/0501/LS/BPKAD/2026"),
        ("agreement.expiring", "B/001/BPJS-JBI/V/2025"),
        ("agreement.expired", "B/002/BPJS-JBI/V/2025"),
        ("kampung.no_sk_rt", "KB-2026-KTB-001"),
        ("kampung.unregistered", "KB-2026-KTB-001"),
        ("data.orphan_registration", "JK-2026-0000103"),
    }
    config["jakon.unregistered"]["enabled"] = False
    config["data.orphan_registration"]["enabled"] = False
    fewer = {f.rule for f in all_findings(context(date(2026, 6, 1), config=config, **world))}
    assert "jakon.unregistered" not in fewer and "data.orphan_registration" not in fewer
    assert "jakon.late_registration" in fewer
