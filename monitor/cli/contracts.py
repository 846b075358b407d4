"""``pantau contracts``: the imported contracts as they stand (latest addendum applied), in scope or
not, complete or not; ``pantau contracts scope``: a human's decision on one contract's scope."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, date, tzinfo
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import and_, func, insert, select, update

from monitor.check.context import load_current_terms
from monitor.cli.common import EXIT_FAILED, CliContext, pass_cli
from monitor.cli.common import actor as actor_name
from monitor.cli.export import write_csv, write_json
from monitor.models import Contract, ScopeDecision, aware, utcnow
from monitor.regulation.wording import rupiah, tanggal

EXPORT_FIELDS = ("opd", "nomor_kontrak", "nama_paket", "penyedia", "npwp_penyedia", "nilai_kontrak",
                 "tanggal_kontrak", "tanggal_mulai", "tanggal_selesai", "jenis_pekerjaan", "in_scope", "scope_reason",
                 "complete", "source", "kd_tender", "kd_nontender", "ocid", "scope_guessed", "scope_override",
                 "sumber_tanggal_selesai", "nilai_kontrak_sen", "nama_ppk", "nip_ppk", "anggota_kso")
SOURCE_IDS = ("kd_tender", "kd_nontender", "ocid")


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def contract_rows(conn: Any, opd: str | None, scope: str, incomplete: bool,
                  tz: tzinfo = UTC) -> Iterator[dict[str, Any]]:
    """The contracts, as the check would read them (value and end of the latest addendum); ``in_scope``
    is the effective scope (a human's override wins over the source's)."""
    c = Contract.__table__.c
    effective = func.coalesce(c.scope_override, c.in_scope)
    where = []
    if opd is not None:
        where.append(c.opd == opd)
    if scope != "all":
        where.append(effective.is_(scope == "in"))
    if incomplete:
        where.append(c.complete.is_(False))
    terms = load_current_terms(conn)
    decided = latest_decisions(conn)
    statement = select(Contract.__table__).where(and_(True, *where)).order_by(c.opd, c.nomor_kontrak)
    for row in conn.execute(statement).mappings():
        current = terms.get((row["opd"], row["nomor_kontrak"]))
        nilai = row["nilai_kontrak"] if current is None or current.nilai is None else current.nilai
        selesai = row["tanggal_selesai"] if current is None or current.tanggal_selesai is None \
            else current.tanggal_selesai
        override = row["scope_override"]
        yield {
            "opd": row["opd"], "nomor_kontrak": row["nomor_kontrak"], "nama_paket": row["nama_paket"],
            "penyedia": row["penyedia"], "npwp_penyedia": row["npwp_penyedia"], "nilai_kontrak": nilai,
            "tanggal_kontrak": _iso(row["tanggal_kontrak"]), "tanggal_mulai": _iso(row["tanggal_mulai"]),
            "tanggal_selesai": _iso(selesai), "jenis_pekerjaan": row["jenis_pekerjaan"],
            "in_scope": bool(row["in_scope"] if override is None else override),
            "scope_reason": row["scope_reason"] if override is None else _manual(override, decided.get(row["id"]), tz),
            "complete": bool(row["complete"]), "source": row["source"],
            **{name: row[name] for name in SOURCE_IDS},
            "scope_guessed": bool(row["scope_guessed"]), "scope_override": override,
            "sumber_tanggal_selesai": row["sumber_tanggal_selesai"], "nilai_kontrak_sen": row["nilai_kontrak_sen"],
            "nama_ppk": row["nama_ppk"], "nip_ppk": row["nip_ppk"],
            "anggota_kso": row["anggota_kso"].split("\n") if row["anggota_kso"] else [],
        }


def _encode(name: str, value: Any) -> Any:
    """A CSV cell: a consortium's members separated by semicolons (as SPSE's anggota_kso writes them)."""
    return "; ".join(value) if name == "anggota_kso" else value


def _manual(override: bool, decision: Any, tz: tzinfo) -> str:
    said = "ditetapkan manual: " + ("dalam" if override else "di luar") + " lingkup"
    if decision is None:  # set before decisions were recorded (migration 0007)
        return said
    return f"{said} ({decision.actor}, {tanggal(aware(decision.at).astimezone(tz).date())}): {decision.reason}"


@click.group("contracts", invoke_without_command=True)
@click.option("--opd", default=None, help="Hanya kontrak OPD ini (kode direktori).")
@click.option("--scope", "scope", type=click.Choice(["in", "out", "all"]), default="all", show_default=True,
              help="in: dalam lingkup Jakon (konstruksi, konsultansi); out: di luar lingkup (tidak diperiksa).")
@click.option("--incomplete", is_flag=True, help="Hanya kontrak yang belum lengkap (tanggal selesai belum diketahui).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_context
def contracts_group(ctx: click.Context, opd: str | None, scope: str, incomplete: bool, fmt: str) -> None:
    """Daftar kontrak yang diimpor, sebagaimana berlaku (adendum terakhir diterapkan)."""
    if ctx.invoked_subcommand is not None:
        return
    obj: CliContext = ctx.find_object(CliContext)  # type: ignore[assignment]
    with obj.app.engine.connect() as conn:
        rows = contract_rows(conn, opd, scope, incomplete, obj.settings.tz)
        {"json": write_json, "csv": lambda r: write_csv(r, EXPORT_FIELDS, _encode), "table": _write_table}[fmt](rows)


def _write_table(rows: Iterable[dict[str, Any]]) -> None:
    table = Table(header_style="bold")
    for header, justify in (("OPD", "left"), ("Nomor kontrak", "left"), ("Nama paket", "left"),
                            ("Penyedia", "left"), ("Nilai", "right"), ("Tgl kontrak", "left"), ("Selesai", "left"),
                            ("Lingkup", "left"), ("Sumber", "left")):
        table.add_column(header, justify=justify, overflow="fold")  # type: ignore[arg-type]
    count = 0
    for row in rows:
        count += 1
        end = tanggal(date.fromisoformat(row["tanggal_selesai"])) if row["tanggal_selesai"] else "belum diketahui"
        scope = ("ya" if row["in_scope"] else "tidak") + (" (tebakan)" if row["scope_guessed"] else "")
        ids = ", ".join(f"{name} {row[name]}" for name in SOURCE_IDS if row[name])
        table.add_row(row["opd"], row["nomor_kontrak"], row["nama_paket"], row["penyedia"] or "-",
                      rupiah(row["nilai_kontrak"]), tanggal(date.fromisoformat(row["tanggal_kontrak"])), end, scope,
                      row["source"] + (f" ({ids})" if ids else ""))
    console = Console(file=sys.stdout, markup=False, highlight=False, width=None if sys.stdout.isatty() else 200)
    if count:
        console.print(table)
    console.print(f"{count:,} kontrak.".replace(",", "."))


@contracts_group.command("scope")
@click.argument("opd")
@click.argument("nomor_kontrak")
@click.option("--in", "decision", flag_value="in", help="Periksa kontrak ini (dalam lingkup Jakon).")
@click.option("--out", "decision", flag_value="out", help="Jangan periksa kontrak ini (di luar lingkup).")
@click.option("--clear", "decision", flag_value="clear", help="Hapus keputusan manual: sumber data yang menentukan.")
@click.option("--reason", default=None, help="Alasan keputusan (wajib untuk --in, --out, --clear).")
@click.option("--actor", default=None, help="Siapa yang memutuskan (bawaan: nama login).")
@click.option("--history", is_flag=True, help="Tampilkan riwayat keputusan lingkup kontrak ini.")
@pass_cli
def scope_command(obj: CliContext, opd: str, nomor_kontrak: str, decision: str | None, reason: str | None,
                  actor: str | None, history: bool) -> None:
    """Tetapkan lingkup satu kontrak (OPD NOMOR_KONTRAK), dengan alasan; keputusan ini tetap berlaku
    setelah setiap impor dan dicatat dalam riwayat (siapa, kapan, mengapa)."""
    if decision is None and not history:
        raise click.UsageError("pilih --in, --out atau --clear (atau --history)")
    if decision is not None and not (reason or "").strip():
        raise click.UsageError("--reason wajib diisi: tulis mengapa lingkup kontrak ini ditetapkan manual")
    with obj.app.engine.begin() as conn:
        found = conn.execute(select(Contract.id, Contract.scope_override).where(
            Contract.opd == opd, Contract.nomor_kontrak == nomor_kontrak)).one_or_none()
        if found is None:
            click.echo(f"Kontrak {opd} {nomor_kontrak!r} tidak ada.", err=True)
            sys.exit(EXIT_FAILED)
        if decision is not None:
            value = {"in": True, "out": False, "clear": None}[decision]
            conn.execute(update(Contract).where(Contract.id == found.id).values(scope_override=value))
            conn.execute(insert(ScopeDecision).values(
                contract_id=found.id, at=utcnow(), actor=actor_name(actor), decision=value, before=found.scope_override,
                reason=" ".join((reason or "").split())))
            said = {"in": "dalam lingkup (diperiksa)", "out": "di luar lingkup (tidak diperiksa)",
                    "clear": "ditentukan sumber data lagi"}[decision]
            click.echo(f"Kontrak {opd} {nomor_kontrak}: {said}.")
        if history:
            tz = obj.settings.tz
            for event in conn.execute(select(ScopeDecision.__table__).where(ScopeDecision.contract_id == found.id)
                                      .order_by(ScopeDecision.id)):
                click.echo(f"  {aware(event.at).astimezone(tz):%Y-%m-%d %H:%M} {event.actor}: "
                           f"{_said(event.before)} → {_said(event.decision)} ({event.reason})")


def _said(override: bool | None) -> str:
    return {True: "dalam lingkup", False: "di luar lingkup", None: "menurut sumber"}[override]


def latest_decisions(conn: Any) -> dict[int, Any]:
    """contract id -> its latest scope decision (for the reason shown beside an override)."""
    d = ScopeDecision.__table__.c
    latest = select(func.max(d.id)).group_by(d.contract_id).scalar_subquery()
    return {row.contract_id: row for row in conn.execute(select(d.contract_id, d.actor, d.at, d.reason)
                                                         .where(d.id.in_(latest)))}


def register(group: click.Group) -> None:
    group.add_command(contracts_group)
