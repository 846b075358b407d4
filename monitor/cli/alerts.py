"""``pantau alerts send|preview`` and ``pantau outbox list|flush|retry|purge``.

Exit codes follow monitor.cli.common: 1 when a message could not be delivered (it stays in the outbox,
pending or dead), 2 for bad usage or configuration.
"""

from __future__ import annotations

import sys
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from monitor.cli.common import EXIT_FAILED, CliContext, ConfigError, pass_cli

if TYPE_CHECKING:
    from alerts.outbox import FlushResult
    from monitor.settings import Settings


def _when(value: str | None, tz: ZoneInfo) -> datetime:
    """``--at``: an ISO date (start of that day, local time) or datetime (local when no offset)."""
    if value is None:
        return datetime.now(tz)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} bukan tanggal/waktu ISO (contoh 2026-09-24 atau 2026-09-24T07:00)", param_hint="--at"
        ) from None
    if len(value) <= 10:
        parsed = datetime.combine(parsed.date(), time(0, 0))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


AT_OPTION = click.option(
    "--at", "at", metavar="WAKTU", default=None,
    help="Waktu siklus (ISO, mis. 2026-09-24 atau 2026-09-24T07:00; default sekarang).",
)


@click.group("alerts")
def alerts_group() -> None:
    """Ringkasan email temuan: satu email per penerima per siklus."""


@alerts_group.command("send")
@AT_OPTION
@pass_cli
def send_command(obj: CliContext, at: str | None) -> None:
    """Buat ringkasan yang jatuh tempo, simpan ke outbox, lalu kirim semua yang menunggu."""
    from alerts.outbox import app_transport, send_cycle

    settings = obj.settings
    now = _when(at, settings.tz)
    try:
        app_transport(obj.app)  # an unusable transport (no SMTP password) fails before anything is queued
        result = send_cycle(obj.app, now)
    except ValueError as exc:  # e.g. [smtp] tls and starttls both set
        raise ConfigError(str(exc)) from exc
    flush = result.flush
    click.echo(f"{result.enqueued} ringkasan baru masuk outbox; {flush_summary(flush, settings)}")
    if settings.alerts.transport == "file" and flush.sent:
        click.echo(f"Email tersimpan sebagai berkas .eml di {settings.alerts.outbox_dir}")
    _exit_if_undelivered(flush)


def flush_summary(flush: FlushResult, settings: Settings) -> str:
    """One flush in one Indonesian sentence, saying what waits and why."""
    from alerts.outbox import claim_lease

    line = f"terkirim {flush.sent}, gagal sementara {flush.failed}, mati {flush.dead}, menunggu {flush.pending}"
    if flush.sending:
        minutes = claim_lease(settings).total_seconds() / 60
        line += (f" ({flush.sending} di antaranya sedang dikirim proses lain atau tertahan oleh pengirim yang "
                 f"berhenti; dikirim ulang paling lambat {minutes:g} menit setelah diambil)")
    return line + "."


def _exit_if_undelivered(flush: FlushResult) -> None:
    if flush.blocked is not None:
        click.echo(
            f"Server email menolak Pantau sendiri ({flush.blocked}); semua email tetap menunggu. "
            "Perbaiki [smtp] (username, PANTAU_SMTP_PASSWORD, TLS), lalu jalankan `pantau outbox flush`.", err=True,
        )
        sys.exit(EXIT_FAILED)
    if flush.failed or flush.dead:
        click.echo("Sebagian email belum terkirim; lihat `pantau outbox list`.", err=True)
        sys.exit(EXIT_FAILED)


@alerts_group.command("preview")
@click.option("--recipient", metavar="ALAMAT", default=None, help="Hanya ringkasan untuk alamat ini.")
@click.option("--format", "output", type=click.Choice(["text", "html"]), default="text", show_default=True)
@AT_OPTION
@pass_cli
def preview_command(obj: CliContext, recipient: str | None, output: str, at: str | None) -> None:
    """Tampilkan apa yang akan dikirim, tanpa mengirim dan tanpa mencatat apa pun."""
    from alerts.digest import build_digests
    from alerts.outbox import render_digest
    from alerts.routing import address_key

    settings = obj.settings
    now = _when(at, settings.tz)
    digests = build_digests(obj.app, now)
    if recipient is not None:
        digests = [d for d in digests if address_key(d.recipient) == address_key(recipient)]
    if not digests:
        click.echo("Tidak ada ringkasan yang perlu dikirim" + (f" untuk {recipient}." if recipient else "."))
        return
    for digest in digests:
        message = render_digest(settings, digest, now, message_id="<preview@pantau.localhost>")
        part = message.get_body(preferencelist=("plain",) if output == "text" else ("html",))
        body = part.get_content() if part is not None else ""
        click.echo(f"===== {digest.recipient} ({len(digest.items)} temuan) =====")
        click.echo(f"From: {message['From']}\nTo: {message['To']}\nSubject: {message['Subject']}\n")
        click.echo(body)


@click.group("outbox")
def outbox_group() -> None:
    """Email yang tersimpan di outbox: daftar, kirim ulang, hapus."""


@outbox_group.command("list")
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "dead"]), default=None)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@pass_cli
def list_command(obj: CliContext, status: str | None, limit: int) -> None:
    """Daftar email di outbox, yang terbaru dulu."""
    from alerts.outbox import list_messages

    tz = obj.settings.tz
    with obj.app.sessions() as session:
        rows = list_messages(session, status=status, limit=limit)
    if not rows:
        click.echo("Outbox kosong." if status is None else f"Tidak ada email berstatus {status}.")
        return
    click.echo(f"{'ID':>6}  {'STATUS':<8} {'COBA':>4}  {'DIBUAT':<16}  {'PENERIMA':<32} SUBJEK / KETERANGAN")
    for row in rows:
        created = row.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        note = row.subject
        if row.status == "dead" or (row.status == "pending" and row.last_error):
            note = f"{row.last_error}"
        if row.status == "pending" and row.attempts:
            note += f" (coba lagi {row.next_attempt_at.astimezone(tz).strftime('%Y-%m-%d %H:%M')})"
        click.echo(f"{row.id:>6}  {row.status:<8} {row.attempts:>4}  {created:<16}  {row.recipient:<32} {note}")


@outbox_group.command("flush")
@AT_OPTION
@pass_cli
def flush_command(obj: CliContext, at: str | None) -> None:
    """Kirim email yang menunggu (tanpa membuat ringkasan baru)."""
    from alerts.outbox import flush_outbox

    result = flush_outbox(obj.app, _when(at, obj.settings.tz))
    summary = flush_summary(result, obj.settings)
    click.echo(summary[0].upper() + summary[1:])
    _exit_if_undelivered(result)


@outbox_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@AT_OPTION
@pass_cli
def retry_command(obj: CliContext, ids: tuple[int, ...], at: str | None) -> None:
    """Antrekan lagi email yang mati (semua, atau ID yang disebut), apa adanya; dikirim pada flush berikutnya."""
    from alerts.outbox import retry_messages
    from monitor.db import transaction

    with transaction(obj.app.sessions) as session:
        count = retry_messages(session, _when(at, obj.settings.tz), ids)
    click.echo(f"{count} email diantrekan lagi.")


@outbox_group.command("purge")
@click.option("--older-than", "days", type=click.IntRange(min=0), default=90, show_default=True, metavar="HARI",
              help="Hapus email yang dibuat lebih dari HARI hari yang lalu.")
@click.option("--dead", is_flag=True, help="Hapus juga email yang mati.")
@click.option("--history", is_flag=True,
              help="Hapus juga riwayat pemberitahuan yang lebih lama; yang terakhir per temuan dan penerima "
                   "tetap disimpan.")
@AT_OPTION
@pass_cli
def purge_command(obj: CliContext, days: int, dead: bool, history: bool, at: str | None) -> None:
    """Hapus email lama yang sudah terkirim (riwayat siapa diberi tahu apa tetap disimpan, kecuali
    dengan --history)."""
    from alerts.outbox import purge_history, purge_messages
    from monitor.db import transaction

    older_than = _when(at, obj.settings.tz) - timedelta(days=days)
    with transaction(obj.app.sessions) as session:
        count = purge_messages(session, older_than, dead=dead)
        forgotten = purge_history(session, older_than) if history else 0
    click.echo(f"{count} email dihapus dari outbox.")
    if history:
        click.echo(f"{forgotten} catatan riwayat pemberitahuan dihapus.")


def register(group: click.Group) -> None:
    group.add_command(alerts_group)
    group.add_command(outbox_group)
