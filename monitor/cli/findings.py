"""``pantau check``, ``pantau findings``, ``pantau ack``, ``pantau silence`` and ``pantau unsilence``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError

from alerts.i18n import Formatter
from monitor.check import findings as store
from monitor.check.run import PHASES, CheckFailed, CheckRunResult, default_as_of, run_check
from monitor.cli.common import EXIT_FAILED, CliContext, ConfigError, pass_cli
from monitor.cli.common import actor as actor_name
from monitor.cli.export import write_csv, write_json
from monitor.db import transaction
from monitor.models import utcnow
from monitor.records import SEVERITIES
from monitor.regulation.wording import rupiah, tanggal
from monitor.settings import SettingsError

EXPORT_FIELDS = ("id", "rule", "severity", "status", "opd", "subject", "title", "amount_at_risk", "first_seen",
                 "last_seen", "details")
STATUS_LABELS = {"open": "terbuka", "reopened": "muncul lagi", "acknowledged": "diakui", "silenced": "dibungkam",
                 "resolved": "selesai"}


class Failed(click.ClickException):
    exit_code = EXIT_FAILED


def _why(exc: Exception) -> str:
    if isinstance(exc, OperationalError):
        # Most often SQLite's write lock held by a long check run past the wait.
        return f"basis data sedang sibuk (pemeriksaan masih berjalan?); coba lagi nanti. ({exc.orig})"
    return str(exc)


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


_DATE = click.DateTime(formats=["%Y-%m-%d"])


# --- pantau check ---------------------------------------------------------------------------------


PHASE_LABELS = {"load": "Memuat data", "match": "Mencocokkan kontrak dan registrasi", "rules": "Menerapkan aturan",
                "write": "Menyimpan temuan"}


@contextmanager
def phase_display(enabled: bool) -> Iterator[Callable[[str], None] | None]:
    """On a terminal, the run's phase (1/4 Memuat data ...) and the time so far, on stderr; else nothing."""
    if not enabled:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    # No auto-refresh: its thread would keep the run from forking its second process (fork_is_safe).
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True, auto_refresh=False) as display:
        task = display.add_task("", total=len(PHASES))

        def begin(phase: str) -> None:
            step = PHASES.index(phase) + 1
            display.update(task, description=f"{step}/{len(PHASES)} {PHASE_LABELS[phase]}", completed=step - 1)
            display.refresh()

        yield begin


@click.command("check")
@click.option("--as-of", type=_DATE, default=None, help="Periksa per tanggal ini (YYYY-MM-DD). Bawaan: hari ini.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: id pemeriksaan, tanggal, jumlah per aturan dan status, waktu per tahap.")
@pass_cli
def check_command(obj: CliContext, as_of: datetime | None, fmt: str) -> None:
    """Jalankan setiap aturan yang aktif dan perbarui temuan."""
    try:
        with phase_display(sys.stderr.isatty()) as phases:
            result = run_check(obj.app, None if as_of is None else as_of.date(), phases=phases)
    except CheckFailed as exc:
        if isinstance(exc.__cause__, SettingsError):
            raise ConfigError(str(exc.__cause__)) from exc
        raise Failed(f"{exc}\nKeadaan temuan tidak berubah; kegagalan dicatat sebagai pemeriksaan #{exc.run_id}.") \
            from exc
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, default=str))
    else:
        click.echo(summary(result))


def summary(result: CheckRunResult) -> str:
    """The short Indonesian report ``pantau check`` prints."""
    counts = result.counts
    records = counts.get("records", {})
    lines = [
        f"Pemeriksaan #{result.run_id} per {tanggal(result.as_of)} selesai dalam "
        f"{result.duration_seconds:.1f}".replace(".", ",") + " detik.",
        f"Data: {_number(records.get('contracts', 0))} kontrak, {_number(records.get('registrations', 0))} "
        f"registrasi, {_number(counts.get('links', 0))} tertaut, {_number(counts.get('ambiguous', 0))} ambigu.",
        f"Temuan: {_number(counts.get('detected', 0))} terdeteksi — {_number(counts.get('new', 0))} baru, "
        f"{_number(counts.get('reopened', 0))} muncul lagi, {_number(counts.get('resolved', 0))} selesai, "
        f"{_number(counts.get('severity_rose', 0))} naik tingkat.",
    ]
    left_out: Mapping[str, int] = counts.get("contracts_left_out", {})
    if any(left_out.values()):
        # The contracts not in "Data": kept, but left out of the check (or of its end-date rules).
        lines.insert(2, (
            f"Tidak diperiksa: {_number(left_out.get('out_of_scope', 0))} di luar lingkup Jakon, "
            f"{_number(left_out.get('incomplete', 0))} belum lengkap (nilai belum diketahui); "
            f"{_number(left_out.get('end_unknown', 0))} diperiksa tanpa tanggal selesai (SPMK belum diimpor)."))
    by_rule: Mapping[str, Mapping[str, int]] = counts.get("by_rule", {})
    if by_rule:
        columns = list(STATUS_LABELS)
        width = max(len("aturan"), *(len(rule) for rule in by_rule))
        lines.append("")
        lines.append("aturan".ljust(width) + "".join(STATUS_LABELS[c].rjust(13) for c in columns))
        for rule, per_status in by_rule.items():
            lines.append(rule.ljust(width) + "".join(_number(per_status.get(c, 0)).rjust(13) for c in columns))
    return "\n".join(lines)


# --- pantau findings ------------------------------------------------------------------------------


def _split(values: Iterable[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _statuses(values: Iterable[str]) -> list[str]:
    wanted = _split(values) or ["active"]
    result: list[str] = []
    for value in wanted:
        if value == "all":
            return list(store.STATUSES)
        if value == "active":
            result.extend(store.ACTIVE)
        elif value in store.STATUSES:
            result.append(value)
        else:
            raise click.BadParameter(f"{value!r}: pilih dari {', '.join((*store.STATUSES, 'active', 'all'))}",
                                     param_hint="--status")
    return result


@click.group("findings", invoke_without_command=True)
@click.option("--status", "status", multiple=True, metavar="STATUS",
              help="open, reopened, acknowledged, silenced, resolved, active (bawaan) atau all; boleh berulang.")
@click.option("--rule", "rule", multiple=True, help="Id aturan atau pola (jakon.*); boleh berulang.")
@click.option("--opd", "opd", multiple=True, help="Kode OPD; boleh berulang.")
@click.option("--severity", "severity", multiple=True, type=click.Choice(SEVERITIES), help="Boleh berulang.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Paling banyak sekian (yang paling gawat dulu).")
@click.pass_context
def findings_group(
    ctx: click.Context, status: tuple[str, ...], rule: tuple[str, ...], opd: tuple[str, ...],
    severity: tuple[str, ...], fmt: str, limit: int | None,
) -> None:
    """Daftar temuan (yang aktif, kecuali --status menyebut lain)."""
    if ctx.invoked_subcommand is not None:
        return
    obj = ctx.find_object(CliContext)
    assert obj is not None
    statuses = _statuses(status)
    with obj.app.sessions() as session:
        rows: Iterable[dict[str, Any]] = store.list_findings(
            session.connection(), statuses=statuses, rules=_split(rule), opds=_split(opd), severities=severity)
        if limit is not None:
            rows = islice(rows, limit)
        if fmt == "table":
            _write_table(rows, obj.settings.tz)
        else:
            {"json": write_json, "csv": _write_csv}[fmt](rows)


def _write_csv(rows: Iterable[dict[str, Any]]) -> None:
    write_csv(rows, EXPORT_FIELDS, _encode_details)


def _encode_details(name: str, value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if name == "details" else value


def _write_table(rows: Iterable[dict[str, Any]], timezone: ZoneInfo) -> None:
    # The severity in the digests' words (kritis, tinggi, ...) among Indonesian columns; json and csv keep the ids.
    words = Formatter("id", timezone)
    table = Table(show_lines=False, header_style="bold")
    for header, justify in (("ID", "right"), ("Tingkat", "left"), ("Status", "left"), ("Aturan", "left"),
                            ("OPD", "left"), ("Subjek", "left"), ("Judul", "left"), ("Nilai berisiko", "right"),
                            ("Terakhir", "left")):
        table.add_column(header, justify=justify, overflow="fold")  # type: ignore[arg-type]
    count = 0
    for row in rows:
        count += 1
        table.add_row(str(row["id"]), words.severity(row["severity"]), STATUS_LABELS.get(row["status"], row["status"]),
                      row["rule"],
                      row["opd"] or "-", row["subject"], row["title"],
                      rupiah(row["amount_at_risk"]) if row["amount_at_risk"] else "-", row["last_seen"],
                      )
    console = _console()
    if count:
        console.print(table)
    console.print(f"{_number(count)} temuan.")


@findings_group.command("history")
@click.argument("finding_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_cli
def history_command(obj: CliContext, finding_id: int, fmt: str) -> None:
    """Satu temuan dan setiap perubahan statusnya."""
    with obj.app.sessions() as session:
        try:
            found = store.finding_history(session.connection(), finding_id)
        except store.FindingsError as exc:
            raise Failed(str(exc)) from exc
    tz = obj.settings.tz
    if fmt == "json":
        data = {**found.finding, **{k: _iso(v) for k, v in found.extra.items()},
                "events": [{**event, "at": _iso(event["at"])} for event in found.events]}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    f = found.finding
    severity = Formatter("id", tz).severity(f["severity"])
    click.echo(f"#{f['id']} {f['rule']} [{severity}, {STATUS_LABELS.get(f['status'], f['status'])}]")
    click.echo(f"{f['subject']} ({f['opd'] or '-'}): {f['title']}")
    click.echo(f"pertama {f['first_seen']}, terakhir {f['last_seen']}, nilai berisiko {rupiah(f['amount_at_risk'])}")
    if found.extra["resolved_reason"]:
        click.echo(f"selesai: {found.extra['resolved_reason']}")
    if found.extra["ack_note"] and f["status"] == store.ACKNOWLEDGED:
        click.echo(f"diakui: {found.extra['ack_note']}")
    table = Table(header_style="bold")
    for header in ("Waktu", "Dari", "Ke", "Oleh", "Catatan", "Run"):
        table.add_column(header)
    for event in found.events:
        table.add_row(event["at"].astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                      STATUS_LABELS.get(event["from_status"], event["from_status"] or "-"),
                      STATUS_LABELS.get(event["to_status"], event["to_status"]), event["actor"], event["note"] or "",
                      str(event["check_run_id"] or ""))
    _console().print(table)


def _console() -> Console:
    # Piped into a file or a pager there is no terminal width: wide enough that titles stay whole.
    return Console(file=sys.stdout, markup=False, highlight=False, width=None if sys.stdout.isatty() else 200)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


# --- human actions --------------------------------------------------------------------------------


@click.command("ack")
@click.argument("finding_id", type=int)
@click.option("--note", required=True, help="Apa yang sedang dilakukan untuk menindaklanjutinya.")
@click.option("--actor", default=None, help="Siapa yang mengakui (bawaan: nama login).")
@pass_cli
def ack_command(obj: CliContext, finding_id: int, note: str, actor: str | None) -> None:
    """Akui temuan: tetap terbuka tanpa pengingat sampai temuan itu berubah."""
    try:
        with transaction(obj.app.sessions) as session:
            before = store.acknowledge(session, finding_id, note=note, actor=actor_name(actor), now=utcnow())
    except (store.FindingsError, OperationalError) as exc:
        raise Failed(_why(exc)) from exc
    click.echo(f"Temuan #{finding_id} diakui (sebelumnya {STATUS_LABELS.get(before, before)}): tanpa pengingat "
               "sampai tingkat atau nilai berisikonya berubah.")


@click.command("silence")
@click.option("--rule", default=None, help="Id aturan atau pola (agreement.*).")
@click.option("--opd", default=None, help="Kode OPD.")
@click.option("--subject", default=None, help='Subjek persis, mis. "PUPR|027/14/SPK-PUPR/III/2026".')
@click.option("--until", "until", type=_DATE, required=True, help="Hari terakhir dibungkam (YYYY-MM-DD, termasuk).")
@click.option("--reason", required=True, help="Alasan (disimpan dalam riwayat).")
@click.option("--actor", default=None, help="Siapa yang membungkam (bawaan: nama login).")
@pass_cli
def silence_command(
    obj: CliContext, rule: str | None, opd: str | None, subject: str | None, until: datetime, reason: str,
    actor: str | None,
) -> None:
    """Bungkam temuan yang cocok (yang ada dan yang baru) sampai suatu tanggal."""
    if rule is None and opd is None and subject is None:
        raise click.UsageError("sebutkan minimal satu dari --rule, --opd atau --subject")
    try:
        with transaction(obj.app.sessions) as session:
            result = store.add_silence(session, rule=rule, opd=opd, subject=subject, until=until.date(),
                                       reason=reason, actor=actor_name(actor), now=utcnow(),
                                       today=default_as_of(obj.settings))
    except (store.FindingsError, OperationalError) as exc:
        raise Failed(_why(exc)) from exc
    click.echo(f"Silence #{result.silence_id}: {_number(result.silenced)} temuan dibungkam sampai "
               f"{tanggal(until.date())}; temuan baru yang cocok juga dibungkam.")


@click.command("unsilence")
@click.argument("silence_id", type=int)
@click.option("--actor", default=None, help="Siapa yang mencabut (bawaan: nama login).")
@pass_cli
def unsilence_command(obj: CliContext, silence_id: int, actor: str | None) -> None:
    """Cabut pembungkaman hari ini; temuannya terbuka kembali."""
    try:
        with transaction(obj.app.sessions) as session:
            count = store.lift_silence(session, silence_id, actor=actor_name(actor), now=utcnow(),
                                       today=default_as_of(obj.settings))
    except (store.FindingsError, OperationalError) as exc:
        raise Failed(_why(exc)) from exc
    click.echo(f"Silence #{silence_id} dicabut: {_number(count)} temuan kembali terbuka.")


def register(group: click.Group) -> None:
    for command in (check_command, findings_group, ack_command, silence_command, unsilence_command):
        group.add_command(command)

