"""Every benchmark, one after the other, each in its own process (``make bench``). Not a test.

    .venv/bin/python bench/run.py                  # all of them, at the sizes the issues name
    .venv/bin/python bench/run.py ingest check     # only these

Each benchmark prints its own figures (wall and CPU time, peak RSS); the README records them.
At 1,000,000 contracts the whole set takes roughly half an hour on a 2-core machine.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ("ingest", "check", "matching", "demo_data", "metrics", "alerts", "web", "sources", "report")


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHES)
    unknown = [name for name in chosen if name not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    failed = []
    for name in chosen:
        print(f"\n=== bench/{name}.py", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / f"{name}.py")])
        print(f"=== bench/{name}.py: exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
