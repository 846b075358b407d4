"""Importing one file: the public entry point the CLI and the daemon's inbox job call."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from monitor.bootstrap import App
from monitor.ingest.kinds import KINDS, HeaderMatcher, KindSpec, normalize_header
from monitor.ingest.loader import BatchWriter
from monitor.ingest.reader import Row, open_table
from monitor.ingest.report import ImportReport, IngestError, RowError
from monitor.ingest.rows import OpdDirectory, RowConverter, row_hash
from monitor.models import utcnow
from monitor.settings import Settings

T = TypeVar("T")
# Notes keep at most this many distinct unknown OPD spellings (a shifted column would flood them).
_MAX_UNKNOWN_OPD_NOTES = 50


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file streams through.

    An import allocates millions of small lists and tuples, none in reference cycles; the
    collector, triggered every few hundred allocations, rescans them all and tripled the time of
    a million-row import. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _chunks(items: Iterator[T], size: int) -> Iterator[list[T]]:
    while chunk := list(islice(items, size)):
        yield chunk


def spec_for(kind: str) -> KindSpec:
    try:
        return KINDS[kind]
    except KeyError:
        raise IngestError(f"jenis data {kind!r} tidak dikenal; pilihan: {', '.join(KINDS)}") from None


def matcher_for(spec: KindSpec, settings: Settings) -> HeaderMatcher:
    configured = settings.ingest.aliases.get(spec.name, {})
    unknown = sorted(set(configured) - set(spec.by_name))
    if unknown:
        raise IngestError(
            f"pengaturan ingest.aliases.{spec.name}: kolom {', '.join(unknown)} tidak dikenal; "
            f"kolom {spec.name}: {', '.join(spec.by_name)}"
        )
    return HeaderMatcher(spec, configured)


def ingest_file(
    app: App,
    kind: str,
    path: Path,
    *,
    sheet: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import ``path`` as ``kind`` into the database in one transaction and return its report.

    Valid rows are inserted or, when their content changed, update the record with the same
    identity; bad rows are kept in ``rejected_row`` with their line and reason. Raises
    :class:`IngestError` (message in Indonesian) when the file as a whole cannot be imported; the
    database is then left exactly as it was. ``progress`` is called with the number of rows read
    so far after each chunk.
    """
    spec = spec_for(kind)
    path = Path(path)
    matcher = matcher_for(spec, app.settings)
    started = utcnow()
    with open_table(path, score=matcher.score, sheet=sheet) as table:
        mapping, ignored = matcher.map(table.header)
        missing = [name for name in spec.required if name not in mapping]
        if missing:
            raise IngestError(
                f"{path}: kolom wajib untuk data {spec.title} tidak ditemukan: {', '.join(missing)} "
                f"(baris judul kolom di baris {table.header_line}: {', '.join(table.header)}). "
                f"Ganti nama kolomnya atau tambahkan alias di [ingest.aliases.{spec.name}]."
            )
        directory = OpdDirectory(app.settings.opd)
        converter = RowConverter(spec, mapping, table.header, directory)
        report = ImportReport(kind=spec.name, file=str(path))
        report.notes = dict(table.notes)
        if ignored:
            report.notes["ignored_columns"] = ignored
        with BatchWriter(
            app.engine, spec, converter.columns, converter.dates, report, table.sha256, started
        ) as writer, _gc_paused():
            _parse(writer, converter, table.rows, report, app.settings.ingest.chunk_rows, progress)
            if directory.unknown:
                report.notes["unknown_opd"] = dict(directory.unknown.most_common(_MAX_UNKNOWN_OPD_NOTES))
            writer.finish()
    return report


def _parse(
    writer: BatchWriter,
    converter: RowConverter,
    rows: Iterator[tuple[int, Row]],
    report: ImportReport,
    chunk_rows: int,
    progress: Callable[[int], None] | None,
) -> None:
    first_line: dict[object, int] = {}  # identity -> line, to reject repeats within the file
    batch_id, kind, file_name = writer.batch_id, report.kind, report.file[:500]
    duplicate_column = converter.labels[converter.columns[converter.identity[-1]]]
    for chunk in _chunks(rows, chunk_rows):
        records: list[list[Any]] = []
        rejects: list[dict[str, Any]] = []
        for line, cells in chunk:
            record, problems = converter.convert(cells)
            if record is not None:
                earlier = first_line.setdefault(converter.key(record), line)
                if earlier == line:
                    record += (batch_id, line, row_hash(record))
                    records.append(record)
                    continue
                problems = [(duplicate_column, (
                    f"duplikat: {converter.describe_key(record)} sudah ada di baris {earlier}; baris ini tidak diimpor"
                ))]
            raw = converter.raw(cells)
            for column, message in problems:
                report.errors.append(RowError(line, column, message))
                rejects.append({
                    "batch_id": batch_id, "kind": kind, "file_name": file_name, "line": line,
                    "column": column, "message": message, "raw": raw,
                })
            report.rejected += 1
        writer.write(records, rejects)
        report.rows += len(chunk)
        if progress is not None:
            progress(report.rows)


def guess_kind(path: Path, settings: Settings | None = None) -> str | None:
    """The kind whose required columns all appear in the file's header (the most specific one
    if several do; the file name breaks a tie), or ``None`` when no kind fits."""
    aliases: Mapping[str, Mapping[str, tuple[str, ...]]] = settings.ingest.aliases if settings else {}
    matchers = {name: HeaderMatcher(spec, aliases.get(name, {})) for name, spec in KINDS.items()}

    def score(cells: Row) -> int:
        return max(m.score(cells) for m in matchers.values())

    try:
        with open_table(Path(path), score=score) as table:
            header = table.header
    except IngestError:
        return None
    fits: list[tuple[int, int, str]] = []
    words = normalize_header(Path(path).stem)
    for name, matcher in matchers.items():
        mapping, _ = matcher.map(header)
        spec = KINDS[name]
        if all(column in mapping for column in spec.required):
            named = any(word in words for word in spec.file_words)
            fits.append((len(spec.required), int(named), name))
    if not fits:
        return None
    fits.sort(reverse=True)
    if len(fits) > 1 and fits[0][:2] == fits[1][:2]:
        return None
    return fits[0][2]
