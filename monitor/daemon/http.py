"""The daemon's HTTP side: Starlette served by uvicorn in the daemon's own event loop, next to the
scheduler. The three operations endpoints are here — ``/metrics`` (Prometheus text format),
``/healthz`` (the process is alive) and ``/readyz`` (decided by
:func:`monitor.daemon.health.readiness`) — each a thin handler over the function that decides its
answer; with ``[web] enabled`` the web interface (:mod:`monitor.web`)
answers every other path.

Handlers that touch the database run in a worker thread, so a slow query never stalls the loop the
scheduler runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Generator

import uvicorn
from prometheus_client import CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from monitor.bootstrap import App
from monitor.daemon.health import Degradable, readiness

log = logging.getLogger(__name__)

# The classic text format every Prometheus 2.x parses; prometheus_client's "latest" label (1.0.0)
# is newer than the Prometheus in Debian stable.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPS_METHODS = ["GET", "HEAD"]


def ops_routes(app: App, registry: CollectorRegistry, collector: Degradable | None = None) -> list[BaseRoute]:
    """/metrics, /healthz and /readyz: each handler only turns its deciding function into a response."""

    async def metrics(request: Request) -> Response:
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=METRICS_CONTENT_TYPE)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(request: Request) -> Response:
        ready, reason = await run_in_threadpool(readiness, app, collector)
        return PlainTextResponse(reason + "\n", status_code=200 if ready else 503)

    return [
        Route("/metrics", metrics, methods=OPS_METHODS),
        Route("/healthz", healthz, methods=OPS_METHODS),
        Route("/readyz", readyz, methods=OPS_METHODS),
    ]


async def _not_found(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("not found: try /metrics, /healthz or /readyz\n", status_code=404)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("method not allowed\n", status_code=405)


def asgi_app(app: App, registry: CollectorRegistry, collector: Degradable | None = None) -> Starlette:
    """The whole HTTP application: the operations endpoints, and the web interface when enabled."""
    routes = ops_routes(app, registry, collector)
    if app.settings.web.enabled:
        from monitor.web import create_web_app  # only a daemon serving pages pays for it

        routes.append(Mount("/", app=create_web_app(app)))
        return Starlette(routes=routes)
    return Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed})


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal handlers: the daemon owns SIGTERM/SIGINT and stops the server itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class HttpServer:
    """Serves the HTTP application for ``app`` (metrics from ``registry``) in the running event loop;
    ``/readyz`` also reports the parts of the database figures ``collector`` cannot read."""

    def __init__(self, app: App, registry: CollectorRegistry, collector: Degradable | None = None) -> None:
        self.app = app
        self.registry = registry
        self.collector = collector
        self.asgi = asgi_app(app, registry, collector)
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen on ``host:port`` (port 0: any free port); returns the address actually bound.
        An address in use raises :class:`OSError` here, before anything is served."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        trusted = list(self.app.settings.web.trusted_proxies)
        config = uvicorn.Config(
            self.asgi, log_config=None, access_log=False, lifespan="off", server_header=False,
            # X-Forwarded-For / -Proto only from the proxies [web] trusted_proxies names.
            proxy_headers=bool(trusted), forwarded_allow_ips=trusted or "",
            timeout_graceful_shutdown=5,
        )
        # uvicorn's "started/finished server process" lines say nothing the daemon does not say itself.
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise OSError(f"HTTP server on {host}:{port} did not start")
            await asyncio.sleep(0.01)
        bound = sock.getsockname()
        return str(bound[0]), int(bound[1])

    async def close(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._task
