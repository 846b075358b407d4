"""Snapshots of final reports: the figures as shown at the meeting, for the next report to compare with."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from monitor.models import MonevSnapshot
from monitor.report.model import MonevReport


def store_snapshot(conn: Connection, report: MonevReport, *, actor: str, now: datetime) -> int:
    table = cast(Table, MonevSnapshot.__table__)
    return int(conn.execute(table.insert().returning(table.c.id), {
        "nomor": report.nomor, "period_start": report.period_start, "period_end": report.period_end,
        "as_of": report.as_of, "check_run_id": report.check_run_id, "created_at": now, "actor": actor,
        "figures": report.snapshot_figures(),
    }).scalar_one())
