"""``pantau match confirm|reject`` (human decisions on links) and ``pantau matches`` (the links)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from monitor.cli.common import EXIT_FAILED, CliContext, pass_cli
from monitor.cli.common import actor as actor_name
from monitor.cli.export import write_csv, write_json
from monitor.db import transaction
from monitor.matching import DecisionError, record_decision
from monitor.matching.store import load_links
from monitor.settings import Settings

EXPORT_FIELDS = ("opd", "nomor_kontrak", "nomor_registrasi", "method", "score", "evidence", "other_name")
# The evidence that decided a link (monitor.matching.evidence.decided_by), as a reviewer reads it.
EVIDENCE_TEXT = {"number": "nomor", "value": "nilai", "dates": "tanggal", "vendor": "penyedia",
                 "consortium_member": "anggota KSO", "npwp": "NPWP", "title": "nama paket"}
OTHER_NAME_TEXT = "penyedia berbeda"
METHODS = ("exact", "normalized", "npwp", "fuzzy", "manual")


class Failed(click.ClickException):
    exit_code = EXIT_FAILED


def resolve_opd(settings: Settings, given: str) -> str:
    """The directory code for an OPD named by code, name or alias (any case); text outside the
    directory is kept as given, as the import keeps it for unknown OPDs."""
    wanted = given.strip().casefold()
    for opd in settings.opd:
        if wanted in {label.casefold().strip() for label in (opd.code, opd.name, *opd.aliases)}:
            return opd.code
    return given.strip()


@click.group("match")
def match_group() -> None:
    """Putuskan tautan kontrak dengan registrasi Jakon secara manual."""


def _decide(obj: CliContext, decision: str, opd: str, nomor_kontrak: str, nomor_registrasi: str,
            note: str | None, actor: str | None) -> None:
    code = resolve_opd(obj.settings, opd)
    try:
        with transaction(obj.app.sessions) as session:
            recorded = record_decision(session, code, nomor_kontrak, nomor_registrasi, decision, actor_name(actor),
                                       note)
    except DecisionError as exc:
        raise Failed(str(exc)) from exc
    d = recorded.decision
    pair = f"kontrak {d.opd}|{d.nomor_kontrak} ↔ registrasi {d.nomor_registrasi}"
    if decision == "confirm":
        click.echo(f"Dikonfirmasi: {pair}. Tautan manual ini menang atas pencocokan otomatis di setiap pemeriksaan.")
    else:
        click.echo(f"Ditolak: {pair}. Pasangan ini tidak akan ditautkan lagi oleh pencocokan otomatis.")
    if recorded.replaced and recorded.replaced != decision:
        click.echo(f"Keputusan sebelumnya untuk pasangan ini ({recorded.replaced}) diganti.")
    for other in recorded.overridden:
        click.echo(f"Konfirmasi lama {other} dikalahkan keputusan ini.")
    click.echo("Temuan diperbarui pada pemeriksaan berikutnya (pantau check).")


_note = click.option("--note", default=None, help="Alasan (disimpan bersama keputusan).")
_actor_option = click.option("--actor", default=None, help="Siapa yang memutuskan (bawaan: nama login).")


@match_group.command("confirm")
@click.argument("opd")
@click.argument("nomor_kontrak")
@click.argument("nomor_registrasi")
@_note
@_actor_option
@pass_cli
def confirm_command(obj: CliContext, opd: str, nomor_kontrak: str, nomor_registrasi: str, note: str | None,
                    actor: str | None) -> None:
    """Tautkan kontrak ke registrasi, apa pun penilaian pencocok otomatis."""
    _decide(obj, "confirm", opd, nomor_kontrak, nomor_registrasi, note, actor)


@match_group.command("reject")
@click.argument("opd")
@click.argument("nomor_kontrak")
@click.argument("nomor_registrasi")
@_note
@_actor_option
@pass_cli
def reject_command(obj: CliContext, opd: str, nomor_kontrak: str, nomor_registrasi: str, note: str | None,
                   actor: str | None) -> None:
    """Jangan pernah tautkan kontrak ini ke registrasi ini."""
    _decide(obj, "reject", opd, nomor_kontrak, nomor_registrasi, note, actor)


@click.command("matches")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--opd", default=None, help="Hanya OPD ini (kode, nama atau alias).")
@click.option("--method", type=click.Choice(METHODS), default=None, help="Hanya tautan yang dibuat dengan cara ini.")
@click.option("--weakest-first", is_flag=True,
              help="Urutkan dari skor terendah: tautan yang paling perlu ditinjau lebih dulu.")
@pass_cli
def matches_command(obj: CliContext, fmt: str, opd: str | None, method: str | None, weakest_first: bool) -> None:
    """Ekspor tautan dari pemeriksaan terakhir (dan keputusan manual sesudahnya), dengan bukti yang
    memutuskan tiap tautan (nomor, nilai, tanggal, penyedia atau anggota KSO, NPWP, nama paket)."""
    code = None if opd is None else resolve_opd(obj.settings, opd)
    with obj.app.sessions() as session:
        rows = load_links(session, opd=code, method=method, weakest_first=weakest_first)
        {"json": write_json, "csv": _write_csv, "table": _write_table}[fmt](rows)


def evidence_text(row: dict[str, Any]) -> str:
    """``nomor, nilai, tanggal, anggota KSO; penyedia berbeda``: what decided, in a reviewer's words."""
    said = ", ".join(EVIDENCE_TEXT.get(item, item) for item in row["evidence"])
    if row["other_name"]:
        said = f"{said}; {OTHER_NAME_TEXT}" if said else OTHER_NAME_TEXT
    return said


def _write_csv(rows: Iterable[dict[str, Any]]) -> None:
    write_csv(rows, EXPORT_FIELDS, lambda name, value: "+".join(value) if name == "evidence" else value)


def _write_table(rows: Iterable[dict[str, Any]]) -> None:
    table = Table(header_style="bold")
    for header, justify in (("OPD", "left"), ("Nomor kontrak", "left"), ("Nomor registrasi", "left"),
                            ("Cara", "left"), ("Skor", "right"), ("Bukti", "left")):
        table.add_column(header, justify=justify, overflow="fold")  # type: ignore[arg-type]
    count = 0
    for row in rows:
        count += 1
        table.add_row(row["opd"], row["nomor_kontrak"], row["nomor_registrasi"], row["method"], f"{row['score']:.3f}",
                      evidence_text(row))
    console = Console(file=sys.stdout, markup=False, highlight=False, width=None if sys.stdout.isatty() else 200)
    if count:
        console.print(table)
    console.print(f"{count:,} tautan.".replace(",", "."))


def register(group: click.Group) -> None:
    group.add_command(match_group)
    group.add_command(matches_command)
