"""The OPD digests carry a signed link to that OPD's page; without the web interface or a base_url, none."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.digest import build_digests
from alerts.view import digest_context
from monitor.access import links
from monitor.bootstrap import App
from tests.conftest import WEB_BASE_URL
from tests.web.world import build_world


def contexts(app: App) -> dict[str, dict[str, object]]:
    now = datetime.now(UTC)
    return {d.recipient: digest_context(d, app.settings, now) for d in build_digests(app, now)}


def test_each_opd_digest_links_its_own_page(web_app: App) -> None:
    build_world(web_app)
    found = contexts(web_app)
    [pupr] = found["pupr@jambikota.go.id"]["opd_links"]  # type: ignore[misc]
    assert pupr["url"].startswith(f"{WEB_BASE_URL}/tautan/") and "berlaku sampai" in pupr["label"]
    with web_app.sessions() as session:
        link = links.read_token(session, web_app.settings, pupr["url"].rsplit("/", 1)[1], datetime.now(UTC))
    assert (link.opd, link.recipient) == ("PUPR", "pupr@jambikota.go.id")
    assert found["bpkad@jambikota.go.id"]["opd_links"] == []  # the city digest: staff log in


def test_no_link_without_the_web_interface(app: App) -> None:
    build_world(app)
    assert all(context["opd_links"] == [] for context in contexts(app).values())
