"""``pantau run [--once]``: the daemon, or one pass of every enabled job."""

from __future__ import annotations

import sys

import click

from monitor.cli.common import EXIT_FAILED, CliContext, pass_cli
from monitor.cli.config import preflight


@click.command("run")
@click.option("--once", is_flag=True, help="Jalankan setiap tugas yang aktif sekali, berurutan, lalu keluar.")
@pass_cli
def run_command(obj: CliContext, once: bool) -> None:
    """Jalankan daemon: tugas terjadwal, /metrics, /healthz dan /readyz. Hentikan dengan Ctrl-C atau SIGTERM."""
    from monitor.daemon.leader import DaemonAlreadyRunning, leadership_for
    from monitor.daemon.service import main_loop
    from monitor.logs import configure_logging

    settings = obj.settings
    configure_logging(settings.logging)
    preflight(settings)  # a bad schedule or SMTP password is a config error before anything starts
    try:
        # Before migrations: a second daemon on one SQLite file must not touch it at all.
        leadership = leadership_for(settings.database.url)
    except DaemonAlreadyRunning as exc:
        click.echo(f"Pantau tidak dijalankan: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    sys.exit(main_loop(obj.app, leadership, once=once))


def register(group: click.Group) -> None:
    group.add_command(run_command)
