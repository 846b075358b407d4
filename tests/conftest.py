"""Shared fixtures. Database tests take the ``engine`` fixture and run on SQLite and, when
``PANTAU_TEST_POSTGRES_URL`` names a server (``.ci/run`` starts one), on PostgreSQL too: each
test gets a fresh database cloned from a migrated template."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from monitor import db
from monitor.bootstrap import App, bootstrap
from monitor.settings import Settings, load_settings

POSTGRES_URL = os.environ.get("PANTAU_TEST_POSTGRES_URL")
ENGINES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
_TEMPLATE = f"pantau_tpl_{os.getpid()}"


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    """A migrated template database, cloned for each test (fast: no migrations per test)."""
    if not POSTGRES_URL:
        yield None
        return
    admin = db.make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{_TEMPLATE}"'))
        conn.execute(text(f'CREATE DATABASE "{_TEMPLATE}"'))
    url = make_url(db.normalize_url(POSTGRES_URL)).set(database=_TEMPLATE)
    engine = db.make_engine(url.render_as_string(hide_password=False))
    db.upgrade(engine)
    engine.dispose()
    yield _TEMPLATE
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{_TEMPLATE}" WITH (FORCE)'))
    admin.dispose()


def _postgres_clone(template: str) -> tuple[str, str]:
    assert POSTGRES_URL
    name = f"pantau_t_{uuid.uuid4().hex[:12]}"
    admin = db.make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    url = make_url(db.normalize_url(POSTGRES_URL)).set(database=name)
    return name, url.render_as_string(hide_password=False)


def _postgres_drop(name: str) -> None:
    assert POSTGRES_URL
    admin = db.make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_template: str | None) -> Iterator[str]:
    """A URL to an empty, migrated database on each engine under test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'pantau.db'}"
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        yield url
        return
    assert postgres_template is not None
    name, url = _postgres_clone(postgres_template)
    yield url
    _postgres_drop(name)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


OPD_DIRECTORY = """
[[opd]]
code = "PUPR"
name = "Dinas Pekerjaan Umum dan Penataan Ruang"
aliases = ["Dinas PUPR", "DPUPR"]
email = ["pupr@jambikota.go.id"]
cc = ["ppk.pupr@jambikota.go.id"]

[[opd]]
code = "PERKIM"
name = "Dinas Perumahan dan Kawasan Permukiman"
aliases = ["Dinas Perkim"]
email = ["perkim@jambikota.go.id"]

[[opd]]
code = "DISDIK"
name = "Dinas Pendidikan"
aliases = ["Disdik"]
email = []
"""


def write_settings(tmp_path: Path, database_url: str, opd: str = OPD_DIRECTORY) -> Settings:
    """The test configuration written as ``pantau.toml`` (the CLI tests read the file) with this OPD
    directory (TOML ``[[opd]]`` tables), and loaded."""
    config = tmp_path / "pantau.toml"
    config.write_text(
        f'''
timezone = "Asia/Jakarta"

[database]
url = "{database_url}"

[alerts]
transport = "file"
outbox_dir = "outbox"
bpkad = ["bpkad@jambikota.go.id"]
fallback = ["pantau-admin@jambikota.go.id"]

{opd}''',
        encoding="utf-8",
    )
    return load_settings(config, environ={}, required=True)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for a test: a small OPD directory and the per-test database."""
    return write_settings(tmp_path, database_url)


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Iterator[App]:
    app = bootstrap(settings, engine=engine, migrate=False)
    yield app


WEB_BASE_URL = "http://pantau.test"


@pytest.fixture
def web_settings(settings: Settings, tmp_path: Path) -> Settings:
    """The test settings with the web interface on: a signing key in a file, a base URL."""
    (tmp_path / "web-secret.key").write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")
    config = Path(settings.source)
    config.write_text(
        config.read_text(encoding="utf-8")
        + f'\n[web]\nenabled = true\nbase_url = "{WEB_BASE_URL}"\nsecret_key_file = "web-secret.key"\n'
        + "login_max_failures = 5\npage_size = 5\n",
        encoding="utf-8",
    )
    return load_settings(config, environ={}, required=True)


@pytest.fixture
def web_app(web_settings: Settings, engine: Engine) -> Iterator[App]:
    app = bootstrap(web_settings, engine=engine, migrate=False)
    yield app
    app.dispose()
