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
from monitor.compute.memory import gc_paused
from monitor.compute.processes import streamed_from_worker
from monitor.db import PlannerStatistics, among, driver_rows
from monitor.ingest.contracts import ContractFacts, JsonText, chunks, upsert, write_contracts
from monitor.ingest.items import BadItem, Item, first_byte, json_array_items, json_kind, json_lines, sha256_of
from monitor.ingest.loader import finish_batch, start_batch
from monitor.ingest.ocds.compile import compile_releases, release_time
from monitor.ingest.ocds.mapping import AwaitingBuyer, Mapped, ReleaseMapper, Unmappable
from monitor.ingest.pipeline import worth_a_worker
from monitor.ingest.report import ImportReport, IngestError
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
    satker = SatkerDirectory.of(settings.opd)
    mapper = ReleaseMapper(satker, ScopeClassifier(settings.scope))
    contracts: dict[str, int] = {"inserted": 0, "updated": 0, "unchanged": 0, "incomplete": 0}
    parts: Generator[Part, None, None] = _parts_read(path, hashed, None)
    if worth_a_worker(path):
        # The worker maps with a directory of its own; what it resolved is counted here when used.
        worker_mapper = ReleaseMapper(SatkerDirectory.of(settings.opd), ScopeClassifier(settings.scope))
        parts = streamed_from_worker(lambda: _parts_read(path, hashed, worker_mapper), f"OCDS import of {path}")
    with app.engine.connect() as conn, conn.begin(), closing(parts), gc_paused():
        report.batch_id = batch_id = start_batch(conn, "ocds", str(path), sha256_of(path), utcnow())
        rejects = Rejects(batch_id, "ocds", str(path), report)
        waiting: dict[str, int] = {}
        statistics = PlannerStatistics(conn, ("source_stage", "contract"))
        for part in parts:
            report.rows += part.read
            for line, problems, summary in part.rejected:
                rejects.row(line, problems, summary, conn)
            groups: list[Group] = _compiled_groups(conn, [Staged(*s) for s in part.staged], batch_id,
                                                   part.premapped) if hashed else \
                [([item], item.value) for item in part.pending]
            if groups:
                _write(conn, groups, mapper, satker, batch_id, report, rejects, contracts, waiting)
                statistics.written(len(groups))
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
    pending: list[Item] = field(default_factory=list)  # a record package's compiled releases
    # Releases kept as stages: (line, path, JSON text, hash, ocid, release id, the release where it was
    # read here; None from the worker). See :class:`Staged`.
    staged: list[tuple[int, str, bytes, str, str, str, dict[str, Any] | None]] = field(default_factory=list)
    # Per ocid, its contracts as mapped from this part's releases alone (see :class:`Premapped`).
    premapped: dict[str, Premapped] = field(default_factory=dict)


class Staged:
    """A release kept as a stage, as read: its JSON text (sorted keys: the text stored, and its hash),
    ocid and id. From the parse worker the release is decoded only where it is needed (compiling it
    with releases stored earlier, a rejection): the text crosses the pipe cheaper than a pickled dict,
    and the stage is stored from the text as it is."""

    __slots__ = ("_value", "digest", "line", "ocid", "path", "rid", "text")

    def __init__(self, line: int, path: str, text: bytes, digest: str, ocid: str, rid: str,
                 value: dict[str, Any] | None) -> None:
        self.line, self.path, self.text, self.digest, self.ocid, self.rid = line, path, text, digest, ocid, rid
        self._value = value

    @property
    def value(self) -> dict[str, Any]:
        if self._value is None:
            self._value = orjson.loads(self.text)
        return self._value


Release = Item | Staged


@dataclass(frozen=True)
class Premapped:
    """A process's contracts mapped where the file is read, from one part's releases alone: what
    :meth:`ReleaseMapper.map` gave (or why it could not), and the buyer it resolved. Used as is where
    no other release of the process is stored; else the process is compiled and mapped again."""

    mapped: Mapped | None
    failure: tuple[bool, str, str] | None  # (awaiting the buyer, where, why)
    buyer: tuple[str, bool] | None

    def result(self, satker: SatkerDirectory) -> Mapped:
        if self.buyer is not None:
            satker.tally(*self.buyer)
        if self.mapped is not None:
            return self.mapped
        assert self.failure is not None
        awaiting, where, why = self.failure
        raise (AwaitingBuyer if awaiting else Unmappable)(where, why)


def premap(mapper: ReleaseMapper, read: list[tuple[str, str, int, dict[str, Any]]]) -> dict[str, Premapped]:
    """Each process of the releases ``read`` (ocid, release id, line, release), compiled and mapped as
    :func:`_compiled_groups` and :func:`_write` would with nothing else stored."""
    processes: dict[str, dict[str, dict[str, Any]]] = {}
    last_line: dict[str, int] = {}
    for ocid, rid, line, value in read:
        processes.setdefault(ocid, {})[rid] = value  # a release twice: the last, in its first place
        last_line[ocid] = line
    found: dict[str, Premapped] = {}
    for ocid, process in processes.items():
        try:
            found[ocid] = Premapped(mapper.map(compile_releases(list(process.values())), last_line[ocid]), None,
                                    mapper.last_buyer)
        except Unmappable as exc:
            found[ocid] = Premapped(None, (isinstance(exc, AwaitingBuyer), exc.where, exc.why), mapper.last_buyer)
    return found


def _parts_read(path: Path, hashed: bool, mapper: ReleaseMapper | None) -> Generator[Part, None, None]:
    """The file's releases, a part at a time; with a ``mapper`` (in the parse worker) the part's
    processes premapped too."""
    _, items = releases(path)
    part = Part()
    values: list[tuple[str, str, int, dict[str, Any]]] = []
    for item in items:
        part.read += 1
        if isinstance(item, BadItem):
            part.rejected.append((item.line, [(item.path, item.reason)], {}))
        elif (problem := _unreadable(item.value)) is not None:
            part.rejected.append((item.line, [(f"{item.path}{problem[0]}", f"{_who(item.value)}: {problem[1]}")],
                                  _summary(item.value)))
        elif hashed:
            text, ocid, rid = release_text(item.value), item.value["ocid"], str(item.value["id"])
            part.staged.append((item.line, item.path, text, release_hash(text), ocid, rid,
                                None if mapper is not None else item.value))
            if mapper is not None:
                values.append((ocid, rid, item.line, item.value))
        else:
            part.pending.append(item)
        if len(part.pending) + len(part.staged) >= CHUNK_RELEASES or len(part.rejected) >= CHUNK_RELEASES:
            if mapper is not None:
                part.premapped, values = premap(mapper, values), []
            yield part
            part = Part()
    if mapper is not None:
        part.premapped = premap(mapper, values)
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


# Releases of one process read in this chunk, and the release compiled from all those stored (or the
# process as the parse worker mapped it, where nothing else of it is stored).
Group = tuple[list[Release], "dict[str, Any] | Premapped"]


def _compiled_groups(conn: Connection, staged: list[Staged], batch_id: int,
                     premapped: dict[str, Premapped]) -> list[Group]:
    """Stage the chunk's releases, then compile each process it touched from all its stored releases
    (a process of which only the chunk's releases are stored: as premapped, where it was)."""
    if not staged:
        return []
    latest = {(release.ocid, release.rid): release for release in staged}  # a release twice: the last
    rows = [{"source": "ocds", "jalur": "release", "kode": ocid, "stage": "release", "nomor": rid,
             "versi": 0, "fields": JsonText(release.text.decode()), "row_hash": release.digest, "batch_id": batch_id,
             "source_line": release.line} for (ocid, rid), release in latest.items()]
    upsert(conn, STAGES_TABLE, STAGE_IDENTITY, rows)
    by_ocid: dict[str, list[Staged]] = {}
    for release in staged:
        by_ocid.setdefault(release.ocid, []).append(release)
    stored: dict[str, list[dict[str, Any]]] = {}
    t = STAGES_TABLE.c
    lines = [release.line for release in staged]
    for part in chunks(sorted(by_ocid)):
        for ocid, rid, fields in driver_rows(conn, select(t.kode, t.nomor, stage_fields()).where(
                t.source == "ocds", t.jalur == "release", t.stage == "release", among(t.kode, part, conn.dialect.name),
                ~and_(t.batch_id == batch_id, t.source_line.between(min(lines), max(lines))))):
            if (ocid, rid) not in latest:
                stored.setdefault(ocid, []).append(orjson.loads(fields))
    groups: list[Group] = []
    for ocid, group in by_ocid.items():
        members: list[Release] = [*group]
        if ocid in premapped and ocid not in stored:
            groups.append((members, premapped[ocid]))
        else:
            mine = {release.rid: release for release in group}.values()  # as in ``latest``
            groups.append((members, compile_releases(stored.get(ocid, []) + [release.value for release in mine])))
    return groups


def release_text(release: dict[str, Any]) -> bytes:
    return orjson.dumps(release, option=orjson.OPT_SORT_KEYS)


def release_hash(text: bytes) -> str:
    """A release's hash, of its :func:`release_text`."""
    return hashlib.sha1(text).hexdigest()


def _write(conn: Connection, groups: list[Group], mapper: ReleaseMapper, satker: SatkerDirectory, batch_id: int,
           report: ImportReport, rejects: Rejects, contracts: dict[str, int], waiting: dict[str, int]) -> None:
    """Map and write the groups' contracts and count their releases. ``waiting``: per ``ocid``, the
    releases of this file counted unchanged so far because no release named the buyer yet."""
    mapped: list[tuple[list[Release], Mapped]] = []
    for items, compiled in groups:
        try:
            mapped.append((items, compiled.result(satker) if isinstance(compiled, Premapped) else
                           mapper.map(compiled, items[-1].line)))
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


def _forget(conn: Connection, items: list[Release]) -> None:
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
