"""``pantau config check`` and ``pantau db upgrade``."""

from __future__ import annotations

import click

from monitor import db
from monitor.cli.common import CliContext, pass_cli


@click.group("config")
def config_group() -> None:
    """Periksa konfigurasi."""


@config_group.command("check")
@pass_cli
def config_check(obj: CliContext) -> None:
    """Validasi berkas konfigurasi dan pengaturan dari environment (PANTAU_*)."""
    settings = obj.settings
    click.echo(
        f"{settings.source}: OK ({len(settings.opd)} OPD in the directory, "
        f"database {_redact(settings.database.url)})"
    )


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
        click.echo(f"database at revision {db.current_revision(engine)}")
    finally:
        engine.dispose()


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(db.normalize_url(url)).render_as_string(hide_password=True)


def register(group: click.Group) -> None:
    group.add_command(config_group)
    group.add_command(db_group)
