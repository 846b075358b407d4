"""The web interface at scale: N contracts (half linked), a tenth of them with an open finding, and one
OPD with 30,000 findings; served by the daemon's own HTTP stack (uvicorn, Starlette) on loopback and
measured over real HTTP:

- the city overview (``/kota``): cold (computed) and warm (cached);
- that OPD's page (``/opd/BIG``): the first page, and a page deep in its 30,000 findings;
- that OPD's full CSV, streamed;
- C concurrent clients browsing (overview, OPD pages, finding pages at random) for S seconds:
  requests, p50/p95/p99 and errors.

    .venv/bin/python bench/web.py [--contracts 1000000] [--clients 50] [--seconds 60] [--dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

# The project first: bench/alerts.py must not shadow the alerts package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prometheus_client import CollectorRegistry
from sqlalchemy import func, insert, select

from monitor.access import accounts
from monitor.bootstrap import bootstrap
from monitor.daemon.http import HttpServer
from monitor.db import transaction
from monitor.models import CheckRun, Contract, Finding, MatchLink, Registration
from monitor.settings import Opd, Settings

OPDS = ["BIG"] + [f"OPD{i:02d}" for i in range(28)]
BIG_FINDINGS = 30_000
PASSWORD = "kata-sandi-bench"


def populate(settings: Settings, contracts: int) -> int:
    """Write the records; returns the highest finding id."""
    app = bootstrap(settings)
    chunk = 50_000
    day = date(2026, 3, 2)
    now = datetime.now(UTC)
    finding_id = 0
    big_left = BIG_FINDINGS
    with app.engine.begin() as conn:
        for start in range(0, contracts, chunk):
            ids = range(start + 1, min(start + chunk, contracts) + 1)
            conn.execute(insert(Contract), [
                dict(id=i, opd=OPDS[i % 29], opd_known=True, nomor_kontrak=f"{i}/SPK/2026", tanggal_kontrak=day,
                     nama_paket=f"Rehabilitasi Jalan Blok {i}", penyedia="CV Karya", nilai_kontrak=50_000_000 + (
                         i % 977) * 7_000_000, tanggal_selesai=day, row_hash="x") for i in ids])
            linked = [i for i in ids if i % 2 == 0]
            conn.execute(insert(Registration), [
                dict(id=i, nomor_registrasi=f"R{i}", nama_proyek="P", penyedia="CV", nilai_kontrak_terdaftar=1,
                     iuran_dibayar=100_000, tanggal_daftar=day, masa_awal=day, masa_akhir=day, status="aktif",
                     row_hash="x") for i in linked])
            conn.execute(insert(MatchLink), [
                dict(contract_id=i, registration_id=i, method="exact", score=1.0, details={}) for i in linked])
            rows = []
            for i in ids:
                opd = OPDS[i % 29]
                # Every unlinked contract of BIG until it has its 30,000; a tenth of the others' contracts.
                if (opd == "BIG" and i % 2 == 1 and big_left > 0) or (opd != "BIG" and i % 10 == 1):
                    big_left -= opd == "BIG"
                    subject = f"{opd}|{i}/SPK/2026"
                    rows.append(dict(
                        fingerprint=f"u{i}", rule="jakon.unregistered", severity="high" if i % 3 else "critical",
                        status="open", opd=opd, subject=subject, amount_at_risk=120_000 + i % 1000,
                        title=f"Kontrak {i}/SPK/2026 belum didaftarkan ke BPJS Ketenagakerjaan: batas 27 Maret 2026 "
                              "terlewat 240 hari",
                        details={"opd": opd, "nomor_kontrak": f"{i}/SPK/2026", "nama_paket": f"Rehabilitasi Jalan "
                                 f"Blok {i}", "penyedia": "CV Karya", "nilai_kontrak": 100_000_000,
                                 "deadline": "2026-03-27", "days_overdue": 240, "required": 240_000,
                                 "tindakan": "PPK memastikan penyedia segera mendaftarkan proyek ke BPJS "
                                             "Ketenagakerjaan dan membayar iuran Jakon."},
                        content_hash="h", first_seen=day, last_seen=day, opened_at=now))
            conn.execute(insert(Finding), rows)
            finding_id += len(rows)
        conn.execute(insert(CheckRun), [dict(as_of=day, started_at=now, finished_at=now, status="ok", counts={})])
    with transaction(app.sessions) as session:
        accounts.add_user(session, settings, "bench", "bpkad", PASSWORD, opd=None, now=now)
    app.dispose()
    return finding_id


class Client:
    """One keep-alive HTTP/1.1 connection with the session cookie."""

    def __init__(self, port: int, cookie: str = "") -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = cookie

    def get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path, headers={"Cookie": self.cookie} if self.cookie else {})
        response = self.conn.getresponse()
        return response.status, response.read()

    def login(self) -> None:
        self.conn.request("GET", "/masuk")
        response = self.conn.getresponse()
        page = response.read().decode()
        self.cookie = response.headers["set-cookie"].split(";", 1)[0]
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        body = f"name=bench&password={PASSWORD}&csrf={csrf}"
        self.conn.request("POST", "/masuk", body=body, headers={
            "Cookie": self.cookie, "Content-Type": "application/x-www-form-urlencoded"})
        response = self.conn.getresponse()
        response.read()
        assert response.status == 303, response.status
        self.cookie = response.headers["set-cookie"].split(";", 1)[0]


def timed(client: Client, path: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    status, body = client.get(path)
    return time.perf_counter() - started, status, len(body)


def browse(port: int, cookie: str, findings: int, pages: int, until: float, out: list[tuple[float, int]]) -> None:
    client = Client(port, cookie)
    rng = random.Random()
    while time.perf_counter() < until:
        pick = rng.random()
        if pick < 0.2:
            path = "/kota"
        elif pick < 0.6:
            path = f"/opd/{rng.choice(OPDS)}?page={rng.randint(1, 20)}"
        elif pick < 0.7:
            path = f"/opd/BIG?page={rng.randint(1, pages)}"
        else:
            path = f"/temuan/{rng.randint(1, findings)}"
        try:
            seconds, status, _ = timed(client, path)
        except (OSError, http.client.HTTPException):
            seconds, status = 0.0, 0
            client = Client(port, cookie)
        out.append((seconds, status))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="pantau-bench-web-"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "web.key").write_text("k" * 48, encoding="utf-8")
    settings = Settings(
        database={"url": f"sqlite:///{folder / 'bench.db'}"},  # type: ignore[arg-type]
        opd=tuple(Opd(code=code, name=f"Dinas {code}") for code in OPDS),
        web={"enabled": True, "base_url": "http://127.0.0.1", "secret_key_file": folder / "web.key"},  # type: ignore[arg-type]
    )
    started = time.perf_counter()
    if (folder / "bench.db").exists():  # a --dir of an earlier run: measure its data again
        with bootstrap(settings, migrate=True).engine.connect() as conn:
            findings = int(conn.execute(select(func.max(Finding.id))).scalar_one())
        print(f"reusing {folder}: {findings:,} findings")
    else:
        findings = populate(settings, args.contracts)
        print(f"populated {args.contracts:,} contracts, {findings:,} findings ({BIG_FINDINGS:,} of OPD BIG) in "
              f"{time.perf_counter() - started:.1f} s ({folder})")

    app = bootstrap(settings, migrate=False)
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    server = HttpServer(app, CollectorRegistry())
    _, port = asyncio.run_coroutine_threadsafe(server.start("127.0.0.1", 0), loop).result(30)
    client = Client(port)
    client.login()
    size = app.settings.web.page_size
    pages = -(-BIG_FINDINGS // size)
    report: list[tuple[str, Any]] = []
    for label, path in (("city overview, cold", "/kota"), ("city overview, warm", "/kota"),
                        ("city overview, warm again", "/kota"),
                        ("OPD page 1 of 30,000 findings", "/opd/BIG"),
                        ("OPD page 1, again", "/opd/BIG"),
                        (f"OPD page {pages // 2} (deep)", f"/opd/BIG?page={pages // 2}"),
                        (f"OPD page {pages} (last)", f"/opd/BIG?page={pages}"),
                        ("finding page", "/temuan/1"),
                        ("OPD full CSV (streamed)", "/opd/BIG/findings.csv")):
        seconds, status, length = timed(client, path)
        assert status == 200, (path, status)
        report.append((label, f"{seconds:.3f} s ({length:,} bytes)"))
        print(f"{label}: {seconds:.3f} s, {length:,} bytes", flush=True)

    results: list[tuple[float, int]] = []
    wall, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    until = time.perf_counter() + args.seconds
    threads = [threading.Thread(target=browse, args=(port, client.cookie, findings, pages, until, results))
               for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall, after = time.perf_counter() - wall, resource.getrusage(resource.RUSAGE_SELF)
    used = after.ru_utime - cpu.ru_utime + after.ru_stime - cpu.ru_stime
    ok = sorted(seconds for seconds, status in results if status == 200)
    errors = sum(1 for _, status in results if status != 200)
    cuts = statistics.quantiles(ok, n=100) if len(ok) > 1 else [0.0] * 99
    print(f"{args.clients} clients for {args.seconds:g} s: {len(results):,} requests "
          f"({len(results) / args.seconds:.0f}/s), {errors} errors; p50 {cuts[49] * 1000:.0f} ms, "
          f"p95 {cuts[94] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms, max {ok[-1] * 1000 if ok else 0:.0f} ms; "
          f"wall {wall:.1f} s, CPU {used:.1f} s (server and clients, one process; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    asyncio.run_coroutine_threadsafe(server.close(), loop).result(30)
    app.dispose()


if __name__ == "__main__":
    main()
