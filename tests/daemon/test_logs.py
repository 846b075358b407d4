from __future__ import annotations

import io
import json
import logging

from monitor.logs import configure_logging
from monitor.settings import LoggingSettings


def test_json_logs_carry_the_extras_one_object_per_line() -> None:
    stream = io.StringIO()
    configure_logging(LoggingSettings(format="json", level="INFO"), stream)
    log = logging.getLogger("monitor.test")
    log.info("job %s ok", "check", extra={"job": "check", "summary": {"findings": 3}})
    log.debug("not shown at INFO")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("job failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "job check ok" and first["level"] == "info" and first["logger"] == "monitor.test"
    assert first["job"] == "check" and first["summary"] == {"findings": 3}
    assert first["time"].endswith("+00:00")
    assert second["level"] == "error" and "ValueError: boom" in second["exception"]


def test_text_logs_and_reconfiguring_does_not_duplicate_lines() -> None:
    stream = io.StringIO()
    configure_logging(LoggingSettings(format="json"), io.StringIO())
    configure_logging(LoggingSettings(format="text", level="WARNING"), stream)
    logging.getLogger("monitor.test").warning("outbox stuck", extra={"pending": 4})
    logging.getLogger("monitor.test").info("quiet")
    [line] = stream.getvalue().splitlines()
    assert line.endswith("WARNING monitor.test: outbox stuck (pending=4)")
    assert sum(1 for h in logging.getLogger().handlers if h.get_name() == "pantau") == 1
