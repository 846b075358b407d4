"""The finding page's follow-up (tindak lanjut): staff set its status, batas waktu and PIC, the OPD writes
its note. Both go through :func:`monitor.check.followup.set_followup` (one history row per change, naming
the actor, source ``web``), after the CSRF token and the role are checked."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from alerts.i18n import Formatter
from monitor.check import followup as store
from monitor.db import transaction
from monitor.settings import ReportSettings
from monitor.web.actions import NOTE_LIMIT, back, finding_facts, text_field
from monitor.web.rendering import flash
from monitor.web.security import actor_for, checked_form, staff, web_app

SOURCE = "web"
FORM_ANCHOR = "#tindak-lanjut"  # back to the forms, not the top of a long page
FIELD_LABELS = {"status": "status", "due": "batas waktu", "pic": "PIC", "note": "catatan"}


def of_finding(conn: Connection, finding_id: int, report: ReportSettings, fmt: Formatter) -> dict[str, Any]:
    """The finding's follow-up as it stands and its history, each change said in words."""
    current = store.followups(conn, [finding_id], report).get(finding_id)

    def shown(name: str, value: Any) -> str:
        if value is None or value == "":
            return "(kosong)"
        return fmt.date(date.fromisoformat(value)) if name == "due" else str(value)

    events = [{**e, "changes": [f"{FIELD_LABELS.get(name, name)}: {shown(name, old)} → {shown(name, new)}"
                                for name, (old, new) in e["changes"].items()]}
              for e in store.history(conn, finding_id)]
    return {"current": current, "events": events, "statuses": store.FOLLOWUP_STATUSES}


def _save(request: Request, finding_id: int, change: dict[str, Any], actor: str) -> tuple[str, str]:
    """The change written (or refused): the message for the page, and its kind."""
    try:
        with transaction(web_app(request).sessions) as session:
            outcome = store.set_followup(session, finding_id, **change, actor=actor, now=datetime.now(UTC),
                                         source=SOURCE)
    except store.FollowupError as exc:
        return f"Tindak lanjut tidak diubah: {exc}.", "error"
    return ("Tindak lanjut disimpan." if outcome.changed else "Tidak ada yang berubah."), "ok"


async def set_by_staff(request: Request) -> Response:
    """Status, batas waktu and PIC (BPKAD, monev, BPJS)."""
    form = await checked_form(request)
    principal = await staff(request)
    finding_id = request.path_params["finding_id"]
    await run_in_threadpool(finding_facts, request, finding_id)  # a 404 page for an unknown finding
    due_text = text_field(form, "due", limit=10)
    try:
        due = date.fromisoformat(due_text) if due_text else None
    except ValueError:
        flash(request, "Tulis batas waktu sebagai tanggal (TTTT-BB-HH).", "error")
        return back(finding_id, FORM_ANCHOR)
    change = {"status": text_field(form, "status", limit=100), "due": due, "pic": text_field(form, "pic", limit=250)}
    flash(request, *await run_in_threadpool(_save, request, finding_id, change, principal.actor))
    return back(finding_id, FORM_ANCHOR)


async def set_note(request: Request) -> Response:
    """The OPD's own note: what it did, or why it cannot."""
    form = await checked_form(request)
    finding_id = request.path_params["finding_id"]
    facts = await run_in_threadpool(finding_facts, request, finding_id)
    principal = await actor_for(request, facts["opd"], what="Penulisan catatan tindak lanjut")
    note = text_field(form, "note", limit=NOTE_LIMIT)
    flash(request, *await run_in_threadpool(_save, request, finding_id, {"note": note}, principal.actor))
    return back(finding_id, FORM_ANCHOR)


__all__ = ["of_finding", "set_by_staff", "set_note"]
