"""``pantau report monev``: the monev meeting's report in HTML, PDF or XLSX."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from monitor.cli.common import EXIT_CONFIG, CliContext, pass_cli
from monitor.cli.common import actor as actor_name
from monitor.report import FORMATS, MonevParams, ReportError, write_monev

_DATE = click.DateTime(formats=["%Y-%m-%d"])


class BadRequest(click.ClickException):
    exit_code = EXIT_CONFIG


@click.group("report")
def report_group() -> None:
    """Laporan: monev kepatuhan Jakon."""


@report_group.command("monev")
@click.option("--as-of", type=_DATE, default=None, help="Batas data (YYYY-MM-DD). Bawaan: hari ini.")
@click.option("--period-start", type=_DATE, default=None,
              help="Awal periode. Bawaan: sehari setelah laporan final sebelumnya, atau awal tahun anggaran.")
@click.option("--period-end", type=_DATE, default=None, help="Akhir periode. Bawaan: batas data.")
@click.option("--format", "fmt", default="html", show_default=True, metavar="html|pdf|xlsx")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Berkas tujuan. Bawaan: [report] output_dir/monev-TANGGAL.FORMAT.")
@click.option("--final", is_flag=True, help="Simpan angka-angkanya sebagai pembanding monev berikutnya.")
@click.option("--actor", default=None, help="Siapa yang membuat laporan final (bawaan: nama login).")
@pass_cli
def monev_command(obj: CliContext, as_of: datetime | None, period_start: datetime | None,
                  period_end: datetime | None, fmt: str, output: Path | None, final: bool, actor: str | None) -> None:
    """Laporan monitoring dan evaluasi: ringkasan, hasil per OPD, matriks tindak lanjut, lampiran."""
    if fmt not in FORMATS:
        raise BadRequest(f"format {fmt!r} tidak dikenal; pilih dari: {', '.join(FORMATS)}")
    if output is not None and not output.parent.is_dir():
        raise BadRequest(f"folder {output.parent} tidak ada")
    params = MonevParams(as_of=as_of.date() if as_of else None,
                         period_start=period_start.date() if period_start else None,
                         period_end=period_end.date() if period_end else None, final=final)
    if output is None:
        directory = obj.settings.report.output_dir
        directory.mkdir(parents=True, exist_ok=True)
        stamp = (params.as_of or datetime.now(obj.settings.tz).date()).isoformat()
        output = directory / f"monev-{stamp}.{fmt}"
    try:
        write_monev(obj.app, params, {fmt: output}, actor=actor_name(actor))
    except ReportError as exc:
        raise BadRequest(str(exc)) from exc
    kind = "final (angka disimpan untuk monev berikutnya)" if final else "konsep"
    size = f"{output.stat().st_size:,}".replace(",", ".")
    click.echo(f"Laporan monev {kind} ditulis: {output} ({size} bita)")


def register(group: click.Group) -> None:
    group.add_command(report_group)
