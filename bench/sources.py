"""Real-source import benchmark: SPSE e-Kontrak rows as ISB JSON plus their SPMK rows, and an OCDS
release package, into SQLite (or the empty database ``--url`` names, e.g. PostgreSQL).

    .venv/bin/python bench/sources.py                      # 100,000 contracts, 100,000 releases
    .venv/bin/python bench/sources.py --rows 1000000 --releases 1000000   # the issue's size
    .venv/bin/python bench/sources.py --url postgresql://pantau@127.0.0.1:5432/empty

Prints the wall and CPU time per file, the peak RSS of this process and of its parse worker (their sum
bounds the whole process tree's). Targets (issue 15): 1,000,000 SPSE
contract rows plus their SPMK rows <= 60 s together, an OCDS package of 1,000,000 releases (~2 GB)
<= 120 s, each <= 1 GB peak RSS.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.bootstrap import App, bootstrap
from monitor.ingest.ocds.importer import ingest_ocds
from monitor.ingest.spse.importer import ingest_spse
from monitor.settings import Settings

SATKER = [("DINAS PEKERJAAN UMUM DAN PENATAAN RUANG", "PUPR"), ("DINAS KESEHATAN", "DINKES"),
          ("DINAS PENDIDIKAN", "DISDIK"), ("DINAS PERUMAHAN DAN KAWASAN PERMUKIMAN", "PERKIM")]
WORKS = ["Pembangunan", "Rehabilitasi", "Peningkatan Jalan", "Pemeliharaan Gedung", "Belanja Alat Tulis"]


def _iso(day: date) -> str:
    return f"{day.isoformat()}T00:00:00.000000Z"


def write_spse(folder: Path, rows: int, seed: int = 1) -> tuple[Path, Path]:
    rng = random.Random(seed)
    kontrak, spmk = folder / "kontrak.json", folder / "spmk.json"
    with kontrak.open("w", encoding="utf-8") as k, spmk.open("w", encoding="utf-8") as s:
        k.write("[")
        s.write("[")
        for i in range(rows):
            signed = date(2025, 1, 2) + timedelta(days=rng.randrange(330))
            satker, _ = SATKER[i % len(SATKER)]
            sep = "," if i else ""
            k.write(sep + json.dumps({
                "kd_tender": str(10_000_000 + i), "no_kontrak": f"{i}/SPK/PPK/{signed.month:02d}/2025",
                "tgl_kontrak": _iso(signed), "tgl_kontrak_awal": _iso(signed + timedelta(days=3)),
                "tgl_kontrak_akhir": _iso(signed), "nama_satker": satker,
                "nama_paket": f"{WORKS[i % len(WORKS)]} Paket {i}", "nama_penyedia": f"CV MITRA {i % 5000}",
                "npwp_penyedia": f"73.593.{i % 1000:03d}.1-443.000",
                "npwp_16_penyedia": f"073593{i % 1000:03d}1443000",
                "nilai_kontrak": f"{rng.randrange(50_000_000, 5_000_000_000)}.{rng.randrange(100):02d}",
                "versi_addendum": 0, "lingkup_pekerjaan": "<p>pekerjaan</p>",
            }))
            s.write(sep + json.dumps({
                "kd_tender": str(10_000_000 + i), "no_kontrak": f"{i}/SPK/PPK/{signed.month:02d}/2025",
                "no_spmk_spp": f"SPMK/{i}", "tgl_spmk_spp": _iso(signed + timedelta(days=3)),
                "tgl_mulai_pekerjaan": _iso(signed + timedelta(days=3)),
                "tgl_selesai_pekerjaan": _iso(signed + timedelta(days=93)), "waktu_penyelesaian": "90 Hari Kalender",
            }))
        k.write("]")
        s.write("]")
    return kontrak, spmk


def write_ocds(folder: Path, releases: int, seed: int = 2) -> Path:
    rng = random.Random(seed)
    path = folder / "ocds.json"
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"uri": "https://example.org/ocds.json", "version": "1.1", "publishedDate": "2025-12-01T00:00:00Z", '
                 '"releases": [')
        for i in range(releases):
            signed = date(2025, 1, 2) + timedelta(days=rng.randrange(330))
            satker, _ = SATKER[i % len(SATKER)]
            supplier = f"ID-NPWP-{i % 5000}"
            fh.write(("," if i else "") + json.dumps({
                "ocid": f"ocds-bench-{i}", "id": f"ocds-bench-{i}-01", "date": _iso(signed), "tag": ["contract"],
                "parties": [{"id": "B", "name": satker, "roles": ["buyer"]},
                            {"id": supplier, "name": f"CV MITRA {i % 5000}", "roles": ["supplier"],
                             "additionalIdentifiers": [{"scheme": "ID-NPWP", "id": f"73593{i % 1000:03d}1443000"}]}],
                "buyer": {"id": "B", "name": satker},
                "tender": {"id": str(i), "title": f"{WORKS[i % len(WORKS)]} Paket {i}",
                           "mainProcurementCategory": "works" if i % 5 else "goods"},
                "awards": [{"id": "a1", "suppliers": [{"id": supplier, "name": f"CV MITRA {i % 5000}"}]}],
                "contracts": [{"id": f"{i}/SPK/2025", "awardID": "a1", "dateSigned": _iso(signed),
                               "value": {"amount": rng.randrange(50_000_000, 5_000_000_000), "currency": "IDR"},
                               "period": {"startDate": _iso(signed), "endDate": _iso(signed + timedelta(days=90))},
                               "implementation": {"transactions": [
                                   {"id": f"SP2D-{i}", "date": _iso(signed + timedelta(days=40)),
                                    "value": {"amount": 1_000_000, "currency": "IDR"}}]}}],
            }))
        fh.write("]}")
    return path


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_peak_mb() -> float:
    """The largest peak of the parse worker processes so far (a file past 8 MB is parsed by one)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def timed(label: str, run: object) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    report = run()  # type: ignore[operator]
    print(f"{label}: {report.rows:,} read, {report.inserted:,} inserted, {report.out_of_scope:,} out of scope, "
          f"{report.rejected:,} rejected in {time.perf_counter() - wall:.1f} s wall, "
          f"{time.process_time() - cpu:.1f} s CPU here; peak RSS so far {peak_mb():.0f} MB here, "
          f"{worker_peak_mb():.0f} MB in the parse worker", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--releases", type=int, default=100_000)
    parser.add_argument("--url", default=None, help="an empty database (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pantau-bench-sources-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        kontrak, spmk = write_spse(folder, args.rows)
        ocds = write_ocds(folder, args.releases)
        print(f"files written in {time.perf_counter() - started:.1f} s: kontrak {kontrak.stat().st_size / 1e6:.0f} MB, "
              f"spmk {spmk.stat().st_size / 1e6:.0f} MB, ocds {ocds.stat().st_size / 1e6:.0f} MB", flush=True)
        settings = Settings.model_validate({
            "database": {"url": args.url or f"sqlite:///{folder / 'bench.db'}"},
            "opd": [{"code": code, "name": name.title()} for name, code in SATKER],
        })
        app: App = bootstrap(settings)
        timed("spse kontrak", lambda: ingest_spse(app, kontrak))
        timed("spse spmk", lambda: ingest_spse(app, spmk))
        timed("ocds release package", lambda: ingest_ocds(app, ocds))
        app.dispose()


if __name__ == "__main__":
    main()
