"""``pantau user add|passwd|disable`` (web accounts) and ``pantau link make|revoke`` (OPD links)."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click

from monitor.access import accounts, links
from monitor.access.roles import ROLES
from monitor.cli.common import EXIT_FAILED, CliContext, pass_cli
from monitor.cli.match import resolve_opd
from monitor.db import transaction
from monitor.models import utcnow


class Failed(click.ClickException):
    exit_code = EXIT_FAILED


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Kata sandi", hide_input=True, confirmation_prompt="Ulangi kata sandi"))


_stdin = click.option("--password-stdin", is_flag=True, help="Baca kata sandi dari baris pertama stdin.")


@click.group("user")
def user_group() -> None:
    """Akun antarmuka web (BPKAD, sekretariat monev, Disnaker, BPJS, OPD)."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="Peran akun.")
@click.option("--opd", default=None, help="OPD akun berperan opd (kode, nama atau alias).")
@_stdin
@pass_cli
def add_command(obj: CliContext, name: str, role: str, opd: str | None, password_stdin: bool) -> None:
    """Buat akun baru."""
    password = _password(password_stdin)
    try:
        with transaction(obj.app.sessions) as session:
            user = accounts.add_user(session, obj.settings, name, role, password, opd=opd, now=utcnow())
            where = f" untuk OPD {user.opd}" if user.opd else ""
    except accounts.AccountError as exc:
        raise Failed(str(exc)) from exc
    click.echo(f"Akun {name} ({role}{where}) dibuat.")


@user_group.command("passwd")
@click.argument("name")
@_stdin
@pass_cli
def passwd_command(obj: CliContext, name: str, password_stdin: bool) -> None:
    """Ganti kata sandi (sesi yang sedang terbuka berakhir)."""
    password = _password(password_stdin)
    try:
        with transaction(obj.app.sessions) as session:
            accounts.set_password(session, name, password, now=utcnow())
    except accounts.AccountError as exc:
        raise Failed(str(exc)) from exc
    click.echo(f"Kata sandi {name} diganti; sesi lamanya berakhir.")


@user_group.command("disable")
@click.argument("name")
@pass_cli
def disable_command(obj: CliContext, name: str) -> None:
    """Nonaktifkan akun (sesinya berakhir saat itu juga)."""
    try:
        with transaction(obj.app.sessions) as session:
            accounts.disable_user(session, name)
    except accounts.AccountError as exc:
        raise Failed(str(exc)) from exc
    click.echo(f"Akun {name} dinonaktifkan.")


DEMO_ADMIN = "demo.admin"
DEMO_CONFIG = "pantau.demo.toml"


@user_group.command("demo-admin", hidden=True)
@pass_cli
def demo_admin_command(obj: CliContext) -> None:
    """(make run) Buat atau setel ulang akun admin demo dengan kata sandi acak, dicetak sekali ini."""
    if Path(obj.settings.source).name != DEMO_CONFIG:
        raise Failed(f"akun demo hanya dibuat pada basis data demo ({DEMO_CONFIG}); pakai pantau user add")
    password = secrets.token_urlsafe(12)
    with transaction(obj.app.sessions) as session:
        try:
            accounts.set_password(session, DEMO_ADMIN, password, now=utcnow())
        except accounts.AccountError:
            accounts.add_user(session, obj.settings, DEMO_ADMIN, "admin", password, opd=None, now=utcnow())
    web = obj.settings.web
    click.echo(f"Halaman web: {web.base_url or 'http://' + obj.settings.http.host + ':' + str(obj.settings.http.port)}/"
               f"  masuk sebagai {DEMO_ADMIN}, kata sandi {password}  (hanya demo; dicetak sekali ini)")


@click.group("link")
def link_group() -> None:
    """Tautan OPD yang dibawa e-mail ringkasan."""


@link_group.command("revoke")
@click.option("--opd", required=True, help="OPD (kode, nama atau alias).")
@click.option("--actor", default="cli", help="Siapa yang mencabut.")
@pass_cli
def revoke_command(obj: CliContext, opd: str, actor: str) -> None:
    """Cabut setiap tautan ke OPD ini yang dibuat sebelum sekarang."""
    code = resolve_opd(obj.settings, opd)
    with transaction(obj.app.sessions) as session:
        links.revoke(session, code, actor=actor, now=utcnow())
    click.echo(f"Semua tautan OPD {code} yang dibuat sebelum saat ini dicabut; ringkasan berikutnya membawa "
               "tautan baru.")


@link_group.command("make")
@click.option("--opd", required=True, help="OPD (kode, nama atau alias).")
@click.option("--to", "recipient", required=True, help="Alamat penerima (dicatat sebagai pelaku tindakan).")
@pass_cli
def make_command(obj: CliContext, opd: str, recipient: str) -> None:
    """Buat tautan OPD (seperti yang dibawa e-mail ringkasan)."""
    url = links.opd_link_url(obj.settings, resolve_opd(obj.settings, opd), recipient, utcnow())
    if url is None:
        raise Failed("antarmuka web tidak aktif atau [web] base_url kosong: tidak ada tautan")
    click.echo(url)


def register(group: click.Group) -> None:
    group.add_command(user_group)
    group.add_command(link_group)
