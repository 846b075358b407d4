"""Benchmark of the demo generator (``pantau demo-data``): time, CPU and peak memory. Not a test.

    .venv/bin/python bench/demo_data.py [--contracts 1000000] [--workers N] [--out DIR]

Writes the year as CSV (what ``--format auto`` does above 20,000 contracts) into a temporary folder
(or ``--out``) and prints wall time, CPU seconds of this process and of the worker processes, the
peak RSS of each, and the rows written per kind.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.demo import write_demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=None, help="default: one per CPU, at most 4")
    parser.add_argument("--out", type=Path, default=None, help="default: a temporary folder, deleted after")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pantau-demo-") as scratch:
        out = args.out or Path(scratch)
        started, cpu = time.perf_counter(), time.process_time()
        written = write_demo(out, contracts=args.contracts, seed=args.seed, fmt="csv", workers=args.workers)
        wall = time.perf_counter() - started
        main_cpu = time.process_time() - cpu
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        rows = written.summary["rows"]
        size = sum(path.stat().st_size for path in written.paths.values()) / 1e6
    print(f"contracts            {args.contracts:,}")
    print(f"wall                 {wall:.1f} s  ({args.contracts / wall:,.0f} contracts/s)")
    print(f"cpu                  {main_cpu:.1f} s main + {children.ru_utime + children.ru_stime:.1f} s workers")
    print(f"peak rss             {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB main, "
          f"{children.ru_maxrss // 1024} MB largest worker")
    print(f"written              {size:,.0f} MB")
    for kind, count in rows.items():
        print(f"  {kind:<18} {count:,}")


if __name__ == "__main__":
    main()
