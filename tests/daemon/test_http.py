from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta

from daemon_support import parse_metrics, sample
from prometheus_client import CollectorRegistry
from sqlalchemy import create_engine

from monitor.bootstrap import App
from monitor.daemon.collector import DatabaseCollector
from monitor.daemon.health import readiness
from monitor.daemon.http import HttpServer
from monitor.db import make_session_factory, transaction
from monitor.models import CheckRun


def fetch(url: str, method: str = "GET") -> tuple[int, str, str]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def serve_and_fetch(app: App, *requests: tuple[str, str]) -> list[tuple[int, str, str]]:
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(app))

    async def scenario() -> list[tuple[int, str, str]]:
        server = HttpServer(app, registry)
        host, port = await server.start("127.0.0.1", 0)
        try:
            return [
                await asyncio.to_thread(fetch, f"http://{host}:{port}{path}", method) for method, path in requests
            ]
        finally:
            await server.close()

    return asyncio.run(scenario())


def add_check_run(app: App, finished: datetime, status: str = "ok") -> None:
    with transaction(app.sessions) as session:
        session.add(CheckRun(as_of=date(2026, 3, 25), started_at=finished - timedelta(seconds=5),
                             finished_at=finished, status=status))


def test_metrics_healthz_and_unknown_paths(app: App) -> None:
    metrics, health, missing, post, head = serve_and_fetch(
        app, ("GET", "/metrics"), ("GET", "/healthz"), ("GET", "/nope"), ("POST", "/metrics"), ("HEAD", "/healthz")
    )
    assert metrics[0] == 200 and metrics[1].startswith("text/plain; version=0.0.4")
    assert sample(parse_metrics(metrics[2]), "pantau_database_up") == 1
    assert health == (200, "text/plain; charset=utf-8", "ok\n")
    assert missing[0] == 404 and "/metrics" in missing[2]
    assert post[0] == 405
    assert head[:2] == (200, "text/plain; charset=utf-8") and head[2] == ""


def test_readyz_needs_a_recent_successful_check_run(app: App) -> None:
    now = datetime.now(UTC)
    [before] = serve_and_fetch(app, ("GET", "/readyz"))
    assert before == (503, "text/plain; charset=utf-8", "no successful check run yet\n")
    add_check_run(app, now - timedelta(hours=1))
    add_check_run(app, now - timedelta(minutes=5), status="failed")  # a later failure doesn't count, nor harm
    [after] = serve_and_fetch(app, ("GET", "/readyz"))
    assert after[0] == 200 and after[2].startswith("ok")


def test_readiness_boundary_is_the_configured_age(app: App) -> None:
    now = datetime(2026, 3, 26, 6, 0, tzinfo=UTC)
    limit = timedelta(hours=app.settings.http.ready_max_check_age_hours)
    add_check_run(app, now - limit)
    assert readiness(app, now=now)[0] is True
    ready, reason = readiness(app, now=now + timedelta(seconds=1))
    assert not ready and "limit 26 h" in reason


def test_readiness_reports_an_unreachable_database(app: App) -> None:
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/nothing", connect_args={"connect_timeout": 2})
    broken = App(settings=app.settings, engine=engine, sessions=make_session_factory(engine))
    ready, reason = readiness(broken)
    assert not ready and reason.startswith("database unreachable")
    [metrics] = serve_and_fetch(broken, ("GET", "/metrics"))
    assert metrics[0] == 200
    assert sample(parse_metrics(metrics[2]), "pantau_database_up") == 0


def test_metrics_carry_the_standard_process_and_platform_series(app: App) -> None:
    from monitor.daemon.metrics import DaemonMetrics

    registry = CollectorRegistry()
    DaemonMetrics(registry, ["inbox"])

    async def scenario() -> tuple[int, str, str]:
        server = HttpServer(app, registry)
        host, port = await server.start("127.0.0.1", 0)
        try:
            return await asyncio.to_thread(fetch, f"http://{host}:{port}/metrics")
        finally:
            await server.close()

    status, _, body = asyncio.run(scenario())
    m = parse_metrics(body)
    assert status == 200
    assert sample(m, "process_resident_memory_bytes") > 10_000_000
    assert sample(m, "process_open_fds") >= 3
    assert any(name == "python_info" for name, _ in m)


def test_readyz_reports_a_degraded_part_of_the_metrics(app: App) -> None:
    from sqlalchemy import text

    add_check_run(app, datetime.now(UTC) - timedelta(minutes=5))
    with transaction(app.sessions) as session:
        session.execute(text("ALTER TABLE outbox_message RENAME TO outbox_message_away"))
    collector = DatabaseCollector(app)
    registry = CollectorRegistry()
    registry.register(collector)

    async def scenario() -> list[tuple[int, str, str]]:
        server = HttpServer(app, registry, collector)
        host, port = await server.start("127.0.0.1", 0)
        try:
            return [await asyncio.to_thread(fetch, f"http://{host}:{port}{path}") for path in ("/metrics", "/readyz")]
        finally:
            await server.close()

    metrics, ready = asyncio.run(scenario())
    assert sample(parse_metrics(metrics[2]), "pantau_collector_errors_total", part="outbox") == 1
    assert ready[0] == 503 and ready[2].startswith("degraded: metrics cannot read outbox")
