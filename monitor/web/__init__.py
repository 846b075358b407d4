"""The web interface: pages for BPKAD, the OPDs and the monev secretariat, served by the daemon.

:func:`create_web_app` builds the ASGI application (Starlette) for an :class:`~monitor.bootstrap.App`;
:mod:`monitor.daemon.http` mounts it beside /metrics. Nothing happens on import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from monitor.bootstrap import App


def create_web_app(app: App) -> Starlette:
    from monitor.web.application import build

    return build(app)
