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
    with pytest.raises(SettingsError, match="file not found"):
        load_settings(tmp_path / "absent.toml", environ={}, required=True)


def test_unknown_key_names_the_key_and_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite:///x.db"\nuser = "x"\n')
    with pytest.raises(SettingsError) as err:
        load_settings(path, environ={})
    assert "database.user: unknown key" in str(err.value)
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
    with pytest.raises(SettingsError, match="names both"):
        load_settings(path, environ={})


def test_relative_sqlite_path_is_relative_to_the_config(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite:///data/p.db"\n')
    assert load_settings(path, environ={}).database.url == f"sqlite:///{tmp_path}/data/p.db"


def test_smtp_password_only_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[smtp]\npassword = "secret"\n')
    with pytest.raises(SettingsError, match=r"smtp\.password: unknown key"):
        load_settings(path, environ={})
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    settings = load_settings(None, environ={})
    assert settings.smtp_password({"PANTAU_SMTP_PASSWORD_FILE": str(secret)}) == "s3cret"


def test_the_web_needs_its_signing_key_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[web]\nenabled = true\n")
    with pytest.raises(SettingsError, match=r"web\.secret_key_file: required"):
        load_settings(path, environ={})
    path = write(tmp_path, '[web]\nenabled = true\nsecret_key_file = "absent.key"\n')
    with pytest.raises(SettingsError, match=r"web\.secret_key_file: cannot read .*absent\.key"):
        load_settings(path, environ={})


def test_a_short_signing_key_is_refused_and_never_shown(tmp_path: Path) -> None:
    path = write(tmp_path, '[web]\nenabled = true\nsecret_key_file = "web.key"\n')
    (tmp_path / "web.key").write_text("k" * 31 + "\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"web\.secret_key_file: .* too short \(31 characters") as err:
        load_settings(path, environ={})
    assert "k" * 31 not in str(err.value)
    (tmp_path / "web.key").write_text("k" * 32, encoding="utf-8")
    settings = load_settings(path, environ={})
    assert settings.web_secret_key() == b"k" * 32
    assert "k" * 32 not in repr(settings)


def test_web_base_url_and_the_old_alerts_key(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[web]\nbase_url = "https://pantau.example/"\n'), environ={})
    assert settings.web.base_url == "https://pantau.example" and settings.web.secure_cookies
    with pytest.raises(SettingsError, match=r"web\.base_url: .*http"):
        load_settings(write(tmp_path, '[web]\nbase_url = "pantau.example"\n'), environ={})
    with pytest.raises(SettingsError, match=r"alerts: .*moved to \[web\] base_url"):
        load_settings(write(tmp_path, '[alerts]\nbase_url = "https://x"\n'), environ={})
