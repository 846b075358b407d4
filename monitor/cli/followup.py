"""``pantau followup set|show``: the tindak lanjut of one finding."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click
from sqlalchemy.exc import OperationalError

from monitor.check import followup as store
from monitor.cli.common import EXIT_CONFIG, CliContext, pass_cli
from monitor.cli.common import actor as actor_name
from monitor.cli.findings import Failed, _why
from monitor.db import transaction
from monitor.models import utcnow
from monitor.regulation.wording import tanggal

_DATE = click.DateTime(formats=["%Y-%m-%d"])


class Refused(click.ClickException):
    exit_code = EXIT_CONFIG


@click.group("followup")
def followup_group() -> None:
    """Tindak lanjut temuan: status, batas waktu, PIC dan catatan, dengan riwayatnya."""


@followup_group.command("set")
@click.argument("finding_id", type=int)
@click.option("--status", default=None, metavar="STATUS",
              help=f"Salah satu dari: {', '.join(store.FOLLOWUP_STATUSES)}.")
@click.option("--due", default=None, metavar="YYYY-MM-DD", help="Batas waktu; 'bawaan' kembali ke batas waktu aturan.")
@click.option("--pic", default=None, help="Penanggung jawab (nama, jabatan atau unit).")
@click.option("--note", default=None, help="Catatan tindak lanjut.")
@click.option("--actor", default=None, help="Siapa yang mengubah (bawaan: nama login).")
@pass_cli
def set_command(obj: CliContext, finding_id: int, status: str | None, due: str | None, pic: str | None,
                note: str | None, actor: str | None) -> None:
    """Ubah tindak lanjut satu temuan; setiap perubahan dicatat dalam riwayat."""
    if status is None and due is None and pic is None and note is None:
        raise click.UsageError("sebutkan minimal satu dari --status, --due, --pic atau --note")
    fields: dict[str, Any] = {}
    if status is not None:
        fields["status"] = status
    if due is not None:
        fields["due"] = None if due.strip().casefold() == "bawaan" else _parse_due(due)
    if pic is not None:
        fields["pic"] = pic
    if note is not None:
        fields["note"] = note
    try:
        with transaction(obj.app.sessions) as session:
            outcome = store.set_followup(session, finding_id, actor=actor_name(actor), now=utcnow(), source="cli",
                                         **fields)
    except store.FollowupError as exc:
        raise Refused(str(exc)) from exc
    except OperationalError as exc:
        raise Failed(_why(exc)) from exc
    if not outcome.changed:
        click.echo(f"Temuan #{finding_id}: tidak ada yang berubah.")
        return
    changed = ", ".join(f"{name}: {old or '-'} → {new or '-'}" for name, (old, new) in outcome.changes.items())
    click.echo(f"Temuan #{finding_id} diperbarui ({changed}).")


def _parse_due(text: str) -> Any:
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} bukan tanggal YYYY-MM-DD", param_hint="--due") from exc


@followup_group.command("show")
@click.argument("finding_id", type=int)
@pass_cli
def show_command(obj: CliContext, finding_id: int) -> None:
    """Tindak lanjut satu temuan dan riwayat perubahannya."""
    with obj.app.sessions() as session:
        conn = session.connection()
        found = store.followups(conn, [finding_id], obj.settings.report).get(finding_id)
        if found is None:
            raise Refused(f"temuan #{finding_id} tidak ada")
        events = store.history(conn, finding_id)
    due = tanggal(found.due) + (" (bawaan aturan)" if found.due_is_default else "")
    click.echo(f"Temuan #{finding_id}: {found.status}; batas waktu {due}; PIC {found.pic or '-'}")
    if found.note:
        click.echo(f"Catatan: {found.note}")
    tz = obj.settings.tz
    for event in events:
        changes = ", ".join(f"{k}: {v[0] or '-'} → {v[1] or '-'}" for k, v in event["changes"].items())
        click.echo(f"  {event['at'].astimezone(tz):%Y-%m-%d %H:%M} {event['actor']} ({event['source']}): {changes}")


def register(group: click.Group) -> None:
    group.add_command(followup_group)
