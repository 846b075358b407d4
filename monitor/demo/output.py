"""Writing a year to disk: chunk by chunk, in worker processes when every file is CSV.

Each chunk depends only on its plan, so workers generate and render chunks in parallel while
this process appends their text to the files in order: the output is the same, byte for byte,
whatever the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from monitor.compute.memory import gc_paused
from monitor.demo.malformed import malformed_rows
from monitor.demo.plan import CHUNK_CONTRACTS, ChunkPlan, YearContext, chunk_plans, year_context
from monitor.demo.records import KINDS, Chunk
from monitor.demo.truth import LIST_SECTIONS, TruthWriter, truth_blocks
from monitor.demo.writer import FileSet, Format, render_csv
from monitor.demo.year import RULES, make_chunk

TRUTH_FILE = "ground_truth.json"


def head(contracts: int, seed: int, as_of: date, year: int, noise: str = "normal") -> dict[str, Any]:
    said = {"seed": seed, "as_of": as_of.isoformat(), "fiscal_year": year, "contracts": contracts}
    return said if noise == "normal" else {**said, "noise": noise}


def malformed_summary(malformed: dict[str, list[dict[str, Any]]], files: FileSet | None = None) -> dict[str, Any]:
    """Lines count the header as line 1; once written, they are the lines of the file (in an XLSX
    with title rows above the header, the sheet row). ``header`` is the column as written."""
    summary: dict[str, Any] = {}
    for kind, items in malformed.items():
        shift = 0 if files is None else files.header_line(kind) - 1
        summary[kind] = [
            {"line": m["line"] + shift, "column": m["column"],
             **({"header": files.header_text(kind, m["column"])} if files is not None else {}),
             "reason": m["reason"]}
            for m in items
        ]
    return summary


def tail(malformed: dict[str, Any], rows: dict[str, int], files: FileSet, counts: Counter[str]) -> dict[str, Any]:
    return {"malformed": malformed, "rows": rows, "files": {kind: path.name for kind, path in files.paths.items()},
            "counts": dict(sorted(counts.items()))}


def chunk_truth(chunk: Chunk) -> dict[str, tuple[str, int]]:
    return truth_blocks({s: getattr(chunk, s) for s in LIST_SECTIONS}, chunk.scenarios, chunk.expected)


@dataclass
class Rendered:
    """A chunk as text, ready to append: what a worker process sends back."""

    index: int
    texts: dict[str, tuple[str, int]]
    rows: dict[str, int]
    truth: dict[str, tuple[str, int]]
    counts: Counter[str]
    malformed: dict[str, list[dict[str, Any]]]


def render(ctx: YearContext, plan: ChunkPlan) -> Rendered:
    with gc_paused():
        chunk = make_chunk(ctx, plan)
        # Contracts carry a running "No": continue after the earlier chunks and the malformed rows.
        before = {kind: 0 for kind in KINDS}
        if plan.index:
            before["contracts"] = plan.first_row + len(malformed_rows(ctx.year)["contracts"])
        texts = {kind: render_csv(kind, chunk.rows[kind], before[kind], chunk.malformed.get(kind, ()))
                 for kind in KINDS}
        return Rendered(plan.index, texts, {kind: len(chunk.rows[kind]) for kind in KINDS}, chunk_truth(chunk),
                        chunk.counts, chunk.malformed)


_WORKER_CONTEXT: YearContext | None = None


def _init_worker(ctx: YearContext) -> None:
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = ctx


def _render_in_worker(plan: ChunkPlan) -> Rendered:
    assert _WORKER_CONTEXT is not None
    return render(_WORKER_CONTEXT, plan)


def _rendered(ctx: YearContext, chunk_size: int, workers: int) -> Iterator[Rendered]:
    if workers <= 1:
        for plan in chunk_plans(ctx, chunk_size):
            yield render(ctx, plan)
        return
    # The pool starts before the plan is made, so workers inherit only the shared context (fork
    # shares a million-contract year's vendors without pickling them); plans are fed one by one.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(workers, _init_worker, (ctx,)) as pool:
        yield from pool.imap(_render_in_worker, chunk_plans(ctx, chunk_size))


def default_workers(contracts: int, chunk_size: int) -> int:
    chunks = -(-contracts // max(chunk_size, 1))
    return 1 if chunks < 3 else min(os.cpu_count() or 1, 4)


@dataclass
class Written:
    """What was written: kind -> path (plus ``truth``), and the summary ground_truth.json ends with
    (good rows and malformed rows per kind, scenario counts)."""

    paths: dict[str, Path]
    summary: dict[str, Any]


def write_streaming(out_dir: Path, contracts: int, seed: int, as_of: date, fmt: Format, *,
                    workers: int | None = None, chunk_size: int = CHUNK_CONTRACTS, noise: str = "normal") -> Written:
    """Generate and write a year without holding it: CSV chunks render in parallel workers;
    XLSX files (small years) are written row by row here."""
    ctx = year_context(contracts, seed, as_of, noise)
    files = FileSet(out_dir, fmt, contracts, as_of, ctx.year)
    truth = TruthWriter(out_dir / TRUTH_FILE, head(contracts, seed, as_of, ctx.year, noise), RULES)
    rows: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    malformed: dict[str, list[dict[str, Any]]] = {}
    try:
        if files.is_csv():
            if workers is None:
                workers = default_workers(contracts, chunk_size)
            for part in _rendered(ctx, chunk_size, workers):
                malformed = malformed or part.malformed
                for kind, (text, n) in part.texts.items():
                    files.append_text(kind, text, n)
                truth.add(part.truth)
                rows.update(part.rows)
                counts.update(part.counts)
        else:
            for plan in chunk_plans(ctx, chunk_size):
                with gc_paused():
                    chunk = make_chunk(ctx, plan)
                if chunk.malformed:
                    malformed = chunk.malformed
                    files.plan_malformed(malformed)
                for kind in KINDS:
                    files.write(kind, chunk.rows[kind])
                truth.add(chunk_truth(chunk))
                rows.update({kind: len(chunk.rows[kind]) for kind in KINDS})
                counts.update(chunk.counts)
        files.close()
    except BaseException:
        truth.discard()
        raise
    summary = tail(malformed_summary(malformed, files), {kind: rows[kind] for kind in KINDS}, files, counts)
    truth.close(summary)
    return Written({**files.paths, "truth": out_dir / TRUTH_FILE}, summary)


def write_rows(out_dir: Path, year: Any, fmt: Format) -> Written:
    """Write an in-memory :class:`~monitor.demo.DemoYear`."""
    files = FileSet(out_dir, fmt, int(year.truth["contracts"]), year.as_of, year.fiscal_year)
    files.plan_malformed(year.malformed)
    for kind in KINDS:
        files.write(kind, year.rows(kind))
    files.close()
    data = year.truth
    truth = TruthWriter(out_dir / TRUTH_FILE, head(data["contracts"], year.seed, year.as_of, year.fiscal_year), RULES)
    truth.add(truth_blocks({s: data[s] for s in LIST_SECTIONS}, data["scenarios"].items(),
                           ((rule, s) for rule, subjects in data["expected"].items() for s in subjects)))
    summary = tail(malformed_summary(year.malformed, files), data["rows"], files, Counter(data["counts"]))
    truth.close(summary)
    return Written({**files.paths, "truth": out_dir / TRUTH_FILE}, summary)
