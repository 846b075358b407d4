"""``pantau config check``: what the systemd unit runs before every start. It fails (exit 2, the
variable or key named, no traceback) on what would fail later, says where the installation keeps
its things, and warns when a relative path leads out of it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SMTP = '[alerts]\ntransport = "smtp"\n[smtp]\nhost = "127.0.0.1"\nusername = "pantau"\n'


def check(config: Path, **env: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "config", "check"], env=env)


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pantau.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("PANTAU_SMTP_PASSWORD", "PANTAU_SMTP_PASSWORD_FILE", "PANTAU_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def test_it_says_where_the_database_outbox_and_inbox_are(tmp_path: Path) -> None:
    result = check(write(tmp_path, '[database]\nurl = "sqlite:///data/p.db"\n[alerts]\noutbox_dir = "keluar"\n'))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"Konfigurasi {tmp_path / 'pantau.toml'} sah."
    assert f"  Basis data:    SQLite, berkas {tmp_path / 'data' / 'p.db'}" in lines
    assert f"  Outbox:        email ditulis sebagai berkas .eml ke {tmp_path / 'keluar'}" in lines
    assert any(line.startswith(f"  Inbox:         {tmp_path / 'var' / 'inbox'} ") for line in lines)
    assert result.stderr == ""


def test_without_a_file_it_says_the_defaults_are_used(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["config", "check"])
    assert result.exit_code == 0
    assert result.stdout.startswith("Tidak ada berkas konfigurasi (pantau.toml): pengaturan bawaan dipakai")
    assert f"SQLite, berkas {tmp_path / 'var' / 'pantau.db'}" in result.stdout


def test_smtp_delivery_is_described_and_the_password_hidden(tmp_path: Path) -> None:
    config = write(tmp_path, SMTP + 'port = 587\nstarttls = true\n[database]\nurl = "postgresql://u:geheim@db/p"\n')
    result = check(config, PANTAU_SMTP_PASSWORD="rahasia")
    assert result.exit_code == 0, result.output
    assert "Outbox:        antrean di basis data; email dikirim lewat SMTP 127.0.0.1:587 (STARTTLS, login pantau)" \
        in result.stdout
    assert "postgresql+psycopg://u:***@db/p" in result.stdout
    assert "rahasia" not in result.output and "geheim" not in result.output


def test_an_unreadable_password_file_is_exit_2_naming_the_variable(tmp_path: Path) -> None:
    result = check(write(tmp_path, SMTP), PANTAU_SMTP_PASSWORD_FILE="/nonexistent")
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an exception escaping
    assert result.stderr.startswith("Kesalahan konfigurasi:\n")
    assert "PANTAU_SMTP_PASSWORD_FILE" in result.stderr and "/nonexistent" in result.stderr
    assert result.stdout == ""


def test_a_username_without_a_password_is_exit_2(tmp_path: Path) -> None:
    result = check(write(tmp_path, SMTP))
    assert result.exit_code == 2
    assert "smtp.username" in result.stderr and "PANTAU_SMTP_PASSWORD" in result.stderr


def test_an_empty_password_is_exit_2(tmp_path: Path) -> None:
    assert check(write(tmp_path, SMTP), PANTAU_SMTP_PASSWORD="").exit_code == 2


def test_the_password_matters_only_when_mail_goes_through_smtp(tmp_path: Path) -> None:
    # The example configuration: a username for later, but e-mails written to files.
    config = write(tmp_path, '[alerts]\ntransport = "file"\n[smtp]\nusername = "pantau"\n')
    assert check(config, PANTAU_SMTP_PASSWORD_FILE="/nonexistent").exit_code == 0


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[scheduler.check]\ncron = "every morning"\n', "scheduler.check"),
        ('[rules."jakon.unregistered"]\ngrace_dayz = 1\n', "rules.jakon.unregistered.grace_dayz"),
        ('[calendar]\nholidays_file = "libur.toml"\n', "calendar.holidays_file"),
        ('[alerts]\ntransport = "smtp"\n[smtp]\ntls = true\nstarttls = true\n', "starttls"),
    ],
)
def test_what_would_fail_later_fails_here(tmp_path: Path, text: str, named: str) -> None:
    result = check(write(tmp_path, text))
    assert result.exit_code == 2, result.output
    assert named in result.stderr


def test_a_relative_path_out_of_the_installation_is_a_warning(tmp_path: Path) -> None:
    # The README's old example, copied to the root of a clone: ../var is beside the clone.
    clone = tmp_path / "clone"
    config = write(clone, '[database]\nurl = "sqlite:///../var/pantau.db"\n[scheduler]\ninbox_dir = "../var/inbox"\n')
    os.chdir(clone)
    result = check(config)
    assert result.exit_code == 0
    outside = f", di luar folder instalasi ({clone}); jalur relatif dihitung dari folder berkas konfigurasi"
    assert result.stderr.splitlines() == [
        f"PERINGATAN: Basis data: database.url = 'sqlite:///../var/pantau.db' menunjuk ke {tmp_path}/var/pantau.db"
        + outside,
        f"PERINGATAN: Inbox: scheduler.inbox_dir = '../var/inbox' menunjuk ke {tmp_path}/var/inbox" + outside,
    ]


def test_a_relative_path_that_stays_inside_is_not_a_warning(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    config = write(clone, '[database]\nurl = "sqlite:///data/../var/pantau.db"\n')
    os.chdir(clone)
    assert check(config).stderr == ""


def test_the_demo_configuration_in_config_writes_inside_the_clone_it_runs_from(tmp_path: Path) -> None:
    # config/pantau.demo.toml writes to ../var: out of config/, but inside the clone `make run` runs in.
    os.chdir(ROOT)
    key = tmp_path / "web-secret.key"  # `make run` writes the demo's into var/ first
    key.write_text("k" * 44, encoding="utf-8")
    result = check(ROOT / "config" / "pantau.demo.toml", PANTAU_WEB_SECRET_KEY_FILE=str(key))
    assert result.exit_code == 0
    assert "PERINGATAN" not in result.stderr
    assert f"SQLite, berkas {ROOT / 'var' / 'pantau.db'}" in result.stdout


def test_an_absolute_path_is_never_a_warning(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    config = write(tmp_path / "etc", f'[database]\nurl = "sqlite:///{elsewhere}/p.db"\n')
    assert "PERINGATAN" not in check(config).stderr


def test_a_place_this_user_cannot_write_is_a_warning(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: every folder is writable")
        result = check(write(tmp_path, '[scheduler]\ninbox_dir = "locked/inbox"\n'))
    finally:
        locked.chmod(0o700)
    assert result.exit_code == 0
    assert f"PERINGATAN: Inbox: {locked} tidak dapat ditulis oleh pengguna ini (scheduler.inbox_dir)" in result.stderr


def test_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    config = write(tmp_path, SMTP)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), "config", "check"],
        env={**env, "PANTAU_SMTP_PASSWORD_FILE": "/nonexistent", "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("Kesalahan konfigurasi:\nenvironment: PANTAU_SMTP_PASSWORD_FILE: ")
