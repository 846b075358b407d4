"""``pantau ingest spse FILE``: one SPSE dataset (ISB JSON or an INAPROC XLSX/CSV) in one transaction.

Each row is kept as its stage (:class:`monitor.models.SourceStage`), then every procurement the file
touched is joined again from all its stages stored so far (:mod:`.assemble`) and its contracts written:
stages arrive in any order and in separate runs, and re-importing changes nothing. The report counts
rows: ``read = inserted + updated + unchanged + rejected + out_of_scope`` (a row of a procurement out
of Jakon's scope is kept, and counted there instead).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Table, Text, and_, cast, func, select

from monitor.bootstrap import App
from monitor.db import among
from monitor.ingest.contracts import ContractFacts, upsert, write_contracts
from monitor.ingest.items import BadItem, Item, first_byte, json_array_items, sha256_of, table_items
from monitor.ingest.loader import finish_batch, start_batch
from monitor.ingest.report import ImportReport, IngestError
from monitor.ingest.rows import OpdDirectory, row_hash
from monitor.ingest.scope import ScopeClassifier
from monitor.ingest.sources import Rejects
from monitor.ingest.spse.assemble import Procurement, SatkerDirectory, assemble
from monitor.ingest.spse.datasets import STAGE_BY_NAME, Stage, StageRow, detect_stage, known_fields, parse_row
from monitor.models import SourceStage, utcnow

STAGES_TABLE: Table = SourceStage.__table__  # type: ignore[assignment]
STAGE_IDENTITY = ("source", "jalur", "stage", "nomor", "versi", "kode")
_IN = 2_000  # values per lookup


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
    cannot be read (a malformed JSON file is refused whole)."""
    path = Path(path)
    settings = app.settings
    form, items = _items(path)
    report = ImportReport(kind="spse", file=str(path))
    report.notes["format"] = form
    started = utcnow()
    forced = None if stage is None else STAGE_BY_NAME[stage]
    satker = SatkerDirectory(
        {code: opd.code for opd in settings.opd for code in opd.satker_codes}, OpdDirectory(settings.opd))
    scope = ScopeClassifier(settings.scope)
    contracts: Counter[str] = Counter()
    conflicts: list[str] = []
    with app.engine.connect() as conn, conn.begin():
        report.batch_id = batch_id = start_batch(conn, "spse", str(path), sha256_of(path), started)
        rejects = Rejects(batch_id, "spse", str(path), report)

        def joined(accepted: list[Accepted]) -> None:
            """Each chunk's procurements are joined and written at once: memory stays bounded."""
            found, out_of_scope = _join(conn, accepted, satker, scope, batch_id)
            counts = write_contracts(conn, found, batch_id)
            _count(report, accepted, out_of_scope)
            contracts.update(counts.outcomes)
            contracts.update(incomplete=sum(not c.complete for c in found), out_of_scope=sum(not c.in_scope
                                                                                           for c in found))
            conflicts.extend(counts.conflicts)

        _read(conn, path, items, forced, rejects, report, settings.ingest.chunk_rows, progress, joined)
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


# A row read and kept: its stage row, where it was, and what writing it did.
Accepted = tuple[StageRow, int, str]


def _read(conn: Connection, path: Path, items: Iterable[Item | BadItem], stage: Stage | None, rejects: Rejects,
          report: ImportReport, chunk_rows: int, progress: Callable[[int], None] | None,
          joined: Callable[[list[Accepted]], None]) -> None:
    first: dict[tuple[str, str, str, str, int], tuple[int, str]] = {}
    chunk: list[tuple[StageRow, int, str]] = []
    duplicates = 0

    def flush() -> None:
        rows = [{"source": "spse", "jalur": r.jalur, "kode": r.kode, "stage": r.stage, "nomor": r.nomor,
                 "versi": r.versi, "fields": r.fields, "row_hash": h, "batch_id": report.batch_id,
                 "source_line": line} for r, line, h in chunk]
        outcomes = upsert(conn, STAGES_TABLE, STAGE_IDENTITY, rows)
        joined([(r, line, outcome) for (r, line, _), outcome in zip(chunk, outcomes, strict=True)])
        chunk.clear()
        if progress is not None:
            progress(report.rows)

    for item in items:
        report.rows += 1
        if isinstance(item, BadItem):
            rejects.row(item.line, [(item.path, item.reason)], {}, conn)
            continue
        if not isinstance(item.value, dict):
            rejects.row(item.line, [(item.path, "bukan objek JSON ({...})")], {"nilai": item.value}, conn)
            continue
        if stage is None:
            stage = detect_stage(set(item.value))
            if stage is None:
                raise IngestError(
                    f"{path}: bukan dataset SPSE yang dikenal (paket, kontrak, SPMK/SPP, BAPBAST, nilai): "
                    f"{item.path} tidak punya kd_tender, kd_nontender atau no_kontrak; kolom: "
                    f"{', '.join(list(item.value)[:20])}")
            report.notes["stage"] = stage.name
        row, problems = parse_row(stage, item.value)
        if row is None:
            json_path = item.path.startswith("$")
            rejects.row(item.line, [(f"{item.path}.{column}" if json_path else column, message)
                                    for column, message in problems], item.value, conn)
            continue
        digest = row_hash([row.as_json()])
        earlier = first.setdefault(row.identity, (item.line, digest))
        if earlier[0] != item.line:
            if earlier[1] == digest:
                duplicates += 1  # the same row twice in an export: nothing to keep twice
                report.unchanged += 1
                continue
            name = "kd_nontender" if row.jalur == "nontender" else "kd_tender"
            versi = f", versi_addendum {row.versi}" if row.versi else ""
            rejects.row(item.line, [(name, (
                f"duplikat: {name} '{row.kode}'{versi} no_kontrak '{row.nomor}' sudah ada di baris {earlier[0]} "
                "dengan isi lain; baris ini tidak diimpor"))], item.value, conn)
            continue
        chunk.append((row, item.line, digest))
        if len(chunk) >= chunk_rows:
            flush()
    if chunk:
        flush()
    if stage is None and report.rows == report.rejected:
        report.notes["stage"] = None
    if duplicates:
        report.notes["duplicate_rows"] = duplicates


def _count(report: ImportReport, accepted: list[Accepted], out_of_scope: set[tuple[str, str]]) -> None:
    for row, _, outcome in accepted:
        if (row.jalur, row.kode) in out_of_scope if row.kode else ("", row.nomor) in out_of_scope:
            report.out_of_scope += 1
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)


def _stage_rows(conn: Connection, *where: Any) -> Iterator[tuple[str, str, str, str, int, dict[str, Any]]]:
    """SPSE's stored stages (the conditions name ``source`` or a stage only SPSE has)."""
    t = STAGES_TABLE.c
    for jalur, kode, stage, nomor, versi, fields in conn.execute(
            select(t.jalur, t.kode, t.stage, t.nomor, t.versi, stage_fields()).where(*where)):
        yield jalur, kode, stage, nomor, versi, orjson.loads(fields)


def stage_fields() -> Any:
    """A stage's fields as their JSON text, for orjson to decode (SQLAlchemy's JSON type would call
    json.loads per row, the slowest part of reading stages back)."""
    return cast(STAGES_TABLE.c.fields, Text)


def _join(conn: Connection, accepted: list[Accepted], satker: SatkerDirectory, scope: ScopeClassifier,
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
    for part in _parts(sorted(loose)):
        # Not ``source == 'spse'`` (only SPSE has a kontrak stage): SQLite would read every SPSE stage by
        # the unique index's first column rather than these few by ix_source_stage_nomor.
        for jalur, kode, _, nomor, _, _ in _stage_rows(conn, t.stage == "kontrak", t.kode != "",
                                                        among(t.nomor, part, conn.dialect.name)):
            by_nomor[nomor] = (jalur, kode)
            groups.add((jalur, kode))
    procurements: dict[tuple[str, str], Procurement] = {}
    for jalur in ("tender", "nontender"):
        for part in _parts(sorted(kode for j, kode in groups if j == jalur)):
            for _, kode, stage, nomor, versi, fields in _stage_rows(conn, t.source == "spse", t.jalur == jalur,
                                                                    among(t.kode, part, conn.dialect.name),
                                                                    elsewhere):
                procurements.setdefault((jalur, kode), Procurement(jalur, kode)).add(stage, nomor, versi, fields)
    for row, _, _ in accepted:
        if row.kode:
            procurements.setdefault((row.jalur, row.kode), Procurement(row.jalur, row.kode)).add(
                row.stage, row.nomor, row.versi, row.fields)
    numbers = {nomor: key for key, p in procurements.items() for nomor in p.kontrak}
    for part in _parts(sorted(numbers)):
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


def _parts(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _IN):
        yield values[start:start + _IN]

