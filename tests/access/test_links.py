"""OPD links: signed, with a lifetime, revocable per OPD."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from monitor.access import links
from monitor.access.links import LinkRefused
from monitor.bootstrap import App
from monitor.cli import cli
from monitor.db import transaction
from tests.conftest import WEB_BASE_URL

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def read(app: App, token: str, now: datetime) -> links.OpdLink:
    with app.sessions() as session:
        return links.read_token(session, app.settings, token, now)


def token_of(app: App, now: datetime = NOW, opd: str = "PUPR") -> str:
    url = links.opd_link_url(app.settings, opd, "pupr@jambikota.go.id", now)
    assert url is not None and url.startswith(WEB_BASE_URL + links.LINK_PATH)
    return url.rsplit("/", 1)[1]


def test_a_link_opens_its_opd_for_link_days(web_app: App) -> None:
    token = token_of(web_app)
    link = read(web_app, token, NOW + timedelta(days=30))
    assert (link.opd, link.recipient) == ("PUPR", "pupr@jambikota.go.id")
    assert link.principal.actor == "tautan OPD PUPR (pupr@jambikota.go.id)"
    assert link.principal.can_view("PUPR") and not link.principal.can_view("PERKIM")
    with pytest.raises(LinkRefused, match="kedaluwarsa"):
        read(web_app, token, NOW + timedelta(days=30, seconds=1))


def test_a_tampered_link_is_refused(web_app: App) -> None:
    token = token_of(web_app)
    _payload, rest = token.split(".", 1)
    other = token_of(web_app, opd="PERKIM").split(".", 1)[0]
    for bad in (other + "." + rest, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x"):
        with pytest.raises(LinkRefused, match="tidak sah"):
            read(web_app, bad, NOW)


def test_revoking_voids_the_links_issued_before(web_app: App) -> None:
    before = token_of(web_app, NOW)
    other_opd = token_of(web_app, NOW, opd="PERKIM")
    with transaction(web_app.sessions) as session:
        links.revoke(session, "PUPR", actor="admin", now=NOW + timedelta(hours=1))
    with pytest.raises(LinkRefused, match="dicabut"):
        read(web_app, before, NOW + timedelta(hours=2))
    assert read(web_app, other_opd, NOW + timedelta(hours=2)).opd == "PERKIM"
    after = token_of(web_app, NOW + timedelta(hours=1, seconds=1))
    assert read(web_app, after, NOW + timedelta(hours=2)).opd == "PUPR"


def test_no_link_without_a_base_url(app: App) -> None:
    assert links.opd_link_url(app.settings, "PUPR", "pupr@jambikota.go.id", NOW) is None


def test_the_link_commands(web_app: App) -> None:
    runner = CliRunner()
    made = runner.invoke(cli, ["--config", web_app.settings.source, "link", "make", "--opd", "Dinas PUPR",
                               "--to", "pupr@jambikota.go.id"])
    assert made.exit_code == 0
    token = made.output.strip().rsplit("/", 1)[1]
    assert read(web_app, token, datetime.now(UTC)).opd == "PUPR"
    revoked = runner.invoke(cli, ["--config", web_app.settings.source, "link", "revoke", "--opd", "pupr"])
    assert revoked.exit_code == 0 and "PUPR" in revoked.output
    with pytest.raises(LinkRefused, match="dicabut"):
        read(web_app, token, datetime.now(UTC) + timedelta(seconds=2))
