"""Fixtures for the alerts tests (helpers in alerts_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alerts_support import SmtpServer, World

from monitor.bootstrap import App


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def world(app: App, smtp_server: SmtpServer) -> World:
    """The test app with routes and escalation configured, delivering to the loopback SMTP server."""
    w = World(app=app, smtp=smtp_server)
    w.configure(
        routes={"agreement.*": ("kerjasama@jambikota.go.id",)},
        escalation=("sekda@jambikota.go.id", "inspektorat@jambikota.go.id"),
    )
    return w
