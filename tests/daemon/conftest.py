"""Fixtures for the daemon's tests (helpers in daemon_support.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from daemon_support import DaemonProcess, Seeded, seed_database, start_daemon

from monitor.bootstrap import App


@pytest.fixture
def seeded(app: App) -> Seeded:
    return seed_database(app)


@pytest.fixture
def daemons() -> Iterator[Callable[..., DaemonProcess]]:
    """Start daemons with :func:`start_daemon`; any still running at the end are killed."""
    started: list[DaemonProcess] = []

    def start(config: Path, *args: str, **kwargs: object) -> DaemonProcess:
        daemon = start_daemon(config, *args, **kwargs)  # type: ignore[arg-type]
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.stop()
