"""The ``pantau`` command line. Each area keeps its commands in its own module and registers
them here, so the CLI grows without one file everyone edits."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from monitor.cli import language
from monitor.cli.common import CliContext, PantauGroup

# Modules that define ``register(group: click.Group) -> None``.
COMMAND_MODULES = (
    "monitor.cli.config",
    "monitor.cli.core",
    "monitor.cli.ingest",
    "monitor.cli.contracts",
    "monitor.cli.demo",
    "monitor.cli.domain",
    "monitor.cli.match",
    "monitor.cli.findings",
    "monitor.cli.followup",
    "monitor.cli.report",
    "monitor.cli.alerts",
    "monitor.cli.daemon",
    "monitor.cli.web",
)


@click.group(
    cls=PantauGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    options_metavar=language.OPTIONS_METAVAR,
    subcommand_metavar=language.SUBCOMMAND_METAVAR,
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="PANTAU_CONFIG",
    help="Berkas konfigurasi (TOML). Bawaan: ./pantau.toml bila ada.",
)
# Evaluated here, before any command runs: click's default words would stay English.
@click.version_option(package_name="pantau", message="%(prog)s, versi %(version)s",
                      help="Tampilkan versi lalu keluar.")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """Pantau: pemantauan kepatuhan Jakon BPJS Ketenagakerjaan untuk kontrak konstruksi APBD."""
    ctx.obj = CliContext(config_path=config_path)
    ctx.call_on_close(ctx.obj.close)


def _speak_indonesian(group: click.Group) -> None:
    """The usage line's placeholders ("[OPTIONS]", "COMMAND [ARGS]...") in Indonesian, for every
    command: click does not route them through gettext."""
    for command in group.commands.values():
        command.options_metavar = language.OPTIONS_METAVAR
        if isinstance(command, click.Group):
            command.subcommand_metavar = language.SUBCOMMAND_METAVAR
            _speak_indonesian(command)


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(cli)
_speak_indonesian(cli)


def main() -> None:
    sys.exit(cli.main(prog_name="pantau", standalone_mode=True))
