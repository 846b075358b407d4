"""``pantau ingest KIND FILE...`` and ``pantau rejects``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from monitor.cli.common import EXIT_FAILED, EXIT_TERMINATED, CliContext, Terminated, pass_cli, sigterm_unwinds
from monitor.ingest import KINDS, SOURCES, ImportReport, IngestError, ingest_file
from monitor.models import ImportBatch, RejectedRow

# Text output lists this many problems per file; the rest are in ``pantau rejects``.
TEXT_ERROR_LIMIT = 50


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


@contextmanager
def _progress(enabled: bool, description: str) -> Iterator[Callable[[int], None] | None]:
    """A live row counter on a terminal; nothing at all when stderr is not one."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    # No auto-refresh: its thread would keep the importer from forking its parse worker, and the
    # importer reports every chunk (a fraction of a second) anyway.
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(bar_width=None),
        TextColumn("{task.fields[rows]} baris"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        auto_refresh=False,
    ) as bar:
        task = bar.add_task(description, total=None, rows="0")

        def update(rows: int) -> None:
            bar.update(task, rows=_n(rows))
            bar.refresh()

        yield update


def _title(kind: str) -> str:
    return KINDS[kind].title if kind in KINDS else SOURCES[kind].title


def _print_text(report: ImportReport) -> None:
    out_of_scope = f", {_n(report.out_of_scope)} di luar lingkup Jakon (disimpan)" if report.kind in SOURCES else ""
    click.echo(
        f"{report.file}: data {_title(report.kind)}, {_n(report.rows)} baris: {_n(report.inserted)} baru, "
        f"{_n(report.updated)} diperbarui, {_n(report.unchanged)} tidak berubah, {_n(report.rejected)} ditolak"
        f"{out_of_scope} (batch {report.batch_id})"
    )
    contracts = report.notes.get("contracts")
    if contracts:
        click.echo(
            f"  Kontrak: {_n(contracts['inserted'])} baru, {_n(contracts['updated'])} diperbarui, "
            f"{_n(contracts['unchanged'])} tidak berubah; {_n(contracts['incomplete'])} belum lengkap "
            f"(tanggal selesai belum diketahui), {_n(contracts['out_of_scope'])} di luar lingkup"
        )
    waiting = report.notes.get("waiting_for_buyer")
    if waiting:
        click.echo(f"  Menunggu pembeli (buyer): {_n(waiting)} rilis disimpan, kontraknya diimpor saat rilis yang "
                   f"menyebut pembelinya tiba; ocid: {', '.join(report.notes['waiting_ocids'])}")
    for conflict in report.notes.get("conflicts", []):
        click.echo(f"  Tidak ditulis: {conflict}")
    if report.errors:
        click.echo("  Baris ditolak:")
        for error in report.errors[:TEXT_ERROR_LIMIT]:
            column = f", kolom {error.column}" if error.column else ""
            click.echo(f"    baris {error.line}{column}: {error.message}")
        hidden = max(0, len(report.errors) - TEXT_ERROR_LIMIT) + report.notes.get("errors_not_listed", 0)
        if hidden > 0:
            click.echo(f"    ... dan {_n(hidden)} masalah lain; lihat: pantau rejects --batch {report.batch_id}")
    unknown = report.notes.get("unknown_opd") or {}
    if unknown:
        listed = ", ".join(f"'{name}' ({_n(count)} baris)" for name, count in unknown.items())
        click.echo(f"  OPD tidak ada di direktori (baris tetap diimpor, perlu dicek): {listed}")
    extra = report.notes.get("extra_cells")
    if extra:
        lines = ", ".join(str(line) for line in extra["lines"])
        unlisted = extra["rows"] - len(extra["lines"])
        more = f" dan {_n(unlisted)} baris lain" if unlisted > 0 else ""
        click.echo(f"  Sel di luar kolom judul (diabaikan; periksa apakah kolomnya bergeser): baris {lines}{more}")
    if report.notes.get("ignored_columns"):
        click.echo(f"  Kolom tidak dikenal (diabaikan): {', '.join(report.notes['ignored_columns'])}")


# The monev meeting's follow-up sheet: not a kind of source data, read back by monitor.report.
FOLLOWUP_KIND = "tindak-lanjut"


@click.command("ingest")
@click.argument("kind", type=click.Choice([*KINDS, *SOURCES, FOLLOWUP_KIND]))
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: satu objek JSON per berkas, satu baris.")
@click.option("--sheet", default=None, help="Sheet Excel yang dibaca (bawaan: yang pertama).")
@click.option("--actor", default=None, help="tindak-lanjut: siapa yang mencatat (bawaan: nama login).")
@pass_cli
def ingest(obj: CliContext, kind: str, files: tuple[Path, ...], output: str, sheet: str | None,
           actor: str | None) -> None:
    """Impor berkas CSV atau XLSX jenis KIND (contracts, addenda, registrations, payments, agreements, kampung),
    data sumber: spse (dataset SPSE: JSON ISB atau XLSX/CSV INAPROC), ocds (OCDS 1.1), atau
    tindak-lanjut: sheet "Tindak lanjut" dari XLSX laporan monev yang sudah diisi.

    Baris yang salah ditolak satu per satu dan didaftar; berkas yang sama sekali tidak terbaca
    sebagai tabel tidak mengubah apa pun dan membuat kode keluar 1.
    """
    if kind == FOLLOWUP_KIND:
        _ingest_followup(obj, files, actor)
        return
    app = obj.app
    failed = False
    show_progress = sys.stderr.isatty()
    for path in files:
        try:
            # Each file is one transaction: a SIGTERM rolls the current one back and ends its parse worker.
            with sigterm_unwinds(), _progress(show_progress, f"{path.name}") as progress:
                if kind in SOURCES:
                    report = SOURCES[kind].ingest(app, path)
                else:
                    report = ingest_file(app, kind, path, sheet=sheet, progress=progress)
        except Terminated:
            click.echo(f"Impor dihentikan (SIGTERM) saat membaca {path}; tidak ada yang tersimpan dari berkas ini. "
                       "Berkas yang sudah selesai sebelumnya tetap tersimpan.", err=True)
            sys.exit(EXIT_TERMINATED)
        except IngestError as exc:
            failed = True
            click.echo(f"GAGAL {path}: {exc}", err=True)
            if output == "json":
                failure = ImportReport(kind=kind, file=str(path)).as_dict()
                click.echo(json.dumps({**failure, "failed": str(exc)}, ensure_ascii=False))
            continue
        if output == "json":
            click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            _print_text(report)
    if failed:
        sys.exit(EXIT_FAILED)


def _ingest_followup(obj: CliContext, files: tuple[Path, ...], actor: str | None) -> None:
    from monitor.cli.common import actor as actor_name
    from monitor.db import transaction
    from monitor.report.followup_sheet import SheetError, ingest_followup_sheet

    failed = False
    for path in files:
        try:
            with transaction(obj.app.sessions) as session:
                result = ingest_followup_sheet(session, path, obj.settings.report, actor=actor_name(actor))
        except (SheetError, OSError) as exc:
            failed = True
            click.echo(f"GAGAL {path}: {exc}", err=True)
            continue
        click.echo(f"{path}: tindak lanjut, {_n(result.rows)} baris: {_n(result.changed)} berubah, "
                   f"{_n(result.unchanged)} tidak berubah, {_n(result.rejected)} ditolak (batch {result.batch_id})")
        if result.rejected:
            click.echo(f"  Baris ditolak: pantau rejects --batch {result.batch_id}")
    if failed:
        sys.exit(EXIT_FAILED)


@click.command("rejects")
@click.option("--kind", type=click.Choice([*KINDS, *SOURCES, FOLLOWUP_KIND]), default=None,
              help="Hanya jenis data ini.")
@click.option("--batch", "batch_id", type=int, default=None, help="Hanya batch impor ini.")
@click.option("--all", "every", is_flag=True, help="Semua batch, bukan hanya impor terakhir tiap berkas.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_cli
def rejects(obj: CliContext, kind: str | None, batch_id: int | None, every: bool, output: str) -> None:
    """Daftar baris yang ditolak: bawaannya dari impor terakhir tiap berkas."""
    app = obj.app
    batches = select(ImportBatch)
    if batch_id is not None:
        batches = batches.where(ImportBatch.id == batch_id)
    elif not every:
        latest = select(func.max(ImportBatch.id)).group_by(ImportBatch.kind, ImportBatch.file_name)
        batches = batches.where(ImportBatch.id.in_(latest))
    if kind is not None:
        batches = batches.where(ImportBatch.kind == kind)
    with app.sessions() as session:
        found = {b.id: b for b in session.scalars(batches.order_by(ImportBatch.id))}
        rows = list(session.scalars(
            select(RejectedRow).where(RejectedRow.batch_id.in_(list(found))).order_by(RejectedRow.batch_id,
                                                                                       RejectedRow.line,
                                                                                       RejectedRow.id)
        )) if found else []
    if output == "json":
        click.echo(json.dumps([_reject_json(r) for r in rows], ensure_ascii=False, indent=1))
        return
    if batch_id is not None and not found:
        click.echo(f"Batch {batch_id} tidak ada.", err=True)
        sys.exit(EXIT_FAILED)
    tz = app.settings.tz
    shown = 0
    for batch in found.values():
        if not batch.rejected:
            continue
        when = batch.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        click.echo(f"Batch {batch.id} · {batch.kind} · {batch.file_name} · {when}: {_n(batch.rejected)} baris ditolak")
        for row in (r for r in rows if r.batch_id == batch.id):
            column = f", kolom {row.column}" if row.column else ""
            click.echo(f"  baris {row.line}{column}: {row.message}")
            shown += 1
    if not shown:
        click.echo("Tidak ada baris yang ditolak.")


def _reject_json(row: RejectedRow) -> dict[str, Any]:
    return {
        "batch_id": row.batch_id, "kind": row.kind, "file": row.file_name, "line": row.line,
        "column": row.column, "message": row.message, "raw": row.raw,
    }


def register(group: click.Group) -> None:
    group.add_command(ingest)
    group.add_command(rejects)
