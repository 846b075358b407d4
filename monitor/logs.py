"""Logging for the daemon and the CLI: plain text for a terminal, or one JSON object per line for a
log shipper (``[logging] format = "json"``). Extra fields passed with ``extra={...}`` (job, run id,
duration) travel as JSON keys, so a job's runs can be followed in Loki or Elasticsearch."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from monitor.settings import LoggingSettings

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD and not key.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message and the extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-03-25 06:00:01 INFO monitor.daemon.service: job check ok (job=check duration_s=1.2)``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extras = _extras(record)
        if extras:
            text += " (" + " ".join(f"{key}={value}" for key, value in extras.items()) + ")"
        return text


def configure_logging(settings: LoggingSettings, stream: IO[str] | None = None) -> logging.Handler:
    """Send Pantau's logs (and APScheduler's) to ``stream`` (stderr) in the configured format.

    Replaces a handler installed by an earlier call, so tests and repeated CLI calls don't
    print every line twice."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.format == "json" else TextFormatter())
    handler.set_name("pantau")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "pantau"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.level)
    # APScheduler reports every run at INFO; our own job log lines say the same with more detail.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelName(settings.level)))
    return handler
