"""Shared CLI plumbing: lazy settings and app, and exit codes.

Exit codes: 0 success, 1 the work failed (e.g. a file could not be imported), 2 bad usage or
bad configuration.
"""

from __future__ import annotations

import getpass
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import click

from monitor.bootstrap import App, bootstrap
from monitor.cli import language
from monitor.settings import Settings, SettingsError, load_settings

EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_TERMINATED = 128 + signal.SIGTERM  # what a shell reports for a process ended by SIGTERM
DEFAULT_CONFIG = Path("pantau.toml")


class ConfigError(click.ClickException):
    exit_code = EXIT_CONFIG

    def show(self, file: object = None) -> None:
        click.echo(f"Kesalahan konfigurasi:\n{self.format_message()}", err=True)


class PantauGroup(click.Group):
    """The root ``pantau`` group: click's own words in Indonesian, and a settings error raised
    anywhere in a command (a rule's options, a schedule, the SMTP password read at send time) the
    clean exit-2 message naming the key, never a traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with language.indonesian():
            return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            raise ConfigError(str(exc)) from exc


@dataclass
class CliContext:
    config_path: Path | None
    _settings: Settings | None = None
    _app: App | None = None
    closers: list[App] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            path = self.config_path or DEFAULT_CONFIG
            try:
                self._settings = load_settings(path, required=self.config_path is not None)
            except SettingsError as exc:
                raise ConfigError(str(exc)) from exc
        return self._settings

    @property
    def app(self) -> App:
        if self._app is None:
            self._app = bootstrap(self.settings)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.dispose()


pass_cli = click.make_pass_decorator(CliContext)


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like KeyboardInterrupt, so every ``with`` and ``finally`` on the way rolls its
    transaction back and ends its worker processes. A BaseException, so no ``except Exception`` stops it."""


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (once: a second one during the clean-up is
    ignored, so the clean-up finishes). The previous handler is restored after."""

    def stop(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def actor(given: str | None) -> str:
    """Who a command's change is recorded as (``--actor``, else the login name)."""
    if given:
        return given
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "cli"
