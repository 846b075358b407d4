"""Import benchmark: 1,000,000 contracts and 1,000,000 BPJS registrations from CSV into SQLite.

    .venv/bin/python bench/ingest.py                 # generate both files in a temporary folder
    .venv/bin/python bench/ingest.py --rows 200000   # smaller
    .venv/bin/python bench/ingest.py --contracts k.csv --registrations r.csv   # your own files
    .venv/bin/python bench/ingest.py --url postgresql://pantau@127.0.0.1:5432/empty   # into PostgreSQL

Prints rows/s per file, the total time and the peak RSS of the importer and of its parse worker
(files this large are parsed by a forked worker process while the importer writes). Target
(issue 2): both files in <= 60 s together with peak RSS <= 1 GB on a 2-core machine. ``--again``
imports both files a second time (nothing changes: the idempotent path).

The files look like real exports: contracts as Excel saves them on Indonesian Windows
(Windows-1252, ``;``, ``Rp 1.250.000.000,00``, ``25/03/2026``), registrations as a BPJS export
(UTF-8, ``,``, title rows above upper-case headers, ``25 Maret 2026``, "KARYA ABADI, PT").
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.bootstrap import App, bootstrap
from monitor.ingest import ingest_file
from monitor.settings import Settings

OPDS = [
    ("PUPR", "Dinas Pekerjaan Umum dan Penataan Ruang", "Dinas PUPR"),
    ("PERKIM", "Dinas Perumahan dan Kawasan Permukiman", "Dinas Perkim"),
    ("DISDIK", "Dinas Pendidikan", "Disdik"),
    ("DINKES", "Dinas Kesehatan", "Dinkes"),
    ("RSUD", "RSUD H. Abdul Manap", "RSUD Abdul Manap"),
    ("DLH", "Dinas Lingkungan Hidup", "DLH"),
    ("DISHUB", "Dinas Perhubungan", "Dishub"),
    ("DPMPTSP", "Dinas Penanaman Modal dan PTSP", "DPMPTSP"),
    ("BPBD", "Badan Penanggulangan Bencana Daerah", "BPBD"),
    ("DISPORAPAR", "Dinas Pemuda Olahraga dan Pariwisata", "Disporapar"),
]
KECAMATAN = {
    "Kota Baru": ["Kenali Asam Atas", "Kenali Asam Bawah", "Simpang III Sipin", "Suka Karya"],
    "Telanaipura": ["Telanaipura", "Buluran Kenali", "Teluk Kenali", "Penyengat Rendah"],
    "Jambi Selatan": ["Pakuan Baru", "Tambak Sari", "Wijaya Pura", "Pasir Putih"],
    "Alam Barajo": ["Mayang Mangurai", "Kenali Besar", "Bagan Pete", "Beliung"],
    "Pasar Jambi": ["Pasar Jambi", "Orang Kayo Hitam", "Beringin", "Sungai Asam"],
}
WORKS = ["Pembangunan", "Rehabilitasi", "Peningkatan", "Pemeliharaan", "Normalisasi", "Pengaspalan"]
OBJECTS = ["Jalan Lingkungan", "Drainase", "Gedung Kantor", "Ruang Kelas SD Negeri", "Puskesmas Pembantu",
           "Jembatan", "Masjid Syara’ Al-Ikhlas", "Saluran Air", "Turap", "Pasar"]
COMPANIES = ["Karya Abadi", "Bumi Jaya", "Sinar Jambi", "Batanghari Konstruksi", "Mandiri Utama", "Tanjung Raya",
             "Sumber Rezeki", "Putra Kenali", "Angso Duo", "Pinang Masak"]
BULAN = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
         "November", "Desember"]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def _rupiah(value: int, style: int) -> str:
    dotted = f"{value:,}".replace(",", ".")
    return (str(value), dotted, f"{dotted},00", f"Rp {dotted},-", f"Rp. {dotted},00")[style % 5]


def write_contracts(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    places = [(kec, kel) for kec, kels in KECAMATAN.items() for kel in kels]
    start = date(2026, 1, 2)
    header = ("Kode RUP;No. Kontrak;Tgl Kontrak;Satker;Nama Paket;Nama Penyedia;NPWP;Nilai Kontrak (Rp);"
              "Tgl SPMK;Tgl Selesai;Sumber Dana;Jenis Pekerjaan;Tahun Anggaran;Kecamatan;Kelurahan\r\n")
    with path.open("w", encoding="cp1252", newline="") as fh:
        fh.write(header)
        out = []
        for i in range(rows):
            code, name, alias = OPDS[i % len(OPDS)]
            signed = start + timedelta(days=rng.randrange(330))
            begin = signed + timedelta(days=rng.randrange(14))
            end = begin + timedelta(days=60 + rng.randrange(180))
            kec, kel = places[rng.randrange(len(places))]
            value = rng.randrange(50, 25_000) * 100_000
            out.append(";".join((
                str(40_000_000 + i),
                f"{i:07d}/SPK/{code}/{ROMAN[signed.month - 1]}/2026",
                signed.strftime("%d/%m/%Y"),
                (code, name, alias)[i % 3],
                f"{rng.choice(WORKS)} {rng.choice(OBJECTS)} RT {rng.randrange(1, 40)} Kelurahan {kel}",
                f"{('CV', 'PT')[i % 2]} {rng.choice(COMPANIES)}",
                f"0{rng.randrange(10**7, 10**8)}{rng.randrange(10**6, 10**7)}"[:15] if i % 4 else "",
                _rupiah(value, i),
                begin.strftime("%d/%m/%Y"),
                f"{end.day} {BULAN[end.month - 1]} {end.year}",
                "APBD",
                ("Konstruksi", "konsultansi")[i % 7 == 0],
                "2026",
                kec,
                kel,
            )))
            if len(out) == 10_000:
                fh.write("\r\n".join(out) + "\r\n")
                out.clear()
        if out:
            fh.write("\r\n".join(out) + "\r\n")


def write_registrations(path: Path, rows: int, seed: int = 2) -> None:
    rng = random.Random(seed)
    start = date(2026, 1, 5)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("LAPORAN KEPESERTAAN JASA KONSTRUKSI,,,,,,,,,,,\r\n")
        fh.write("BPJS KETENAGAKERJAAN CABANG JAMBI,,,,,,,,,,,\r\n")
        fh.write(",,,,,,,,,,,\r\n")
        fh.write("NO REGISTRASI,NPP,NO KONTRAK,NAMA PROYEK,NAMA PERUSAHAAN,NPWP,NILAI PROYEK,IURAN,"
                 "TGL DAFTAR,MASA KONTRAK AWAL,MASA KONTRAK AKHIR,STATUS\r\n")
        out = []
        for i in range(rows):
            code = OPDS[i % len(OPDS)][0]
            registered = start + timedelta(days=rng.randrange(330))
            begin = registered - timedelta(days=rng.randrange(20))
            end = begin + timedelta(days=60 + rng.randrange(180))
            value = rng.randrange(50, 25_000) * 100_000
            out.append(",".join((
                f"JK{26_000_000_000 + i}",
                f"NN{rng.randrange(10**7, 10**8)}",
                "" if i % 9 == 0 else f"{i:07d}/SPK-{code}/{ROMAN[begin.month - 1]}/2026",
                f'"{rng.choice(WORKS).upper()} {rng.choice(OBJECTS).upper()}"',
                f'"{rng.choice(COMPANIES).upper()}, {("CV", "PT")[i % 2]}"',
                f"0{rng.randrange(10**7, 10**8)}{rng.randrange(10**6, 10**7)}"[:15],
                str(value),
                str(value * 24 // 10_000),
                f"{registered.day} {BULAN[registered.month - 1]} {registered.year}",
                begin.strftime("%d/%m/%Y"),
                end.strftime("%d/%m/%Y"),
                "AKTIF",
            )))
            if len(out) == 10_000:
                fh.write("\r\n".join(out) + "\r\n")
                out.clear()
        if out:
            fh.write("\r\n".join(out) + "\r\n")


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the parse worker)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _import(app: App, kind: str, path: Path) -> float:
    began, cpu = time.perf_counter(), _cpu()
    report = ingest_file(app, kind, path)
    seconds, cpu = time.perf_counter() - began, _cpu() - cpu
    print(f"{kind:14} {report.rows:>9,} rows  {seconds:6.1f} s  {report.rows / seconds:>9,.0f} rows/s  "
          f"(CPU {cpu:.1f} s; inserted {report.inserted:,}, updated {report.updated:,}, "
          f"unchanged {report.unchanged:,}, rejected {report.rejected:,})")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per generated file")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--contracts", type=Path, default=None, help="use this contracts CSV")
    parser.add_argument("--registrations", type=Path, default=None, help="use this registrations CSV")
    parser.add_argument("--again", action="store_true", help="then import both files again")
    parser.add_argument("--url", default=None, help="an empty database (default: SQLite in the work folder)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pantau-bench-") as scratch:
        work = args.dir or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        files = {"contracts": args.contracts, "registrations": args.registrations}
        writers = {"contracts": write_contracts, "registrations": write_registrations}
        for kind, given in files.items():
            if given is None:
                target = work / f"{kind}.csv"
                began = time.perf_counter()
                writers[kind](target, args.rows)
                print(f"generated {target} ({target.stat().st_size / 1e6:.0f} MB) "
                      f"in {time.perf_counter() - began:.1f} s")
                files[kind] = target

        database = work / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        settings = Settings.model_validate({
            "database": {"url": args.url or f"sqlite:///{database}"},
            "opd": [{"code": c, "name": n, "aliases": [a]} for c, n, a in OPDS],
        })
        app = bootstrap(settings)
        load = os.getloadavg()[0]  # other work on the machine slows the figures down
        rss_before = peak_rss_mb()
        total = 0.0
        try:
            for kind, path in files.items():
                assert path is not None
                total += _import(app, kind, path)
            print(f"total          {total:6.1f} s   (target <= 60 s; load average before: {load:.1f})")
            if args.again:
                again = sum(_import(app, kind, path) for kind, path in files.items() if path is not None)
                print(f"re-import      {again:6.1f} s")
        finally:
            app.dispose()
        # Large files are parsed by a forked worker: count the largest one too.
        print(f"peak RSS       {peak_rss_mb():6.0f} MB importer + {peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB "
              f"parse worker (target <= 1024 MB; {rss_before:.0f} MB before importing)")


if __name__ == "__main__":
    main()
