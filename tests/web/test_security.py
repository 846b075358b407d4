"""Refusals: another OPD's data, tampered, expired and revoked links, POSTs without a CSRF token, a
guessed password, an OPD reaching a staff action. Each answers a page saying why, and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from monitor.access import links
from monitor.bootstrap import App
from monitor.db import transaction
from monitor.models import Finding, FindingEvent, LoginFailure, MatchDecision, MatchLink, MatchProposal, Silence
from tests.web.conftest import client_for, csrf_of, logged_in
from tests.web.world import FREE_REGISTRATION, PASSWORD, World


def state(app: App) -> tuple[Any, ...]:
    """Everything an action could change."""
    with app.sessions() as session:
        return (
            tuple(session.execute(select(Finding.id, Finding.status, Finding.ack_note).order_by(Finding.id)).all()),
            *(session.execute(select(func.count()).select_from(model)).scalar_one()
              for model in (FindingEvent, MatchDecision, MatchLink, MatchProposal, Silence)),
        )


@pytest.fixture
def unchanged(world: World) -> Iterator[None]:
    before = state(world.app)
    yield
    assert state(world.app) == before


def refused(response: Any, *words: str) -> None:
    assert response.status_code == 403, (response.status_code, response.text[:300])
    assert "Akses ditolak" in response.text
    for word in words:
        assert word in response.text
    assert "SPK-PUPR" not in response.text and "HYPERLINK" not in response.text  # never data


def test_an_opd_sees_only_its_own_opd(opd_user: TestClient, world: World, unchanged: None) -> None:
    refused(opd_user.get("/opd/PERKIM"), "hanya dapat melihat data OPD PUPR")
    refused(opd_user.get("/opd/perkim/findings.csv"))
    refused(opd_user.get("/opd/PERKIM/findings.xlsx"))
    refused(opd_user.get(f"/temuan/{world.perkim_finding}"))
    refused(opd_user.get("/temuan/findings.csv"))


def test_an_opd_cannot_reach_staff_pages_or_actions(opd_user: TestClient, world: World, unchanged: None) -> None:
    token = csrf_of(opd_user, f"/temuan/{world.pupr_finding}")
    for path in ("/kota", "/temuan", "/tinjau"):
        refused(opd_user.get(path), "hanya untuk petugas")
    refused(opd_user.post(f"/temuan/{world.pupr_finding}/bungkam",
                          data={"csrf": token, "until": "2026-12-31", "reason": "x"}), "hanya untuk petugas")
    refused(opd_user.post("/tinjau/usulan/1", data={"csrf": token, "decision": "confirm"}))
    refused(opd_user.post(f"/tinjau/ganda/{world.pupr_finding}", data={"csrf": token, "opd": "PUPR",
                                                                      "nomor_kontrak": "x"}))
    # Acting for another OPD.
    refused(opd_user.post(f"/temuan/{world.perkim_finding}/akui", data={"csrf": token, "note": "x"}))


def test_staff_do_not_act_in_an_opds_name(staff: TestClient, world: World, unchanged: None) -> None:
    token = csrf_of(staff, f"/temuan/{world.pupr_finding}")
    refused(staff.post(f"/temuan/{world.pupr_finding}/akui", data={"csrf": token, "note": "x"}),
            "dilakukan oleh OPD")
    refused(staff.post(f"/temuan/{world.pupr_finding}/usul", data={"csrf": token,
                                                                   "nomor_registrasi": FREE_REGISTRATION}))


def test_every_post_needs_the_sessions_csrf_token(opd_user: TestClient, staff: TestClient, world: World,
                                                  unchanged: None) -> None:
    posts = [
        (opd_user, f"/temuan/{world.pupr_finding}/akui", {"note": "x"}),
        (opd_user, f"/temuan/{world.pupr_finding}/usul", {"nomor_registrasi": FREE_REGISTRATION}),
        (staff, f"/temuan/{world.pupr_finding}/bungkam", {"until": "2026-12-31", "reason": "x"}),
        (staff, "/tinjau/usulan/1", {"decision": "confirm"}),
        (staff, f"/tinjau/ganda/{world.pupr_finding}", {"opd": "PUPR", "nomor_kontrak": "x"}),
        (staff, "/keluar", {}),
    ]
    other = client_for(world.app)
    foreign = csrf_of(other)  # a valid token, of another session
    for client, path, data in posts:
        for token in (None, "", foreign):
            sent = data if token is None else {**data, "csrf": token}
            refused(client.post(path, data=sent), "CSRF")
    anonymous = client_for(world.app)
    refused(anonymous.post("/masuk", data={"name": "rina", "password": PASSWORD}), "CSRF")
    assert staff.get("/kota").status_code == 200  # the refused logout did not log out


def test_a_wrong_password_ten_times_is_refused_and_then_throttled(world: World, unchanged: None) -> None:
    client = client_for(world.app)
    answers = []
    for attempt in range(10):
        answers.append(client.post("/masuk", data={"name": "rina", "password": f"tebakan-{attempt}",
                                                   "csrf": csrf_of(client)}))
    assert all(a.status_code == 401 for a in answers)
    assert "Nama akun atau kata sandi salah" in answers[0].text
    assert "Terlalu banyak percobaan" in answers[-1].text
    right = client.post("/masuk", data={"name": "rina", "password": PASSWORD, "csrf": csrf_of(client)})
    assert right.status_code == 401 and "Terlalu banyak percobaan" in right.text
    assert client.get("/kota").status_code == 303  # still not logged in
    with world.app.sessions() as session:
        assert session.execute(select(func.count()).select_from(LoginFailure)).scalar_one() == 5


def link_token(app: App, opd: str = "PUPR", now: datetime | None = None) -> str:
    url = links.opd_link_url(app.settings, opd, "pupr@jambikota.go.id", now or datetime.now(UTC))
    assert url is not None
    return url.rsplit("/", 1)[1]


def test_a_link_opens_its_opd_and_nothing_else(world: World, unchanged: None) -> None:
    client = client_for(world.app)
    entered = client.get(f"/tautan/{link_token(world.app)}")
    assert entered.status_code == 303 and entered.headers["location"] == "/opd/PUPR"
    page = client.get("/opd/PUPR")
    assert page.status_code == 200 and "tautan OPD PUPR (pupr@jambikota.go.id)" in page.text
    refused(client.get("/opd/PERKIM"))
    refused(client.get("/kota"))


def test_tampered_expired_and_revoked_links_are_refused(world: World, unchanged: None) -> None:
    client = client_for(world.app)
    token = link_token(world.app)
    payload, signature = token.rsplit(".", 1)
    refused(client.get(f"/tautan/{payload}.{signature[::-1]}"), "tidak sah")
    perkim_payload = link_token(world.app, "PERKIM").split(".", 1)[0]
    refused(client.get(f"/tautan/{perkim_payload}.{token.split('.', 1)[1]}"), "tidak sah")
    old = link_token(world.app, now=datetime.now(UTC) - timedelta(days=31))
    refused(client.get(f"/tautan/{old}"), "kedaluwarsa")
    # Opened, then revoked: the open session loses it at the next request.
    assert client.get(f"/tautan/{token}").status_code == 303
    assert client.get("/opd/PUPR").status_code == 200
    with transaction(world.app.sessions) as session:
        links.revoke(session, "PUPR", actor="admin", now=datetime.now(UTC) + timedelta(seconds=1))
    refused(client.get("/opd/PUPR"), "dicabut")
    refused(client.get(f"/tautan/{token}"), "dicabut")
    assert client.get("/opd/PUPR").status_code == 303  # the session forgot the link: log in


def test_a_disabled_account_is_logged_out_at_once(world: World) -> None:
    from monitor.access import accounts

    client = logged_in(world.app, "rina")
    assert client.get("/kota").status_code == 200
    with transaction(world.app.sessions) as session:
        accounts.disable_user(session, "rina")
    assert client.get("/kota").status_code == 303


def test_anonymous_requests_go_to_the_login_and_never_elsewhere(anonymous: TestClient) -> None:
    response = anonymous.get("/opd/PUPR?page=2")
    assert response.status_code == 303 and response.headers["location"] == "/masuk?next=%2Fopd%2FPUPR%3Fpage%3D2"
    logged = anonymous.post("/masuk", data={"name": "rina", "password": PASSWORD, "csrf": csrf_of(anonymous),
                                            "next": "//evil.example/x"})
    assert logged.status_code == 303 and logged.headers["location"] == "/kota"


def test_cookies_are_secure_behind_https(web_app: App, world: World) -> None:
    settings = web_app.settings.model_copy(update={"web": web_app.settings.web.model_copy(
        update={"base_url": "https://pantau.jambikota.go.id"})})
    app = App(settings=settings, engine=web_app.engine, sessions=web_app.sessions)
    client = client_for(app)
    response = client.get("/masuk")
    assert "secure" in response.headers["set-cookie"].lower()
