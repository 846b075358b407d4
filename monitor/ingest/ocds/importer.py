"""``pantau ingest ocds FILE``: an OCDS 1.1 file in one transaction, streamed (ijson) so a file of
any size fits in bounded memory.

- a release package (``{"releases": [...]}``): each release at ``$.releases[i]``;
- a record package (``{"records": [...]}``): each record's ``compiledRelease``, at
  ``$.records[i].compiledRelease`` (a record without one is rejected: its releases are not compiled here);
- JSON Lines: one release (or one release package) per line; a line that does not parse is rejected
  and the others import (a truncated file loses only its last line).

Releases (a release package, JSON Lines) are kept as stages (``source_stage``, one row per ``ocid``
and release ``id``) and each ``ocid`` a chunk touches is compiled again from all its releases stored
so far (:mod:`.compile`, OCDS's merge rules): the tender, award, contract, amendment and
implementation releases of one process arrive in any order, in any file and run, and give one
contract; re-importing changes nothing. A record package's ``compiledRelease`` is used as is.

A compiled release that cannot be mapped is rejected with its ``ocid``, release ``id`` and JSON path
as the "line" and the reason, and its releases of this file are not kept (a bad release does not
spoil the later ones). A process no release of which names its buyer yet (a contract release sent
before the tender release naming the buyer) is not rejected: its releases stay stored, waiting, and
are compiled when a release naming the buyer arrives, later in the file or in a later file. The report
counts releases, each with what its process's contracts did:
``read = inserted + updated + unchanged + rejected + out_of_scope``; a process without contracts yet
(a planning or tender notice) imports nothing and counts as unchanged (``notes.without_contract``), and
so does a release still waiting for its buyer when the file ends (``notes.waiting_for_buyer``, their
``ocid``s in ``notes.waiting_ocids``): it is kept, and no contract changed. A release that waited in an
earlier chunk counts with the contract it gave once its buyer arrived.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, select

from monitor.bootstrap import App
from monitor.compute.processes import streamed_from_worker
from monitor.db import among
from monitor.ingest.contracts import ContractFacts, chunks, upsert, write_contracts
from monitor.ingest.items import BadItem, Item, first_byte, json_array_items, json_kind, json_lines, sha256_of
from monitor.ingest.loader import finish_batch, start_batch
from monitor.ingest.ocds.compile import compile_releases, release_time
from monitor.ingest.ocds.mapping import AwaitingBuyer, Mapped, ReleaseMapper, Unmappable
from monitor.ingest.pipeline import worth_a_worker
from monitor.ingest.report import ImportReport, IngestError
from monitor.ingest.rows import OpdDirectory
from monitor.ingest.scope import ScopeClassifier
from monitor.ingest.sources import Rejects
from monitor.ingest.spse.assemble import SatkerDirectory
from monitor.ingest.spse.importer import STAGE_IDENTITY, STAGES_TABLE, stage_fields
from monitor.models import utcnow

CHUNK_RELEASES = 2_000


def releases(path: Path) -> tuple[str, Iterator[Item | BadItem]]:
    """(the form, its releases), each with its JSON path."""
    head = first_byte(path)
    if head == b"[":
        return "releases", json_array_items(path, "item", "$", use_float=True)
    if head != b"{":
        raise IngestError(f"{path}: bukan JSON OCDS (paket release, paket record atau JSON Lines)")
    try:
        kind = json_kind(path, ("releases", "records"))
    except IngestError:
        kind = None  # more than one document: JSON Lines (their lines are checked one by one)
    if kind == "releases":
        return "release package", json_array_items(path, "releases.item", "$.releases", use_float=True)
    if kind == "records":
        return "record package", _compiled(path)
    return "json lines", _lines(path)


def _compiled(path: Path) -> Iterator[Item | BadItem]:
    for item in json_array_items(path, "records.item", "$.records"):
        compiled = item.value.get("compiledRelease") if isinstance(item.value, dict) else None
        if compiled is None:
            ocid = item.value.get("ocid") if isinstance(item.value, dict) else None
            yield BadItem(item.line, item.path, f"record {ocid or ''} tanpa compiledRelease: rilisnya tidak "
                                                "digabung di sini; ekspor paket record dengan compiledRelease")
            continue
        yield Item(item.line, f"{item.path}.compiledRelease", compiled)


def _lines(path: Path) -> Iterator[Item | BadItem]:
    for item in json_lines(path):
        if isinstance(item, Item) and isinstance(item.value, dict) and "releases" in item.value:
            for index, release in enumerate(item.value.get("releases") or []):
                yield Item(item.line, f"{item.path} $.releases[{index}]", release)
        else:
            yield item


def ingest_ocds(app: App, path: Path) -> ImportReport:
    """Import one OCDS file; raises :class:`IngestError` with nothing changed when the file as a whole
    cannot be read (a malformed package is refused whole)."""
    path = Path(path)
    settings = app.settings
    form, _ = releases(path)
    hashed = form != "record package"  # releases are kept as stages; a record's compiledRelease is not
    report = ImportReport(kind="ocds", file=str(path))
    report.notes["format"] = form
    satker = SatkerDirectory({code: opd.code for opd in settings.opd for code in opd.satker_codes},
                             OpdDirectory(settings.opd))
    mapper = ReleaseMapper(satker, ScopeClassifier(settings.scope))
    contracts: dict[str, int] = {"inserted": 0, "updated": 0, "unchanged": 0, "incomplete": 0}
    parts: Generator[Part, None, None] = _parts_read(path, hashed)
    if worth_a_worker(path):
        parts = streamed_from_worker(lambda: _parts_read(path, hashed), f"OCDS import of {path}")
    with app.engine.connect() as conn, conn.begin(), closing(parts):
        report.batch_id = batch_id = start_batch(conn, "ocds", str(path), sha256_of(path), utcnow())
        rejects = Rejects(batch_id, "ocds", str(path), report)
        waiting: dict[str, int] = {}
        for part in parts:
            report.rows += part.read
            for line, problems, summary in part.rejected:
                rejects.row(line, problems, summary, conn)
            if pending := part.items():
                groups = [([item], item.value) for item, _ in pending] if not hashed else \
                    _compiled_groups(conn, pending, batch_id)
                _write(conn, groups, mapper, batch_id, report, rejects, contracts, waiting)
        report.notes["contracts"] = {**contracts, "out_of_scope": report.out_of_scope}
        if waiting:
            report.notes["waiting_for_buyer"] = sum(waiting.values())
            report.notes["waiting_ocids"] = sorted(waiting)[:50]
        if satker.unknown:
            report.notes["unknown_opd"] = dict(sorted(satker.unknown.items(), key=lambda kv: -kv[1])[:50])
        rejects.flush(conn)
        finish_batch(conn, report, utcnow())
    return report


@dataclass
class Part:
    """What a stretch of the file's releases gave: how many were read, those rejected (line, problems,
    summary) and those to compile and write (with their hash where they are kept as stages). Made
    where the file is read (in a worker process for a large file) and written here."""

    read: int = 0
    rejected: list[tuple[int, list[tuple[str, str]], dict[str, Any]]] = field(default_factory=list)
    # A release kept as a stage crosses as its JSON text (sorted keys, the text its hash is of): orjson
    # reads it back several times faster than pickle would a nested dict.
    pending: list[tuple[Item, str]] = field(default_factory=list)
    encoded: list[tuple[int, str, bytes, str]] = field(default_factory=list)

    def items(self) -> list[tuple[Item, str]]:
        return self.pending + [(Item(line, path, orjson.loads(text)), digest)
                               for line, path, text, digest in self.encoded]


def _parts_read(path: Path, hashed: bool) -> Generator[Part, None, None]:
    _, items = releases(path)
    part = Part()
    for item in items:
        part.read += 1
        if isinstance(item, BadItem):
            part.rejected.append((item.line, [(item.path, item.reason)], {}))
        elif (problem := _unreadable(item.value)) is not None:
            part.rejected.append((item.line, [(f"{item.path}{problem[0]}", f"{_who(item.value)}: {problem[1]}")],
                                  _summary(item.value)))
        elif hashed:
            text = release_text(item.value)
            part.encoded.append((item.line, item.path, text, release_hash(text)))
        else:
            part.pending.append((item, ""))
        if len(part.pending) + len(part.encoded) >= CHUNK_RELEASES or len(part.rejected) >= CHUNK_RELEASES:
            yield part
            part = Part()
    yield part


def _unreadable(release: Any) -> tuple[str, str] | None:
    """What keeps a release from being compiled with the others of its process: (where, why)."""
    if not isinstance(release, dict):
        return "", "bukan objek release OCDS"
    if not release.get("ocid") or not isinstance(release["ocid"], str):
        return ".ocid", "ocid kosong"
    if len(release["ocid"]) > 200:
        return ".ocid", f"ocid terlalu panjang ({len(release['ocid'])} karakter; paling banyak 200)"
    if not release.get("id"):
        return ".id", "id release kosong"
    if len(str(release["id"])) > 200:
        return ".id", "id release terlalu panjang (paling banyak 200 karakter)"
    if release_time(release.get("date")) is None:
        return ".date", f"tanggal release '{release.get('date')}' tidak terbaca; rilis tidak dapat diurutkan"
    return None


# Releases of one process read in this chunk, and the release compiled from all those stored.
Group = tuple[list[Item], dict[str, Any]]


def _compiled_groups(conn: Connection, hashed: list[tuple[Item, str]], batch_id: int) -> list[Group]:
    """Stage the chunk's releases, then compile each process it touched from all its stored releases."""
    latest = {(item.value["ocid"], str(item.value["id"])): (item, digest) for item, digest in hashed}  # twice: last
    rows = [{"source": "ocds", "jalur": "release", "kode": ocid, "stage": "release", "nomor": rid,
             "versi": 0, "fields": item.value, "row_hash": digest, "batch_id": batch_id,
             "source_line": item.line} for (ocid, rid), (item, digest) in latest.items()]
    items = [item for item, _ in hashed]
    upsert(conn, STAGES_TABLE, STAGE_IDENTITY, rows)
    by_ocid: dict[str, list[Item]] = {}
    for item in items:
        by_ocid.setdefault(item.value["ocid"], []).append(item)
    stored: dict[str, list[dict[str, Any]]] = {}
    t = STAGES_TABLE.c
    lines = [item.line for item in items]
    for part in chunks(sorted(by_ocid)):
        for ocid, rid, fields in conn.execute(select(t.kode, t.nomor, stage_fields()).where(
                t.source == "ocds", t.jalur == "release", t.stage == "release", among(t.kode, part, conn.dialect.name),
                ~and_(t.batch_id == batch_id, t.source_line.between(min(lines), max(lines))))):
            if (ocid, rid) not in latest:
                stored.setdefault(ocid, []).append(orjson.loads(fields))
    for (ocid, _), (item, _) in latest.items():
        stored.setdefault(ocid, []).append(item.value)
    return [(group, compile_releases(stored[ocid])) for ocid, group in by_ocid.items()]


def release_text(release: dict[str, Any]) -> bytes:
    return orjson.dumps(release, option=orjson.OPT_SORT_KEYS)


def release_hash(text: bytes) -> str:
    """A release's hash, of its :func:`release_text`."""
    return hashlib.sha1(text).hexdigest()


def _write(conn: Connection, groups: list[Group], mapper: ReleaseMapper, batch_id: int, report: ImportReport,
           rejects: Rejects, contracts: dict[str, int], waiting: dict[str, int]) -> None:
    """Map and write the groups' contracts and count their releases. ``waiting``: per ``ocid``, the
    releases of this file counted unchanged so far because no release named the buyer yet."""
    mapped: list[tuple[list[Item], Mapped]] = []
    for items, compiled in groups:
        try:
            mapped.append((items, mapper.map(compiled, items[-1].line)))
        except Unmappable as exc:
            staged = "compiledRelease" not in items[0].path
            if staged and isinstance(exc, AwaitingBuyer):
                ocid = items[0].value["ocid"]
                waiting[ocid] = waiting.get(ocid, 0) + len(items)
                report.unchanged += len(items)  # kept as stages: compiled when the buyer arrives
                continue
            for item in items:
                rejects.row(item.line, [(f"{item.path}{exc.where}", f"{_who(item.value)}: {exc.why}")],
                            _summary(item.value), conn)
            if staged:
                _forget(conn, items)
    # The last process telling of a contract within the chunk wins; earlier chunks are already in the table.
    latest: dict[str, ContractFacts] = {}
    for _, found in mapped:
        for fact in found.contracts:
            latest.pop(fact.source_key, None)
            latest[fact.source_key] = fact
    counts = write_contracts(conn, latest.values(), batch_id)
    outcome = dict(zip(latest, counts.outcomes, strict=True))
    for key, fact in latest.items():
        if outcome[key] != "conflict":
            contracts[outcome[key]] += 1
            contracts["incomplete"] += not fact.complete
    for items, found in mapped:
        mine = [outcome.get(f.source_key, "unchanged") for f in found.contracts]
        if not found.contracts:
            report.unchanged += len(items)
            report.notes["without_contract"] = report.notes.get("without_contract", 0) + len(items)
        elif "conflict" in mine:
            key = found.contracts[mine.index("conflict")].source_key
            conflict = next(c for c in counts.conflicts if c.startswith(key))
            for item in items:
                rejects.row(item.line, [(item.path, f"{_who(item.value)}: {conflict}")], _summary(item.value), conn)
        else:
            bucket = "out_of_scope" if not any(f.in_scope for f in found.contracts) else next(
                (name for name in ("inserted", "updated") if name in mine), "unchanged")
            # Releases of an earlier chunk that waited for this buyer count with the contract they gave.
            earlier = waiting.pop(found.ocid, 0)
            report.unchanged -= earlier
            setattr(report, bucket, getattr(report, bucket) + len(items) + earlier)


def _forget(conn: Connection, items: list[Item]) -> None:
    """Rejected releases are not kept: the next compile of their process goes without them."""
    t = STAGES_TABLE.c
    for item in items:
        conn.execute(delete(STAGES_TABLE).where(t.source == "ocds", t.jalur == "release", t.stage == "release",
                                                t.kode == str(item.value["ocid"]),
                                                t.nomor == str(item.value["id"])))


def _who(release: Any) -> str:
    if not isinstance(release, dict):
        return "release"
    return f"ocid {release.get('ocid') or '-'}, release id {release.get('id') or '-'}"


def _summary(release: Any) -> dict[str, Any]:
    """What the reject list keeps of a release: enough to find it again, not the whole document."""
    if not isinstance(release, dict):
        return {"release": str(release)[:500]}
    return {key: release.get(key) for key in ("ocid", "id", "date", "tag") if key in release} | {
        "contracts": [c.get("id") for c in release.get("contracts") or [] if isinstance(c, dict)]}
