"""Alerts: one email digest per recipient per cycle, through a durable outbox.

Public API (for the daemon and the CLI)::

    build_digests(app, now) -> list[Digest]          # what is due, nothing recorded
    enqueue_due_digests(app, now) -> int             # render + commit to the outbox
    flush_outbox(app, now, transport=None) -> FlushResult(sent, failed, dead, pending)
    send_cycle(app, now) -> CycleResult(enqueued, flush)
    make_transport(settings) -> Transport

The names load on first use: ``pantau`` imports this package for its CLI commands, and every other
command should not pay for Jinja2, Babel and aiosmtplib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alerts.digest import Digest, build_digests
    from alerts.outbox import CycleResult, FlushResult, enqueue_due_digests, flush_outbox, send_cycle
    from alerts.transports import Transport, TransportError, make_transport

_EXPORTS = {
    "Digest": "alerts.digest",
    "build_digests": "alerts.digest",
    "CycleResult": "alerts.outbox",
    "FlushResult": "alerts.outbox",
    "enqueue_due_digests": "alerts.outbox",
    "flush_outbox": "alerts.outbox",
    "send_cycle": "alerts.outbox",
    "Transport": "alerts.transports",
    "TransportError": "alerts.transports",
    "make_transport": "alerts.transports",
}

__all__ = [
    "CycleResult",
    "Digest",
    "FlushResult",
    "Transport",
    "TransportError",
    "build_digests",
    "enqueue_due_digests",
    "flush_outbox",
    "make_transport",
    "send_cycle",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'alerts' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
