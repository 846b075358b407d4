from __future__ import annotations

from pathlib import Path

import pytest

from monitor.settings import SettingsError, load_settings


def write(tmp_path: Path, text: str, name: str = "pantau.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "absent.toml", environ={})
    assert settings.timezone == "Asia/Jakarta"
    assert settings.deadline.working_days == 14


def test_a_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="berkas tidak ditemukan"):
        load_settings(tmp_path / "absent.toml", environ={}, required=True)


def test_unknown_key_names_the_key_and_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite:///x.db"\nuser = "x"\n')
    with pytest.raises(SettingsError) as err:
        load_settings(path, environ={})
    assert "database.user: kunci tidak dikenal" in str(err.value)
    assert str(path) in str(err.value)


def test_wrong_type_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[http]\nport = "many"\n')
    with pytest.raises(SettingsError, match=r"http\.port"):
        load_settings(path, environ={})


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite:///x.db"\n[http]\nport = 9000\n')
    settings = load_settings(
        path,
        environ={"PANTAU_DATABASE_URL": "postgresql://u@h/db", "PANTAU_HTTP_PORT": "9100",
                 "PANTAU_TEST_POSTGRES_URL": "ignored"},
    )
    assert settings.database.url == "postgresql://u@h/db"
    assert settings.http.port == 9100


def test_unknown_environment_setting_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="PANTAU_DATABASE_USER"):
        load_settings(None, environ={"PANTAU_DATABASE_USER": "x"})


def test_opd_directory_from_a_separate_file(tmp_path: Path) -> None:
    write(tmp_path, '[[opd]]\ncode = "PUPR"\nname = "Dinas PUPR"\nemail = ["a@b"]\n', "opd.toml")
    path = write(tmp_path, 'opd_file = "opd.toml"\n[[opd]]\ncode = "RSUD"\nname = "RSUD Abdul Manap"\n')
    settings = load_settings(path, environ={})
    assert [o.code for o in settings.opd] == ["RSUD", "PUPR"]


def test_a_missing_opd_file_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, 'opd_file = "nope.toml"\n')
    with pytest.raises(SettingsError, match="opd_file"):
        load_settings(path, environ={})


def test_the_smtp_ca_file_is_relative_to_the_config_and_must_exist(tmp_path: Path) -> None:
    path = write(tmp_path, '[smtp]\nca_file = "certs/ca.pem"\n')
    with pytest.raises(SettingsError, match=r"smtp\.ca_file.*certs/ca\.pem"):
        load_settings(path, environ={})
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    assert load_settings(path, environ={}).smtp.ca_file == tmp_path / "certs" / "ca.pem"


def test_an_alias_naming_two_opds_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[opd]]\ncode = "A"\nname = "Dinas A"\naliases = ["X"]\n'
        '[[opd]]\ncode = "B"\nname = "Dinas B"\naliases = ["x"]\n',
    )
    with pytest.raises(SettingsError, match="menunjuk ke dua OPD, A dan B"):
        load_settings(path, environ={})


def test_relative_sqlite_path_is_relative_to_the_config(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite:///data/p.db"\n')
    assert load_settings(path, environ={}).database.url == f"sqlite:///{tmp_path}/data/p.db"


def test_smtp_password_only_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[smtp]\npassword = "secret"\n')
    with pytest.raises(SettingsError, match=r"smtp\.password: kunci tidak dikenal"):
        load_settings(path, environ={})
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    settings = load_settings(write(tmp_path, '[smtp]\nusername = "pantau"\n'), environ={})
    assert settings.smtp_password({"PANTAU_SMTP_PASSWORD_FILE": str(secret)}) == "s3cret"


def test_the_web_needs_its_signing_key_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[web]\nenabled = true\n")
    with pytest.raises(SettingsError, match=r"web\.secret_key_file: wajib diisi bila antarmuka web aktif"):
        load_settings(path, environ={})
    path = write(tmp_path, '[web]\nenabled = true\nsecret_key_file = "absent.key"\n')
    with pytest.raises(SettingsError, match=r"web\.secret_key_file: .*absent\.key tidak dapat dibaca"):
        load_settings(path, environ={})


def test_a_short_signing_key_is_refused_and_never_shown(tmp_path: Path) -> None:
    path = write(tmp_path, '[web]\nenabled = true\nsecret_key_file = "web.key"\n')
    (tmp_path / "web.key").write_text("k" * 31 + "\n", encoding="utf-8")
    too_short = r"web\.secret_key_file: .* terlalu pendek \(31 karakter; paling sedikit 32\)"
    with pytest.raises(SettingsError, match=too_short) as err:
        load_settings(path, environ={})
    assert "k" * 31 not in str(err.value)
    (tmp_path / "web.key").write_text("k" * 32, encoding="utf-8")
    settings = load_settings(path, environ={})
    assert settings.web_secret_key() == b"k" * 32
    assert "k" * 32 not in repr(settings)


def test_web_base_url_and_the_old_alerts_key(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[web]\nbase_url = "https://pantau.example/"\n'), environ={})
    assert settings.web.base_url == "https://pantau.example" and settings.web.secure_cookies
    with pytest.raises(SettingsError, match=r"web\.base_url: harus diawali http:// atau https://"):
        load_settings(write(tmp_path, '[web]\nbase_url = "pantau.example"\n'), environ={})
    with pytest.raises(SettingsError, match=r"alerts: .*sudah pindah ke \[web\] base_url"):
        load_settings(write(tmp_path, '[alerts]\nbase_url = "https://x"\n'), environ={})


def test_trusted_proxies_must_be_addresses(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[web]\ntrusted_proxies = ["127.0.0.1", "10.0.0.0/8", "::1"]\n'),
                             environ={})
    assert settings.web.trusted_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")
    with pytest.raises(SettingsError, match=r"web\.trusted_proxies: 'proxy\.lokal' bukan alamat IP atau jaringan"):
        load_settings(write(tmp_path, '[web]\ntrusted_proxies = ["127.0.0.1", "proxy.lokal"]\n'), environ={})
    with pytest.raises(SettingsError, match=r"web\.trusted_proxies: harus daftar"):
        load_settings(write(tmp_path, '[web]\ntrusted_proxies = 5\n'), environ={})


def _with_login(tmp_path: Path) -> Path:
    return write(tmp_path, '[smtp]\nusername = "pantau"\n')


def test_an_unreadable_password_file_names_the_variable(tmp_path: Path) -> None:
    settings = load_settings(_with_login(tmp_path), environ={})
    with pytest.raises(SettingsError, match=r"PANTAU_SMTP_PASSWORD_FILE: .*/nonexistent tidak dapat dibaca") as err:
        settings.smtp_password({"PANTAU_SMTP_PASSWORD_FILE": "/nonexistent"})
    assert "environment" in str(err.value)


def test_a_username_without_any_password_is_an_error(tmp_path: Path) -> None:
    settings = load_settings(_with_login(tmp_path), environ={})
    with pytest.raises(SettingsError) as err:
        settings.smtp_password({})
    message = str(err.value)
    assert "smtp.username" in message and str(tmp_path / "pantau.toml") in message
    assert "PANTAU_SMTP_PASSWORD " in message and "PANTAU_SMTP_PASSWORD_FILE" in message


@pytest.mark.parametrize("kind", ["variable", "file"])
def test_an_empty_password_is_never_used(tmp_path: Path, kind: str) -> None:
    settings = load_settings(_with_login(tmp_path), environ={})
    empty = tmp_path / "pw"
    empty.write_text("  \n")
    environ = {"PANTAU_SMTP_PASSWORD": ""} if kind == "variable" else {"PANTAU_SMTP_PASSWORD_FILE": str(empty)}
    with pytest.raises(SettingsError, match="kata sandi SMTP kosong"):
        settings.smtp_password(environ)


def test_without_a_username_there_is_no_login_and_no_password(tmp_path: Path) -> None:
    settings = load_settings(None, environ={})
    assert settings.smtp_password({"PANTAU_SMTP_PASSWORD": "rahasia"}) == ""
    assert settings.smtp_password({}) == ""
    assert load_settings(_with_login(tmp_path), environ={}).smtp_password({"PANTAU_SMTP_PASSWORD": "x"}) == "x"


def test_relative_paths_are_remembered_as_written(tmp_path: Path) -> None:
    write(tmp_path, "", "opd.toml")
    path = write(tmp_path, 'opd_file = "opd.toml"\n[database]\nurl = "sqlite:///../p.db"\n'
                           f'[alerts]\noutbox_dir = "{tmp_path}/out"\n')
    settings = load_settings(path, environ={})
    assert settings.folder == tmp_path
    assert settings.opd_file == tmp_path / "opd.toml"
    assert settings.relative_paths == {
        "opd_file": "opd.toml", "database.url": "sqlite:///../p.db", "scheduler.inbox_dir": "var/inbox",
        "report.output_dir": "var/reports",
    }


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[http]\nport = "many"\n', "http.port: harus bilangan bulat"),
        ("[http]\nport = 65536\n", "http.port: paling besar 65535"),
        ('[logging]\nformat = "xml"\n', "logging.format: harus salah satu dari 'text' atau 'json'"),
        ('timezone = "Asia/Jakrta"\n', "timezone: zona waktu 'Asia/Jakrta' tidak dikenal"),
        ('[alerts]\nbpkad = "bpkad@jambikota.go.id"\n', 'alerts.bpkad: harus daftar, mis. ["a", "b"]'),
        ('[[opd]]\nname = "Dinas PUPR"\n', "opd.0.code: wajib diisi"),
        ("database = 3\n", "database: harus tabel"),
    ],
)
def test_a_wrong_value_is_explained_in_indonesian(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(write(tmp_path, text), environ={})
    assert str(err.value) == f"{tmp_path / 'pantau.toml'}: {said}"


def test_the_boundary_value_itself_is_accepted(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "[http]\nport = 65535\n"), environ={}).http.port == 65535
