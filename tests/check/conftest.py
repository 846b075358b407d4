"""Fixtures for the check engine tests (helpers live in ``helpers.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.bootstrap import App
from tests.check.helpers import Script, StatementLog


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def statements(app: App) -> Iterator[StatementLog]:
    log = StatementLog(app.engine)
    yield log
    log.close()
