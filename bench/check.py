"""Benchmark of the check run (``pantau check``) at scale: time and peak memory. Not a test.

    .venv/bin/python bench/check.py [--contracts 1000000] [--seed 2026] [--db var/bench/check.db] [--fresh]

1. **Populate** (once; reused while the database file and its sidecar say the same size and seed): the
   demo generator's year (:mod:`monitor.demo`: the clerks' noise on contract numbers, vendor names, NPWPs
   and titles, split packages, orphans, addenda, SP2D) inserted straight into the tables with
   ``executemany``. The import has its own benchmark (``bench/ingest.py``).
2. **Check**, each in a fresh process so its peak RSS is the check's alone:
   - ``first``: every finding is new (the worst write load);
   - ``same day``: a re-run as of the same date, nothing changes (writes nothing to the findings);
   - ``next day``: every finding seen again, day counters refreshed.

The demo's contractors register as rarely as Kota Jambi's do; the bench makes them register at
``--registered`` (0.97) so there are about as many registrations as contracts, and types
``--fuzzy-share`` (6%) of the registrations without contract number and NPWP, on top of the demo's
own noise, so 5–10% of the links are left to the fuzzy stage.

Prints, per run: wall and CPU time (they differ on a busy machine; CPU includes the process the
engine forks to run most of the rules), the engine's phases (load, match, rules, wait, write), peak
RSS (of the run's process, and of the processes it forks, whose resident pages are mostly shared
with it), the run's peak RSS after each phase (which phase raised it), and the counts; then the links by
matching method.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select

from monitor import db
from monitor.bootstrap import bootstrap
from monitor.demo import DEFAULT_AS_OF, KINDS, opd_directory
from monitor.demo import generator as demo_generator
from monitor.demo.year import generate
from monitor.models import (
    Addendum,
    Agreement,
    Base,
    Contract,
    KampungActivity,
    MatchLink,
    Payment,
    Registration,
)
from monitor.settings import DatabaseSettings, Settings

TABLES = {"contracts": Contract, "addenda": Addendum, "registrations": Registration, "payments": Payment,
          "agreements": Agreement, "kampung": KampungActivity}
WITH_OPD = {"contracts", "addenda", "payments"}


def _settings(path: Path) -> Settings:
    return Settings(database=DatabaseSettings(url=f"sqlite:///{path}"))


def _more_registered(rate: float) -> None:
    """Make the demo's contractors register at ``rate`` (the demo uses Kota Jambi's real, low rates),
    so the registrations number about as many as the contracts."""
    # The demo's generator class decides per contract in register(job), from job.opd.register.
    generator: Any = next(cls for cls in vars(demo_generator).values() if isinstance(cls, type)
                     and cls.__module__ == demo_generator.__name__ and callable(getattr(cls, "register", None)))
    original = generator.register

    def register(self: Any, job: Any) -> None:
        if job.opd is not None:
            job.opd = dataclasses.replace(job.opd, register=rate)
        original(self, job)

    generator.register = register


def _hide_from_early_stages(row: dict[str, Any], rng: random.Random, share: float) -> None:
    """A registration typed without its contract number or NPWP: only the fuzzy stage can place it."""
    if rng.random() < share:
        row["nomor_kontrak"] = None
        row["npwp_penyedia"] = None


def populate(path: Path, contracts: int, seed: int, as_of: date, registered: float,
             fuzzy_share: float) -> dict[str, int]:
    """Generate the demo year chunk by chunk and insert it; returns rows per kind."""
    _more_registered(registered)
    rng = random.Random(seed)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    codes: dict[str, str] = {}
    for opd in opd_directory():
        for label in (opd["code"], opd["name"], *opd["aliases"]):
            codes[label.casefold().strip()] = opd["code"]
    rows = dict.fromkeys(KINDS, 0)
    for chunk in generate(contracts, seed, as_of):
        with engine.begin() as conn:
            for kind in KINDS:
                batch = chunk.rows[kind]
                if not batch:
                    continue
                records = []
                for row in batch:
                    record = {**row, "row_hash": "bench"}
                    if kind == "registrations":
                        _hide_from_early_stages(record, rng, fuzzy_share)
                    if kind in WITH_OPD:
                        code = codes.get(str(row["opd"]).casefold().strip())
                        record["opd"], record["opd_known"] = (code, True) if code else (row["opd"], False)
                    records.append(record)
                table = Base.metadata.tables[TABLES[kind].__tablename__]
                # Duplicates the import would merge (a re-typed row) are simply skipped here.
                conn.execute(insert(table).prefix_with("OR IGNORE"), records)
                rows[kind] += len(records)
    engine.dispose()
    return rows


def reset_results(path: Path) -> None:
    """Forget earlier runs' findings, links and runs, so the first run below is a first run again."""
    engine = db.make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for table in ("finding_event", "finding", "silence", "match_link", "check_run"):
            conn.execute(Base.metadata.tables[table].delete())
    engine.dispose()


def run_once(path: Path, as_of: date) -> dict[str, Any]:
    """One check run in this process (the child): its figures as a dict."""
    from monitor.check.run import run_check

    app = bootstrap(_settings(path), migrate=False)
    started = time.perf_counter()
    result = run_check(app, as_of)
    seconds = time.perf_counter() - started
    app.dispose()
    counts = dict(result.counts)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    worker = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = usage.ru_utime + usage.ru_stime + worker.ru_utime + worker.ru_stime
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 1),
            "peak_rss_mb": usage.ru_maxrss // 1024,
            # The processes the engine forks (the rules, the matcher's hashing; 0 if it did not fork):
            # the largest one's peak.
            "worker_peak_rss_mb": worker.ru_maxrss // 1024,
            "timings": counts.pop("timings", {}), "records": counts.pop("records", {}),
            "counts": {k: counts[k] for k in ("detected", "new", "reopened", "resolved", "refreshed", "seen_again",
                                               "links", "ambiguous")}}


def _child(path: Path, as_of: date) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--db", str(path), "--run", as_of.isoformat()],
                          check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", type=Path, default=Path("var/bench/check.db"))
    parser.add_argument("--registered", type=float, default=0.97,
                        help="share of contracts whose contractor registers (default 0.97)")
    parser.add_argument("--fuzzy-share", type=float, default=0.06,
                        help="extra share of registrations typed without contract number and NPWP (default 0.06)")
    parser.add_argument("--fresh", action="store_true", help="regenerate the data even if it is there")
    parser.add_argument("--run", type=date.fromisoformat, help=argparse.SUPPRESS)  # internal: the child process
    args = parser.parse_args()
    if args.run is not None:
        print(json.dumps(run_once(args.db, args.run)))
        return

    as_of = DEFAULT_AS_OF
    sidecar = Path(f"{args.db}.json")
    wanted = {"contracts": args.contracts, "seed": args.seed, "as_of": as_of.isoformat(),
              "registered": args.registered, "fuzzy_share": args.fuzzy_share}
    if args.fresh or not args.db.exists() or not sidecar.exists() or json.loads(sidecar.read_text())["data"] != wanted:
        started = time.perf_counter()
        rows = populate(args.db, args.contracts, args.seed, as_of, args.registered, args.fuzzy_share)
        sidecar.write_text(json.dumps({"data": wanted, "rows": rows}))
        print(f"populated {args.db} in {time.perf_counter() - started:.0f} s: {rows}")
    else:
        rows = json.loads(sidecar.read_text())["rows"]
        print(f"reusing {args.db}: {rows}")
        reset_results(args.db)

    for label, day in (("first", as_of), ("same day", as_of), ("next day", as_of + timedelta(days=1))):
        figures = _child(args.db, day)
        phases = {name: value for name, value in figures["timings"].items() if not name.endswith(("_cpu", "_mb"))}
        peaks = {name[:-8]: value for name, value in figures["timings"].items() if name.endswith("_peak_mb")}
        cpu = {name[:-4]: value for name, value in figures["timings"].items() if name.endswith("_cpu")}
        print(f"{label:9} as of {day}: {figures['seconds']:6.1f} s wall, {figures['cpu_seconds']:6.1f} s CPU, "
              f"peak RSS {figures['peak_rss_mb']} MB (forked processes {figures['worker_peak_rss_mb']} MB)"
              f"\n          phases (wall) {phases}\n          phases (CPU)  {cpu}"
              f"\n          peak RSS (MB) after each phase {peaks}"
              f"\n          {figures['counts']}")
    engine = db.make_engine(f"sqlite:///{args.db}")
    with engine.connect() as conn:
        methods: dict[str, int] = dict(
            conn.execute(select(MatchLink.method, func.count()).group_by(MatchLink.method)).tuples().all())
    engine.dispose()
    total = sum(methods.values()) or 1
    print("links by method: " + ", ".join(f"{m} {n} ({n / total:.1%})" for m, n in sorted(methods.items())))


if __name__ == "__main__":
    main()
