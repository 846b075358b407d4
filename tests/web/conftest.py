from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from monitor.bootstrap import App
from monitor.web import create_web_app
from tests.web.world import PASSWORD, World, build_world

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def world(web_app: App) -> World:
    return build_world(web_app)


def client_for(app: App) -> TestClient:
    return TestClient(create_web_app(app), base_url="http://pantau.test", follow_redirects=False)


@pytest.fixture
def anonymous(world: World) -> Iterator[TestClient]:
    with client_for(world.app) as client:
        yield client


def csrf_of(client: TestClient, path: str = "/masuk") -> str:
    match = CSRF.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def logged_in(app: App, name: str, password: str = PASSWORD) -> TestClient:
    client = client_for(app)
    response = client.post("/masuk", data={"name": name, "password": password, "csrf": csrf_of(client)})
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def staff(world: World) -> Iterator[TestClient]:
    with logged_in(world.app, "rina") as client:
        yield client


@pytest.fixture
def opd_user(world: World) -> Iterator[TestClient]:
    with logged_in(world.app, "ppk.pupr") as client:
        yield client
