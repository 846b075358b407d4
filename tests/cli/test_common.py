"""The root group turns a settings error raised anywhere below it into the clean exit-2 message."""

from __future__ import annotations

import click
from click.testing import CliRunner

from monitor.cli.common import PantauGroup
from monitor.settings import SettingsError


def test_a_settings_error_deep_in_a_nested_command_is_exit_2_without_a_traceback() -> None:
    @click.group(cls=PantauGroup)
    def root() -> None: ...

    @root.group()
    def area() -> None: ...

    @area.command()
    def work() -> None:
        raise SettingsError("pantau.toml: rules.x.y: unknown option")

    result = CliRunner().invoke(root, ["area", "work"])

    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert result.stderr == "Kesalahan konfigurasi:\npantau.toml: rules.x.y: unknown option\n"


def test_other_errors_are_not_dressed_up_as_configuration_errors() -> None:
    @click.group(cls=PantauGroup)
    def root() -> None: ...

    @root.command()
    def work() -> None:
        raise RuntimeError("a bug")

    result = CliRunner().invoke(root, ["work"])
    assert isinstance(result.exception, RuntimeError)
