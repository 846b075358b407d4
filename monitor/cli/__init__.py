"""The ``pantau`` command line. Each area keeps its commands in its own module and registers
them here, so the CLI grows without one file everyone edits."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from monitor.cli.common import CliContext

# Modules that define ``register(group: click.Group) -> None``.
COMMAND_MODULES = (
    "monitor.cli.core",
    "monitor.cli.ingest",
    "monitor.cli.demo",
    "monitor.cli.domain",
    "monitor.cli.match",
    "monitor.cli.findings",
    "monitor.cli.followup",
    "monitor.cli.report",
    "monitor.cli.alerts",
    "monitor.cli.daemon",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="PANTAU_CONFIG",
    help="Berkas konfigurasi (TOML). Bawaan: ./pantau.toml bila ada.",
)
@click.version_option(package_name="pantau")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """Pantau: pemantauan kepatuhan Jakon BPJS Ketenagakerjaan untuk kontrak konstruksi APBD."""
    ctx.obj = CliContext(config_path=config_path)
    ctx.call_on_close(ctx.obj.close)


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(cli)


def main() -> None:
    sys.exit(cli.main(prog_name="pantau", standalone_mode=True))
