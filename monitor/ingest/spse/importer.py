"""``pantau ingest spse FILE``: one SPSE dataset (ISB JSON or an INAPROC XLSX/CSV) in one transaction.

Each row is kept as its stage (:class:`monitor.models.SourceStage`), then every procurement the file
touched is joined again from all its stages stored so far (:mod:`.assemble`) and its contracts written:
stages arrive in any order and in separate runs, and re-importing changes nothing. The report counts
rows: ``read = inserted + updated + unchanged + rejected + out_of_scope`` (a row of a procurement out
of Jakon's scope is kept, and counted there instead).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Table, Text, and_, cast, func, select

from monitor.bootstrap import App
from monitor.compute.memory import gc_paused
from monitor.compute.processes import streamed_from_worker
from monitor.db import PlannerStatistics, among, driver_rows
from monitor.ingest.contracts import ContractFacts, chunks, upsert, write_contracts
from monitor.ingest.items import BadItem, Item, first_byte, json_array_items, sha256_of, table_items
from monitor.ingest.loader import finish_batch, start_batch
from monitor.ingest.pipeline import worth_a_worker
from monitor.ingest.report import ImportReport, IngestError
from monitor.ingest.rows import row_hash
from monitor.ingest.scope import ScopeClassifier
from monitor.ingest.sources import Rejects
from monitor.ingest.spse.assemble import Procurement, SatkerDirectory, assemble
from monitor.ingest.spse.datasets import STAGE_BY_NAME, Stage, StageRow, detect_stage, known_fields, parse_row
from monitor.models import SourceStage, utcnow

STAGES_TABLE: Table = SourceStage.__table__  # type: ignore[assignment]
STAGE_IDENTITY = ("source", "jalur", "stage", "nomor", "versi", "kode")


def _items(path: Path) -> tuple[str, Iterator[Item | BadItem]]:
    head = first_byte(path)
    if head == b"[":
        return "json", json_array_items(path)
    if head == b"{":
        raise IngestError(f"{path}: JSON SPSE (ISB) harus berupa array objek ([{{...}}, ...]), bukan satu objek")
    return "table", table_items(path, known_fields)


def ingest_spse(app: App, path: Path, *, stage: str | None = None,
                progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import one SPSE dataset. ``stage`` names it (paket, kontrak, spmk, bapbast, nilai) where its
    fields do not tell. Raises :class:`IngestError` with nothing changed when the file as a whole
    cannot be read (a malformed JSON file is refused whole). A large file is read and parsed by a
    worker process while this one writes (:func:`~monitor.ingest.pipeline.worth_a_worker`)."""
    path = Path(path)
    settings = app.settings
    form, _ = _items(path)
    report = ImportReport(kind="spse", file=str(path))
    report.notes["format"] = form
    started = utcnow()
    forced = None if stage is None else STAGE_BY_NAME[stage]
    satker = SatkerDirectory.of(settings.opd)
    scope = ScopeClassifier(settings.scope)
    contracts: Counter[str] = Counter()
    conflicts: list[str] = []
    parts: Generator[Part, None, None] = _parts_read(path, forced, settings.ingest.chunk_rows)
    if worth_a_worker(path):
        parts = streamed_from_worker(lambda: _parts_read(path, forced, settings.ingest.chunk_rows),
                                     f"SPSE import of {path}")
    with app.engine.connect() as conn, conn.begin(), closing(parts), gc_paused():
        report.batch_id = batch_id = start_batch(conn, "spse", str(path), sha256_of(path), started)
        rejects = Rejects(batch_id, "spse", str(path), report)
        statistics = PlannerStatistics(conn, ("source_stage", "contract"))
        duplicates = 0
        for part in parts:
            report.rows += part.read
            for line, problems, raw in part.rejected:
                rejects.row(line, problems, raw, conn)
            report.unchanged += part.duplicates
            duplicates += part.duplicates
            if part.stage is not None:
                report.notes["stage"] = part.stage
            if part.accepted:
                # Each part's procurements are joined and written at once: memory stays bounded.
                _write(conn, part.accepted, batch_id, satker, scope, report, contracts, conflicts)
                statistics.written(len(part.accepted))
            if progress is not None:
                progress(report.rows)
        if forced is None and "stage" not in report.notes and report.rows == report.rejected:
            report.notes["stage"] = None
        if duplicates:
            report.notes["duplicate_rows"] = duplicates
        report.notes["contracts"] = {name: contracts[name] for name in (
            "inserted", "updated", "unchanged")} | {"conflicts": len(conflicts), "incomplete": contracts["incomplete"],
                                                   "out_of_scope": contracts["out_of_scope"]}
        if conflicts:
            report.notes["conflicts"] = conflicts[:50]
        if satker.unknown:
            report.notes["unknown_opd"] = dict(sorted(satker.unknown.items(), key=lambda kv: -kv[1])[:50])
        rejects.flush(conn)
        finish_batch(conn, report, utcnow())
    return report


# A row read and kept: its stage row, where it was, and its hash; once written, what writing it did.
Parsed = tuple[StageRow, int, str]


@dataclass
class Part:
    """What a stretch of a dataset's items gave: how many were read, the rows kept, the rows
    rejected (line, problems, raw values), and rows repeated unchanged. Made where the file is read
    (in a worker process for a large file) and written here."""

    read: int = 0
    stage: str | None = None  # the stage, once told by the first object's fields
    accepted: list[Parsed] = field(default_factory=list)
    rejected: list[tuple[int, list[tuple[str, str]], Any]] = field(default_factory=list)
    duplicates: int = 0


def _parts_read(path: Path, stage: Stage | None, chunk_rows: int) -> Generator[Part, None, None]:
    """The file's items parsed into stage rows, a part at a time (at most ``chunk_rows`` rows each)."""
    _, items = _items(path)
    first: dict[str, bytes] = {}
    part = Part()
    for item in items:
        part.read += 1
        if isinstance(item, BadItem):
            part.rejected.append((item.line, [(item.path, item.reason)], {}))
        elif not isinstance(item.value, dict):
            part.rejected.append((item.line, [(item.path, "bukan objek JSON ({...})")], {"nilai": item.value}))
        else:
            if stage is None:
                stage = detect_stage(set(item.value))
                if stage is None:
                    raise IngestError(
                        f"{path}: bukan dataset SPSE yang dikenal (paket, kontrak, SPMK/SPP, BAPBAST, nilai): "
                        f"{item.path} tidak punya kd_tender, kd_nontender atau no_kontrak; kolom: "
                        f"{', '.join(list(item.value)[:20])}")
                part.stage = stage.name
            _parse(item, stage, first, part)
        if len(part.accepted) + len(part.rejected) >= chunk_rows:
            yield part
            part = Part()
    yield part


# Each row read is remembered to tell a repeated row: its identity (jalur, kode, stage, nomor, versi)
# joined into one text by \x1f, which no parsed value holds (parse_text splits on it as whitespace), its
# line and hash packed into one bytes value: 1M rows in about half the memory of tuples.
_LINE_BYTES = 6


def _parse(item: Item, stage: Stage, first: dict[str, bytes], part: Part) -> None:
    row, problems = parse_row(stage, item.value)
    if row is None:
        json_path = item.path.startswith("$")
        part.rejected.append((item.line, [(f"{item.path}.{column}" if json_path else column, message)
                                          for column, message in problems], item.value))
        return
    digest = row_hash([row.as_json()])
    seen = item.line.to_bytes(_LINE_BYTES, "big") + bytes.fromhex(digest)
    earlier = first.setdefault("\x1f".join((row.jalur, row.kode, row.stage, row.nomor, str(row.versi))), seen)
    if earlier is seen:
        part.accepted.append((row, item.line, digest))
    elif earlier[_LINE_BYTES:] == seen[_LINE_BYTES:]:
        part.duplicates += 1  # the same row twice in an export: nothing to keep twice
    else:
        name = "kd_nontender" if row.jalur == "nontender" else "kd_tender"
        versi = f", versi_addendum {row.versi}" if row.versi else ""
        part.rejected.append((item.line, [(name, (
            f"duplikat: {name} '{row.kode}'{versi} no_kontrak '{row.nomor}' sudah ada di baris "
            f"{int.from_bytes(earlier[:_LINE_BYTES], 'big')} dengan isi lain; baris ini tidak diimpor"))], item.value))


def _write(conn: Connection, parsed: list[Parsed], batch_id: int, satker: SatkerDirectory, scope: ScopeClassifier,
           report: ImportReport, contracts: Counter[str], conflicts: list[str]) -> None:
    """Keep the rows as stages, then join and write every procurement they touched."""
    rows = [{"source": "spse", "jalur": r.jalur, "kode": r.kode, "stage": r.stage, "nomor": r.nomor,
             "versi": r.versi, "fields": r.fields, "row_hash": h, "batch_id": batch_id,
             "source_line": line} for r, line, h in parsed]
    outcomes = upsert(conn, STAGES_TABLE, STAGE_IDENTITY, rows)
    accepted = [(r, line, outcome) for (r, line, _), outcome in zip(parsed, outcomes, strict=True)]
    found, out_of_scope = _join(conn, accepted, satker, scope, batch_id)
    counts = write_contracts(conn, found, batch_id)
    _count(report, accepted, out_of_scope)
    contracts.update(counts.outcomes)
    contracts.update(incomplete=sum(not c.complete for c in found), out_of_scope=sum(not c.in_scope for c in found))
    conflicts.extend(counts.conflicts)


def _count(report: ImportReport, accepted: list[Parsed], out_of_scope: set[tuple[str, str]]) -> None:
    for row, _, outcome in accepted:
        if (row.jalur, row.kode) in out_of_scope if row.kode else ("", row.nomor) in out_of_scope:
            report.out_of_scope += 1
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)


def _stage_rows(conn: Connection, *where: Any) -> Iterator[tuple[str, str, str, str, int, dict[str, Any]]]:
    """SPSE's stored stages (the conditions name ``source`` or a stage only SPSE has)."""
    t = STAGES_TABLE.c
    for jalur, kode, stage, nomor, versi, fields in driver_rows(
            conn, select(t.jalur, t.kode, t.stage, t.nomor, t.versi, stage_fields()).where(*where)):
        yield jalur, kode, stage, nomor, versi, orjson.loads(fields)


def stage_fields() -> Any:
    """A stage's fields as their JSON text, for orjson to decode (SQLAlchemy's JSON type would call
    json.loads per row, the slowest part of reading stages back)."""
    return cast(STAGES_TABLE.c.fields, Text)


def _join(conn: Connection, accepted: list[Parsed], satker: SatkerDirectory, scope: ScopeClassifier,
          batch_id: int) -> tuple[list[ContractFacts], set[tuple[str, str]]]:
    """Every procurement the chunk touched, joined from all its stored stages; and those out of scope.
    The chunk's own rows come from memory: reading back (and decoding) what was just written would
    cost as much as writing it."""
    t = STAGES_TABLE.c
    lines = [line for _, line, _ in accepted]
    elsewhere = ~and_(func.coalesce(t.batch_id, 0) == batch_id,
                      func.coalesce(t.source_line, 0).between(min(lines, default=0), max(lines, default=0)))
    groups: set[tuple[str, str]] = {(r.jalur, r.kode) for r, _, _ in accepted if r.kode}
    loose = {r.nomor for r, _, _ in accepted if not r.kode}  # rows joined by no_kontrak only
    by_nomor: dict[str, tuple[str, str]] = {}
    for part in chunks(sorted(loose)):
        # Not ``source == 'spse'`` (only SPSE has a kontrak stage): SQLite would read every SPSE stage by
        # the unique index's first column rather than these few by ix_source_stage_nomor.
        for jalur, kode, _, nomor, _, _ in _stage_rows(conn, t.stage == "kontrak", t.kode != "",
                                                        among(t.nomor, part, conn.dialect.name)):
            by_nomor[nomor] = (jalur, kode)
            groups.add((jalur, kode))
    procurements: dict[tuple[str, str], Procurement] = {}
    for jalur in ("tender", "nontender"):
        for part in chunks(sorted(kode for j, kode in groups if j == jalur)):
            for _, kode, stage, nomor, versi, fields in _stage_rows(conn, t.source == "spse", t.jalur == jalur,
                                                                    among(t.kode, part, conn.dialect.name),
                                                                    elsewhere):
                procurements.setdefault((jalur, kode), Procurement(jalur, kode)).add(stage, nomor, versi, fields)
    for row, _, _ in accepted:
        if row.kode:
            procurements.setdefault((row.jalur, row.kode), Procurement(row.jalur, row.kode)).add(
                row.stage, row.nomor, row.versi, row.fields)
    numbers = {nomor: key for key, p in procurements.items() for nomor in p.kontrak}
    for part in chunks(sorted(numbers)):
        for _, _, stage, nomor, versi, fields in _stage_rows(conn, t.source == "spse", t.kode == "",
                                                            among(t.nomor, part, conn.dialect.name), elsewhere):
            procurements[numbers[nomor]].add(stage, nomor, versi, fields)
    for row, _, _ in accepted:
        if not row.kode and row.nomor in numbers:
            procurements[numbers[row.nomor]].add(row.stage, row.nomor, row.versi, row.fields)
    contracts: list[ContractFacts] = []
    out: set[tuple[str, str]] = set()
    for key, procurement in procurements.items():
        found = list(assemble(procurement, satker, scope))
        contracts.extend(found)
        paket_type = (procurement.paket or {}).get("jenis_pengadaan")
        if (found and not any(c.in_scope for c in found)) or (
                not found and paket_type and not scope.by_type(paket_type).in_scope):
            out.add(key)
    # Rows joined by number count with their procurement.
    for nomor, key in {**by_nomor, **{n: k for n, k in numbers.items() if n in loose}}.items():
        if key in out:
            out.add(("", nomor))
    return contracts, out
