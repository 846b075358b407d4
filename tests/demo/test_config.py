"""The shipped configuration files load, and the example names every setting there is: a key added
to monitor/settings.py without an example here fails this test."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import checks
from monitor.daemon.scheduler import JOBS
from monitor.demo import opd_directory, opd_directory_toml
from monitor.regulation.workdays import WorkingCalendar
from monitor.settings import Settings, load_settings

CONFIG = Path(__file__).resolve().parents[2] / "config"


def _keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every settings key, dotted, as written in TOML (aliases such as smtp ``from`` included)."""
    keys = set()
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        key = prefix + (field.alias or name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= _keys(annotation, key + ".")
        else:
            keys.add(key)
    return keys


def _written(data: dict[str, Any], prefix: str = "") -> set[str]:
    keys = set()
    for key, value in data.items():
        keys.add(prefix + key)
        if isinstance(value, dict):
            keys |= _written(value, prefix + key + ".")
    return keys


@pytest.fixture
def demo_environ(tmp_path: Path) -> dict[str, str]:
    """`make run` writes the demo's signing key into var/ before anything loads the demo
    configuration; a test names one of its own, the way a deployment's environment can."""
    key = tmp_path / "web-secret.key"
    key.write_text("k" * 44, encoding="utf-8")
    return {"PANTAU_WEB_SECRET_KEY_FILE": str(key)}


def _installed_example(root: Path) -> Path:
    """The example where the README puts it: copied to the installation's root, beside config/."""
    (root / "config").symlink_to(CONFIG)
    copy = root / "pantau.toml"
    copy.write_text((CONFIG / "pantau.example.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return copy


@pytest.mark.parametrize("name", ["pantau.example.toml", "pantau.demo.toml"])
def test_the_shipped_configuration_loads(name: str, tmp_path: Path, demo_environ: dict[str, str]) -> None:
    path = _installed_example(tmp_path) if name == "pantau.example.toml" else CONFIG / name
    settings = load_settings(path, environ=demo_environ, required=True)
    checks.rule_config(settings)  # every rule option known, of the right kind
    for job, spec in JOBS.items():
        settings.job(job, spec.default)
    WorkingCalendar.from_settings(settings.calendar)
    assert {opd.code for opd in settings.opd} >= {o["code"] for o in opd_directory()}


def _commented_out(text: str) -> set[str]:
    """Keys shown as ``# key = ...`` under their table: settings that name a site's own file (a CA
    bundle) cannot be set in an example that must load."""
    keys, table = set(), ""
    for line in text.splitlines():
        if header := re.fullmatch(r"\[([\w.]+)\]\s*", line):
            table = header.group(1) + "."
        elif key := re.match(r"#\s*(\w+)\s*=", line):
            keys.add(table + key.group(1))
    return keys


def test_the_example_sets_every_setting() -> None:
    text = (CONFIG / "pantau.example.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    missing = _keys(Settings) - _written(data) - (_commented_out(text) & {"smtp.ca_file"})
    assert not missing, f"config/pantau.example.toml lacks {sorted(missing)}"
    assert set(JOBS) <= set(data["scheduler"]), "every scheduler job has an example"
    assert set(checks.REGISTRY) <= set(data["rules"]), "every rule has an example"
    for field in Settings.model_fields["opd"].annotation.__args__[0].model_fields:  # type: ignore[union-attr]
        assert field in data["opd"][0], f"[[opd]] {field}"


def test_the_demo_configuration_writes_under_var(demo_environ: dict[str, str]) -> None:
    settings = load_settings(CONFIG / "pantau.demo.toml", environ=demo_environ, required=True)
    assert settings.web.enabled and settings.web.secret_key_file == Path(demo_environ["PANTAU_WEB_SECRET_KEY_FILE"])
    var = (CONFIG.parent / "var").resolve()
    assert settings.database.url.startswith("sqlite:///")
    assert Path(settings.database.url.removeprefix("sqlite:///")).resolve() == var / "pantau.db"
    assert settings.alerts.transport == "file"
    assert settings.alerts.outbox_dir.resolve() == var / "outbox"
    assert settings.scheduler.inbox_dir.resolve() == var / "inbox"
    assert "Kecamatan Danau Teluk" not in {opd.name for opd in settings.opd}


def test_the_example_copied_to_the_root_keeps_everything_inside_the_installation(tmp_path: Path) -> None:
    settings = load_settings(_installed_example(tmp_path), environ={}, required=True)
    var = tmp_path / "var"
    assert settings.database.url == f"sqlite:///{var / 'pantau.db'}"
    assert (settings.alerts.outbox_dir, settings.scheduler.inbox_dir) == (var / "outbox", var / "inbox")
    assert settings.opd_file == tmp_path / "config" / "opd.kota-jambi.toml"
    assert settings.calendar.holidays_file == tmp_path / "config" / "holidays.example.toml"
    assert set(settings.relative_paths) == {
        "opd_file", "calendar.holidays_file", "database.url", "alerts.outbox_dir", "scheduler.inbox_dir",
        "report.output_dir"}


def test_the_opd_file_is_the_demo_directory() -> None:
    assert (CONFIG / "opd.kota-jambi.toml").read_text(encoding="utf-8") == opd_directory_toml()
