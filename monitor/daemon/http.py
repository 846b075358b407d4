"""The daemon's HTTP endpoints on asyncio: ``/metrics`` (Prometheus text format), ``/healthz`` (the
process is alive) and ``/readyz`` (the decision is :func:`monitor.daemon.health.readiness`). GET and HEAD
only; every response closes the connection.

Handlers that touch the database run in a worker thread, so a slow query never stalls the loop the
scheduler runs on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest

from monitor.bootstrap import App
from monitor.daemon.health import Degradable, readiness

__all__ = ["METRICS_CONTENT_TYPE", "HttpServer", "Response", "readiness"]

log = logging.getLogger(__name__)

_REQUEST_TIMEOUT = 10.0
# The classic text format every Prometheus 2.x parses; prometheus_client's "latest" label (1.0.0)
# is newer than the Prometheus in Debian stable.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_REASONS = {
    200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


class HttpServer:
    """Serves the three endpoints for ``app`` from ``registry``; ``/readyz`` also reports the parts of the
    database figures ``collector`` cannot read."""

    def __init__(self, app: App, registry: CollectorRegistry, collector: Degradable | None = None) -> None:
        self.app = app
        self.registry = registry
        self.collector = collector
        self._server: asyncio.Server | None = None
        self.routes: dict[str, Callable[[], Awaitable[Response]]] = {
            "/metrics": self.metrics,
            "/healthz": self.healthz,
            "/readyz": self.readyz,
        }

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen on ``host:port`` (port 0: any free port); returns the address actually bound."""
        self._server = await asyncio.start_server(self._handle, host, port)
        bound = self._server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def metrics(self) -> Response:
        body = await asyncio.to_thread(generate_latest, self.registry)
        return Response(200, body, METRICS_CONTENT_TYPE)

    async def healthz(self) -> Response:
        return Response(200, b"ok\n")

    async def readyz(self) -> Response:
        ready, reason = await asyncio.to_thread(readiness, self.app, self.collector)
        return Response(200 if ready else 503, (reason + "\n").encode())

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = False
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _REQUEST_TIMEOUT)
            method, _, rest = request.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
            target = rest.partition(" ")[0]
            path = target.split("?", 1)[0]
            head = method == "HEAD"
            if method not in ("GET", "HEAD"):
                response = Response(405, b"method not allowed\n")
            elif path not in self.routes:
                response = Response(404, b"not found: try /metrics, /healthz or /readyz\n")
            else:
                response = await self.routes[path]()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, UnicodeDecodeError):
            response = Response(400, b"bad request\n")
        except Exception:
            log.exception("http: error while answering a request")
            response = Response(500, b"internal error\n")
        try:
            writer.write(
                (
                    f"HTTP/1.1 {response.status} {_REASONS.get(response.status, '')}\r\n"
                    f"Content-Type: {response.content_type}\r\n"
                    f"Content-Length: {len(response.body)}\r\n"
                    "Connection: close\r\n\r\n"
                ).encode("latin-1")
            )
            if not head:
                writer.write(response.body)
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
