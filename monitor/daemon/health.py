"""Whether the daemon is ready: the decision ``/readyz`` reports, whatever serves HTTP.

Ready means the database answers, a check run succeeded within ``[http] ready_max_check_age_hours``, and
every part of the database figures could be read at the last scrape (a part that cannot be read blinds
dashboards and alerts: the daemon says so here, not only in its log).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from monitor.bootstrap import App
from monitor.models import CheckRun, aware


class Degradable(Protocol):
    """What readiness asks of the database collector (:class:`monitor.daemon.collector.DatabaseCollector`)."""

    def degraded(self) -> dict[str, str]: ...


def readiness(app: App, collector: Degradable | None = None, now: datetime | None = None) -> tuple[bool, str]:
    """(ready, the reason in one line): the database answers, a check succeeded recently and no part of the
    metrics is degraded."""
    now = now or datetime.now(UTC)
    limit = timedelta(hours=app.settings.http.ready_max_check_age_hours)
    try:
        with app.sessions() as session:
            session.execute(text("SELECT 1"))
            last_ok = session.execute(select(func.max(CheckRun.finished_at)).where(CheckRun.status == "ok")).scalar()
    except SQLAlchemyError as exc:
        return False, f"database unreachable: {exc.__class__.__name__}"
    problems: list[str] = []
    degraded = collector.degraded() if collector is not None else {}
    if degraded:
        parts = "; ".join(f"{part} ({why})" for part, why in sorted(degraded.items()))
        problems.append(f"degraded: metrics cannot read {parts}")
    if last_ok is None:
        problems.append("no successful check run yet")
        return False, "; ".join(problems)
    age = now - aware(last_ok)
    hours = age.total_seconds() / 3600
    if age > limit:
        problems.append(f"last successful check run {hours:.1f} h ago (limit {limit.total_seconds() / 3600:g} h)")
    if problems:
        return False, "; ".join(problems)
    return True, f"ok: last successful check run {hours:.1f} h ago"
