"""Accounts and logins on both engines: Argon2 hashes, throttling per account and per address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from monitor.access import accounts
from monitor.access.accounts import AccountError, LoginRefused
from monitor.bootstrap import App
from monitor.cli import cli
from monitor.db import transaction
from monitor.models import WebUser

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
PASSWORD = "kata-sandi-rahasia"


def login(app: App, name: str, password: str, address: str = "10.0.0.1", now: datetime = NOW) -> WebUser | str:
    """The account, or the refusal's message; the transaction commits either way (as the web does)."""
    with transaction(app.sessions) as session:
        try:
            return accounts.authenticate(session, app.settings, name, password, address=address, now=now)
        except LoginRefused as refused:
            return refused.message


def add(app: App, name: str = "rina", role: str = "bpkad", opd: str | None = None) -> None:
    with transaction(app.sessions) as session:
        accounts.add_user(session, app.settings, name, role, PASSWORD, opd=opd, now=NOW)


def test_the_password_is_stored_as_an_argon2_hash_and_opens_the_account(web_app: App) -> None:
    add(web_app)
    with web_app.sessions() as session:
        user = session.scalars(select(WebUser)).one()
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert isinstance(login(web_app, "rina", PASSWORD), WebUser)
    assert login(web_app, "rina", PASSWORD + "x") == "Nama akun atau kata sandi salah."
    assert login(web_app, "siapa", PASSWORD) == "Nama akun atau kata sandi salah."


def test_roles_and_the_opd_of_an_opd_account(web_app: App) -> None:
    add(web_app, "ppk.pupr", "opd", "Dinas PUPR")
    with web_app.sessions() as session:
        assert session.scalars(select(WebUser.opd)).one() == "PUPR"
    for role, opd, message in (("opd", None, "harus menyebut OPD"), ("bpkad", "PUPR", "hanya akun berperan opd"),
                               ("opd", "Dinas Rahasia", "tidak ada di direktori"), ("raja", None, "tidak dikenal")):
        with pytest.raises(AccountError, match=message), transaction(web_app.sessions) as session:
            accounts.add_user(session, web_app.settings, "x", role, PASSWORD, opd=opd, now=NOW)
    with pytest.raises(AccountError, match="minimal 10"), transaction(web_app.sessions) as session:
        accounts.add_user(session, web_app.settings, "y", "monev", "pendek", opd=None, now=NOW)


def test_failures_throttle_the_account_even_with_the_right_password(web_app: App) -> None:
    add(web_app)
    for attempt in range(4):
        assert login(web_app, "rina", f"salah-{attempt}", address=f"10.0.0.{attempt}") == \
            "Nama akun atau kata sandi salah."
    assert isinstance(login(web_app, "rina", PASSWORD), WebUser)  # 4 < 5: still open; success clears them
    for attempt in range(5):
        login(web_app, "rina", f"salah-{attempt}", address=f"10.0.1.{attempt}")
    refused = login(web_app, "rina", PASSWORD, address="10.9.9.9")
    assert isinstance(refused, str) and refused.startswith("Terlalu banyak percobaan")
    # The window passes: the account opens again.
    assert isinstance(login(web_app, "rina", PASSWORD, now=NOW + timedelta(minutes=16)), WebUser)


def test_failures_throttle_the_address_across_accounts(web_app: App) -> None:
    add(web_app)
    for attempt in range(5):
        login(web_app, f"tebakan{attempt}", PASSWORD, address="203.0.113.7")
    refused = login(web_app, "rina", PASSWORD, address="203.0.113.7")
    assert isinstance(refused, str) and refused.startswith("Terlalu banyak")
    assert isinstance(login(web_app, "rina", PASSWORD, address="203.0.113.8"), WebUser)


def test_a_disabled_account_or_a_new_password_ends_the_sessions(web_app: App) -> None:
    add(web_app)
    with web_app.sessions() as session:
        user = session.scalars(select(WebUser)).one()
        version = accounts.session_version(user)
        assert accounts.principal_of(session, user.id, version) is not None
    with transaction(web_app.sessions) as session:
        accounts.set_password(session, "rina", "kata-sandi-baru-1", now=NOW + timedelta(hours=1))
    with web_app.sessions() as session:
        assert accounts.principal_of(session, user.id, version) is None
    with transaction(web_app.sessions) as session:
        accounts.disable_user(session, "rina")
    assert login(web_app, "rina", "kata-sandi-baru-1") == "Akun ini dinonaktifkan. Hubungi administrator Pantau."


def test_the_user_commands(web_app: App) -> None:
    def pantau(*args: str, stdin: str = "") -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["--config", web_app.settings.source, *args], input=stdin)
        return result.exit_code, result.output

    assert pantau("user", "add", "ppk", "--role", "opd", "--opd", "pupr", "--password-stdin",
                  stdin=PASSWORD + "\n") == (0, "Akun ppk (opd untuk OPD PUPR) dibuat.\n")
    code, output = pantau("user", "add", "ppk", "--role", "opd", "--opd", "PUPR", "--password-stdin",
                          stdin=PASSWORD + "\n")
    assert code == 1 and "sudah ada" in output
    assert pantau("user", "passwd", "ppk", "--password-stdin", stdin="kata-sandi-kedua\n")[0] == 0
    assert pantau("user", "disable", "ppk")[0] == 0
    code, output = pantau("user", "disable", "nobody")
    assert code == 1 and "tidak ada" in output
    with web_app.sessions() as session:
        assert session.scalars(select(WebUser.disabled)).one() is True


def test_the_demo_admin_exists_on_the_demo_database_only(web_app: App, tmp_path: object) -> None:
    from pathlib import Path

    refused = CliRunner().invoke(cli, ["--config", web_app.settings.source, "user", "demo-admin"])
    assert refused.exit_code == 1 and "hanya dibuat pada basis data demo" in refused.output
    demo = Path(web_app.settings.source).with_name("pantau.demo.toml")
    demo.write_text(Path(web_app.settings.source).read_text(encoding="utf-8"), encoding="utf-8")
    passwords = []
    for _ in range(2):  # a second `make run` sets a new password
        made = CliRunner().invoke(cli, ["--config", str(demo), "user", "demo-admin"])
        assert made.exit_code == 0 and "masuk sebagai demo.admin" in made.output
        passwords.append(made.output.split("kata sandi ", 1)[1].split()[0])
    assert passwords[0] != passwords[1]
    assert login(web_app, "demo.admin", passwords[0]) == "Nama akun atau kata sandi salah."
    opened = login(web_app, "demo.admin", passwords[1])
    assert isinstance(opened, WebUser) and opened.role == "admin"
