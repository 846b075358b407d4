"""Rows -> chunks of records and rejects, in this process or in a worker process.

A large file is parsed by a worker process while this one writes to the database: on two cores
that nearly halves a million-row import (parsing and writing cost about the same, and the
records cross the pipe pickled for ~2.5 µs a row). The worker reopens the file with the layout
the caller detected and sends chunk after chunk; the database and the transaction stay here.

The worker is forked, and only from a single-threaded process (the CLI): forking a process with
threads (the daemon's scheduler) can deadlock the child, and spawning would re-run the caller's
``__main__``. Everywhere else the same code parses in-process.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from monitor.compute.processes import fork_is_safe, streamed_from_worker
from monitor.ingest.kinds import KINDS, HeaderMatcher
from monitor.ingest.reader import Row, open_table
from monitor.ingest.report import RowError
from monitor.ingest.rows import OpdDirectory, RowConverter
from monitor.ingest.values import DEFAULT_LIMITS, ValueLimits
from monitor.settings import Opd


@dataclass(frozen=True)
class ParseSetup:
    """Everything needed to parse one file, picklable for the worker."""

    kind: str
    path: Path
    layout: dict[str, Any]
    aliases: Mapping[str, tuple[str, ...]]
    opds: tuple[Opd, ...]
    chunk_rows: int
    batch_id: int
    file_name: str
    limits: ValueLimits = DEFAULT_LIMITS


@dataclass
class ParsedChunk:
    rows: int
    records: list[list[Any]]  # record columns + batch_id, source_line (the writer adds row_hash)
    rejects: list[dict[str, Any]]  # rejected_row values
    errors: list[RowError]
    rejected: int


# A report names at most this many lines with cells beyond the header; it counts them all.
MAX_EXTRA_CELL_LINES = 50


@dataclass
class ParseResult:
    """Filled in once all chunks have been produced."""

    unknown_opd: dict[str, int] = field(default_factory=dict)
    # Rows with non-empty cells to the right of the last header column: ignored, but said.
    extra_cells_rows: int = 0
    extra_cells_lines: list[int] = field(default_factory=list)


def _chunks(rows: Iterator[tuple[int, Row]], size: int) -> Iterator[list[tuple[int, Row]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def parse_rows(
    setup: ParseSetup, header: list[str], rows: Iterator[tuple[int, Row]], result: ParseResult
) -> Generator[ParsedChunk, None, None]:
    """Convert and check for repeated identities, one chunk at a time."""
    spec = KINDS[setup.kind]
    mapping, _ = HeaderMatcher(spec, setup.aliases).map(header)
    converter = RowConverter(spec, mapping, header, OpdDirectory(setup.opds), setup.limits)
    first_line: dict[object, int] = {}  # identity -> line, to reject repeats within the file
    batch_id, kind, file_name = setup.batch_id, setup.kind, setup.file_name
    duplicate_column = converter.labels[converter.columns[converter.identity[-1]]]
    key, convert = converter.key, converter.convert
    width = len(header)
    for chunk in _chunks(rows, setup.chunk_rows):
        parsed = ParsedChunk(rows=len(chunk), records=[], rejects=[], errors=[], rejected=0)
        for line, cells in chunk:
            if len(cells) > width and any(cell not in (None, "") for cell in cells[width:]):
                result.extra_cells_rows += 1
                if len(result.extra_cells_lines) < MAX_EXTRA_CELL_LINES:
                    result.extra_cells_lines.append(line)
            record, problems = convert(cells)
            if record is not None:
                earlier = first_line.setdefault(key(record), line)
                if earlier == line:
                    record += (batch_id, line)
                    parsed.records.append(record)
                    continue
                problems = [(duplicate_column, (
                    f"duplikat: {converter.describe_key(record)} sudah ada di baris {earlier}; baris ini tidak diimpor"
                ))]
            raw = converter.raw(cells)
            for column, message in problems:
                parsed.errors.append(RowError(line, column, message))
                parsed.rejects.append({
                    "batch_id": batch_id, "kind": kind, "file_name": file_name, "line": line,
                    "column": column, "message": message, "raw": raw,
                })
            parsed.rejected += 1
        yield parsed
    result.unknown_opd = dict(converter.directory.unknown)


# Files from this size on are parsed by a worker process, when one can be forked.
PARALLEL_MIN_BYTES = 8 * 1024 * 1024


def can_fork() -> bool:
    return fork_is_safe()


def worth_a_worker(path: Path) -> bool:
    """Whether ``path`` is parsed by a worker process while this one writes (any kind of import)."""
    return path.stat().st_size >= PARALLEL_MIN_BYTES and can_fork()


def parse_in_worker(setup: ParseSetup, result: ParseResult) -> Generator[ParsedChunk, None, None]:
    """The same chunks as :func:`parse_rows`, parsed by a forked worker process (see
    :func:`can_fork` and :func:`~monitor.compute.processes.streamed_from_worker`); ``result`` is
    filled in once the last chunk has arrived."""
    done = yield from streamed_from_worker(lambda: _work(setup), f"ingest worker for {setup.path}")
    result.unknown_opd = done.unknown_opd
    result.extra_cells_rows = done.extra_cells_rows
    result.extra_cells_lines = done.extra_cells_lines


def _work(setup: ParseSetup) -> Generator[ParsedChunk, None, ParseResult]:
    """In the worker process: the file's chunks, then what was found along the way."""
    matcher = HeaderMatcher(KINDS[setup.kind], setup.aliases)
    result = ParseResult()
    with open_table(setup.path, score=matcher.score, layout=setup.layout) as table:
        yield from parse_rows(setup, table.header, table.rows, result)
    return result
