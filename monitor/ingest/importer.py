"""Importing one file: the public entry point the CLI and the daemon's inbox job call."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Generator, Mapping
from contextlib import closing
from pathlib import Path

from monitor.bootstrap import App
from monitor.compute.memory import gc_paused
from monitor.ingest.kinds import KINDS, HeaderMatcher, KindSpec, kind_from_name, normalize_header
from monitor.ingest.loader import BatchWriter
from monitor.ingest.pipeline import ParsedChunk, ParseResult, ParseSetup, parse_in_worker, parse_rows, worth_a_worker
from monitor.ingest.reader import Row, open_table
from monitor.ingest.report import ImportReport, IngestError
from monitor.ingest.rows import record_columns
from monitor.ingest.values import ValueLimits
from monitor.models import utcnow
from monitor.settings import Settings

# Notes keep at most this many distinct unknown OPD spellings (a shifted column would flood them).
_MAX_UNKNOWN_OPD_NOTES = 50
# A report lists at most this many problems (a file with a wrong date format in every row would
# otherwise carry a million of them in memory); all of them are in rejected_row regardless.
MAX_REPORTED_ERRORS = 10_000


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


def limits_of(settings: Settings) -> ValueLimits:
    return ValueLimits(max_rupiah=settings.ingest.max_rupiah, max_text_chars=settings.ingest.max_text_chars)


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
        report = ImportReport(kind=spec.name, file=str(path))
        report.notes = dict(table.notes)
        if ignored:
            report.notes["ignored_columns"] = ignored
        in_worker = worth_a_worker(path)
        columns = record_columns(spec, mapping)
        with BatchWriter(app.engine, spec, columns, report, table.sha256, started) as writer, gc_paused():
            setup = ParseSetup(
                kind=spec.name, path=path, layout=table.layout, aliases=matcher.configured,
                opds=app.settings.opd, chunk_rows=app.settings.ingest.chunk_rows, batch_id=writer.batch_id,
                file_name=str(path)[:500], limits=limits_of(app.settings),
            )
            result = ParseResult()
            chunks: Generator[ParsedChunk, None, None]
            if in_worker:
                chunks = parse_in_worker(setup, result)
            else:
                chunks = parse_rows(setup, table.header, table.rows, result)
            with closing(chunks):  # on any failure, the worker is ended at once
                for chunk in chunks:
                    writer.write(chunk.records, chunk.rejects)
                    _count(report, chunk)
                    if progress is not None:
                        progress(report.rows)
            if result.extra_cells_rows:
                report.notes["extra_cells"] = {"rows": result.extra_cells_rows, "lines": result.extra_cells_lines}
            if spec.marks_source:
                writer.mark_file_source(str(table.notes.get("format", "csv")))
            if result.unknown_opd:
                report.notes["unknown_opd"] = dict(
                    Counter(result.unknown_opd).most_common(_MAX_UNKNOWN_OPD_NOTES)
                )
            writer.finish()
    return report


def _count(report: ImportReport, chunk: ParsedChunk) -> None:
    report.rows += chunk.rows
    report.rejected += chunk.rejected
    room = MAX_REPORTED_ERRORS - len(report.errors)
    report.errors.extend(chunk.errors[:room])
    if len(chunk.errors) > room:
        report.notes["errors_not_listed"] = report.notes.get("errors_not_listed", 0) + len(chunk.errors) - room


def guess_kind(path: Path, settings: Settings | None = None) -> str | None:
    """The kind of data in a file: the one its name starts with (:func:`~monitor.ingest.kinds.kind_from_name`,
    the inbox's documented convention), else the kind whose required columns all appear in its header
    (the most specific one if several do; a word of the file name breaks a tie), else ``None``."""
    return kind_from_name(Path(path).name) or kind_from_header(path, settings)


def kind_from_header(path: Path, settings: Settings | None = None) -> str | None:
    """The kind whose required columns all appear in the file's header, or ``None``."""
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
