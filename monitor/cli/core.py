"""``pantau db upgrade``."""

from __future__ import annotations

import click

from monitor import db
from monitor.cli.common import CliContext, pass_cli


@click.group("db")
def db_group() -> None:
    """Pemeliharaan basis data."""


@db_group.command("upgrade")
@pass_cli
def db_upgrade(obj: CliContext) -> None:
    """Terapkan migrasi basis data (juga dilakukan setiap kali mulai)."""
    engine = db.make_engine(obj.settings.database.url)
    try:
        db.upgrade(engine)
        click.echo(f"Basis data pada revisi {db.current_revision(engine)}.")
    finally:
        engine.dispose()


def register(group: click.Group) -> None:
    group.add_command(db_group)
