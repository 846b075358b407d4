"""How long a Prometheus scrape of Pantau takes at scale: N contracts (half linked to a registration,
a tenth with an open finding) in a fresh SQLite file; prints the cold scrape (per-contract figures
recomputed), a warm one (only the small tables re-read) and one after the cache expired.

    .venv/bin/python bench/metrics.py [--contracts 1000000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import insert

from monitor.bootstrap import bootstrap
from monitor.daemon.collector import DatabaseCollector
from monitor.models import CheckRun, Contract, Finding, MatchLink, Registration
from monitor.settings import Opd, Settings

OPDS = [f"OPD{i:02d}" for i in range(29)]


def populate(settings: Settings, contracts: int) -> None:
    app = bootstrap(settings)
    chunk = 50_000
    day = date(2026, 3, 2)
    now = datetime.now(UTC)
    with app.engine.begin() as conn:
        for start in range(0, contracts, chunk):
            ids = range(start + 1, min(start + chunk, contracts) + 1)
            conn.execute(insert(Contract), [
                dict(id=i, opd=OPDS[i % 29], opd_known=True, nomor_kontrak=f"{i}/SPK/2026", tanggal_kontrak=day,
                     nama_paket="Paket", penyedia="CV", nilai_kontrak=50_000_000 + (i % 977) * 7_000_000,
                     tanggal_selesai=day, row_hash="x") for i in ids])
            linked = [i for i in ids if i % 2 == 0]
            conn.execute(insert(Registration), [
                dict(id=i, nomor_registrasi=f"R{i}", nama_proyek="P", penyedia="CV", nilai_kontrak_terdaftar=1,
                     iuran_dibayar=100_000, tanggal_daftar=day, masa_awal=day, masa_akhir=day, status="aktif",
                     row_hash="x") for i in linked])
            conn.execute(insert(MatchLink), [
                dict(contract_id=i, registration_id=i, method="exact", score=1.0, details={}) for i in linked])
            conn.execute(insert(Finding), [
                dict(fingerprint=f"u{i}", rule="jakon.unregistered", severity="high", status="open",
                     opd=OPDS[i % 29], subject=f"{OPDS[i % 29]}|{i}/SPK/2026", title="t", amount_at_risk=1000,
                     details={}, content_hash="h", first_seen=day, last_seen=day, opened_at=now)
                for i in ids if i % 10 == 1])
        conn.execute(insert(CheckRun), [dict(as_of=day, started_at=now, finished_at=now, status="ok", counts={})])
    app.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="pantau-bench-metrics-"))
    settings = Settings(
        database={"url": f"sqlite:///{folder / 'bench.db'}"},  # type: ignore[arg-type]
        opd=tuple(Opd(code=code, name=code) for code in OPDS),
    )
    started = time.perf_counter()
    populate(settings, args.contracts)
    print(f"populated {args.contracts:,} contracts in {time.perf_counter() - started:.1f} s ({folder})")
    app = bootstrap(settings, migrate=False)
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(app, ttl=0.0))
    for label in ("cold scrape (per-contract figures)", "warm scrape (small tables only)"):
        started = time.perf_counter()
        size = len(generate_latest(registry))
        print(f"{label}: {time.perf_counter() - started:.2f} s, {size:,} bytes")
    # As the daemon runs it: the per-contract figures are recomputed in the background after a check.
    collector = DatabaseCollector(app, ttl=0.0, background=True)
    background = CollectorRegistry()
    background.register(collector)
    generate_latest(background)
    started = time.perf_counter()
    collector.wait_for_background()
    print(f"daemon: background recomputation {time.perf_counter() - started:.2f} s; ", end="")
    started = time.perf_counter()
    generate_latest(background)
    print(f"a scrape meanwhile or after {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
