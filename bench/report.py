"""Benchmark of the monev report (``pantau report monev``) at scale: time and peak memory per format. Not a test.

    .venv/bin/python bench/report.py [--contracts 1000000] [--db var/bench/report.db] [--fresh]

1. **Populate and check** (once; reused while the database and its sidecar say the same size): the check
   benchmark's data (``bench/check.py``: the demo year at ``--contracts``, 97% registered, 6% left to the
   fuzzy stage) and one check run, so the findings are those of ``bench/check.py`` (about 640k at 1M).
2. **Render**, each format in a fresh process so its peak RSS is its own: HTML (every list in full),
   XLSX (every list in full, constant memory), PDF (lists capped at ``[report] pdf_max_rows``).

Prints, per format: wall and CPU time, peak RSS, the file's size.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import check as check_bench

from monitor.bootstrap import bootstrap
from monitor.demo import DEFAULT_AS_OF
from monitor.report import MonevParams, write_monev

TARGETS = {"html": 30.0, "xlsx": 90.0, "pdf": 60.0}  # seconds, from the issue


def render_once(db: Path, fmt: str, out: Path) -> dict[str, float]:
    """One format in this process (the child)."""
    app = bootstrap(check_bench._settings(db), migrate=False)
    started = time.perf_counter()
    now = datetime(DEFAULT_AS_OF.year, DEFAULT_AS_OF.month, DEFAULT_AS_OF.day, 9, tzinfo=app.settings.tz)
    write_monev(app, MonevParams(as_of=DEFAULT_AS_OF), {fmt: out}, now=now)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    app.dispose()
    return {"seconds": round(seconds, 1), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_mb": usage.ru_maxrss // 1024, "megabytes": round(out.stat().st_size / 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", type=Path, default=Path("var/bench/report.db"))
    parser.add_argument("--formats", default="html,xlsx,pdf")
    parser.add_argument("--fresh", action="store_true", help="regenerate the data even if it is there")
    parser.add_argument("--render", help=argparse.SUPPRESS)  # internal: the child process
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render:
        print(json.dumps(render_once(args.db, args.render, args.out)))
        return

    sidecar = Path(f"{args.db}.json")
    wanted = {"contracts": args.contracts, "seed": args.seed, "as_of": DEFAULT_AS_OF.isoformat()}
    if args.fresh or not args.db.exists() or not sidecar.exists() or json.loads(sidecar.read_text())["data"] != wanted:
        started = time.perf_counter()
        rows = check_bench.populate(args.db, args.contracts, args.seed, DEFAULT_AS_OF, 0.97, 0.06)
        print(f"populated {args.db} in {time.perf_counter() - started:.0f} s: {rows}", flush=True)
        started = time.perf_counter()
        figures = check_bench._child(args.db, DEFAULT_AS_OF)
        print(f"checked in {time.perf_counter() - started:.0f} s: {figures['counts']}", flush=True)
        sidecar.write_text(json.dumps({"data": wanted, "rows": rows, "check": figures["counts"]}))
    else:
        print(f"reusing {args.db}: {json.loads(sidecar.read_text())}")
    for fmt in args.formats.split(","):
        out = args.db.with_name(f"{args.db.stem}-monev.{fmt}")  # two sizes side by side never share a file
        done = subprocess.run([sys.executable, __file__, "--db", str(args.db), "--render", fmt, "--out", str(out)],
                              check=True, capture_output=True, text=True)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        verdict = "ok" if figures["seconds"] <= TARGETS[fmt] and figures["peak_rss_mb"] <= 1024 else "OVER TARGET"
        print(f"{fmt:5}: {figures['seconds']:6.1f} s wall, {figures['cpu_seconds']:6.1f} s CPU, peak RSS "
              f"{figures['peak_rss_mb']} MB, {figures['megabytes']} MB written ({verdict}: <= {TARGETS[fmt]:g} s, "
              "<= 1 GB)", flush=True)


if __name__ == "__main__":
    main()
