"""The pages' cache: computed once per state of the data, dropped when a check run, an action or an import
lands."""

from __future__ import annotations

from starlette.testclient import TestClient

from monitor.web.queries import PerVersion
from tests.web.conftest import csrf_of
from tests.web.world import World


def test_values_are_computed_once_per_version_and_dropped_with_it() -> None:
    cache, calls = PerVersion(size=2), []

    def compute(value: str) -> str:
        calls.append(value)
        return value

    assert cache.get((1, 0, 0), "a", lambda: compute("a1")) == "a1"
    assert cache.get((1, 0, 0), "a", lambda: compute("again")) == "a1"
    assert cache.get((1, 1, 0), "a", lambda: compute("a2")) == "a2"  # an action landed
    cache.get((1, 1, 0), "b", lambda: compute("b"))
    cache.get((1, 1, 0), "a", lambda: compute("not this"))  # a is now the most recently used
    cache.get((1, 1, 0), "c", lambda: compute("c"))  # over the size: b, the least recently used, goes
    assert cache.get((1, 1, 0), "a", lambda: compute("not this either")) == "a2"
    assert cache.get((1, 1, 0), "b", lambda: compute("b again")) == "b again"
    assert calls == ["a1", "a2", "b", "c", "b again"]


def test_an_acknowledgement_shows_at_once_on_the_cached_pages(opd_user: TestClient, staff: TestClient,
                                                              world: World) -> None:
    link = f'href="/temuan/{world.pupr_finding}"'
    assert link in staff.get("/opd/PUPR?status=open&rule=jakon.unregistered").text
    city = staff.get("/kota").text
    token = csrf_of(opd_user, f"/temuan/{world.pupr_finding}")
    opd_user.post(f"/temuan/{world.pupr_finding}/akui", data={"csrf": token, "note": "sedang didaftarkan"})
    assert link not in staff.get("/opd/PUPR?status=open&rule=jakon.unregistered").text
    assert link in staff.get("/opd/PUPR?status=acknowledged").text
    assert staff.get("/kota").text == city  # acknowledged is still active: the same figures
