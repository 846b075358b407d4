"""A demo year built once per session (building is fast, but many tests read the same year)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.demo import DemoYear, build_year, write_year

SEEDS = (2026, 7, 31337)


@pytest.fixture(scope="session")
def year() -> DemoYear:
    return build_year()


@pytest.fixture(scope="session", params=SEEDS, ids=lambda seed: f"seed{seed}")
def seeded_year(request: pytest.FixtureRequest) -> DemoYear:
    return build_year(contracts=800, seed=request.param)


@pytest.fixture(scope="session")
def written(year: DemoYear, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The default year written in the default ("auto") format."""
    return write_year(year, tmp_path_factory.mktemp("demo"))
