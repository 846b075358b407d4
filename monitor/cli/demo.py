"""``pantau demo-data``: write a realistic Kota Jambi fiscal year, with its ground truth."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import cast

import click

from monitor.demo import DEFAULT_AS_OF, DEFAULT_CONTRACTS, DEFAULT_SEED, FORMATS, fiscal_year, write_demo
from monitor.demo.plan import NOISES
from monitor.demo.spse import write_spse_demo
from monitor.demo.writer import AUTO_CSV_ABOVE, Format
from monitor.regulation.wording import tanggal

_KIND_NAMES = {
    "contracts": "kontrak",
    "registrations": "registrasi BPJS",
    "addenda": "adendum",
    "payments": "SP2D",
    "agreements": "MoU/PKS",
    "kampung": "kegiatan Kampung Bahagia",
}


@click.command("demo-data")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--contracts", "-n", type=click.IntRange(min=0), default=DEFAULT_CONTRACTS, show_default=True,
              help="Jumlah kontrak dalam setahun.")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="Benih acak: benih yang sama selalu menulis tahun yang sama.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              default=DEFAULT_AS_OF.isoformat(), show_default=True,
              help="Tanggal demo: data sampai sehari sebelumnya; temuan per tanggal ini.")
@click.option("--format", "fmt", type=click.Choice([*FORMATS, "spse"]), default="auto", show_default=True,
              help=f"auto: registrasi dan perjanjian sebagai XLSX, sisanya CSV (semua CSV di atas "
                   f"{AUTO_CSV_ABOVE:,} kontrak); csv atau xlsx: semua berkas begitu; spse: kontrak dan "
                   f"adendum sebagai dataset SPSE (JSON ISB dan CSV INAPROC), sisanya seperti auto.")
@click.option("--noise", type=click.Choice(sorted(NOISES)), default="normal", show_default=True,
              help="normal: salah ketik petugas seperti biasa; high: tahun yang lebih ceroboh — registrasi atas "
                   "nama KSO, anggota KSO atau perusahaan lain, lebih banyak NPWP dan nomor kontrak kosong, lebih "
                   "banyak nomor SPK yang sama di beberapa OPD.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Proses yang menulis CSV secara paralel (bawaan: satu per CPU, paling banyak 4).")
def demo_data(out_dir: Path, contracts: int, seed: int, as_of: date, fmt: str, noise: str,
              workers: int | None) -> None:
    """Tulis satu tahun anggaran demo Kota Jambi ke OUT_DIR.

    Kontrak, adendum, registrasi Jakon BPJS, SP2D, MoU/PKS dan kegiatan Kampung Bahagia, dalam
    format ekspor yang sebenarnya (CSV simpanan Excel dengan ';' dan Windows-1252, ekspor XLSX BPJS
    dengan baris judul, ...), dengan salah ketik petugas, registrasi terlambat dan kurang bayar,
    serta beberapa baris rusak; ditambah ground_truth.json (tautan yang benar dan temuan yang
    harus dilaporkan) dan opd.toml (direktori OPD, untuk `opd_file`).
    """
    day = as_of.date() if isinstance(as_of, datetime) else as_of
    started = time.monotonic()
    if fmt == "spse":
        written = write_spse_demo(out_dir, contracts=contracts, seed=seed, as_of=day, noise=noise)
    else:
        written = write_demo(out_dir, contracts=contracts, seed=seed, as_of=day, fmt=cast(Format, fmt),
                             workers=workers, noise=noise)
    elapsed = time.monotonic() - started
    paths, summary = written.paths, written.summary
    click.echo(f"Tahun anggaran {fiscal_year(day)} Kota Jambi (data per {tanggal(day)}, seed {seed}) "
               f"ditulis ke {out_dir} dalam {elapsed:.1f} detik:")
    for kind, name in _KIND_NAMES.items():
        if kind not in paths:
            continue
        bad = len(summary["malformed"].get(kind, []))
        rows = f"{summary['rows'][kind]:,}".replace(",", ".")
        click.echo(f"  {paths[kind].name:<20} {rows:>9} baris {name}" + (f" + {bad} baris rusak" if bad else ""))
    for name, path in paths.items():
        if name.startswith("spse:"):
            click.echo(f"  {path.name:<26} dataset SPSE (pantau ingest spse)")
    click.echo(f"  {paths['truth'].name:<20} kunci jawaban (tautan, skenario, temuan yang diharapkan)")
    click.echo(f"  {paths['opd'].name:<20} direktori OPD (untuk opd_file)")


def register(group: click.Group) -> None:
    group.add_command(demo_data)
