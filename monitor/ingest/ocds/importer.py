"""``pantau ingest ocds FILE``: an OCDS 1.1 file in one transaction, streamed (ijson) so a file of
any size fits in bounded memory.

- a release package (``{"releases": [...]}``): each release at ``$.releases[i]``;
- a record package (``{"records": [...]}``): each record's ``compiledRelease``, at
  ``$.records[i].compiledRelease`` (a record without one is rejected: its releases are not compiled here);
- JSON Lines: one release (or one release package) per line; a line that does not parse is rejected
  and the others import (a truncated file loses only its last line).

A release that cannot be mapped is rejected with its ``ocid``, release ``id`` and JSON path as the
"line" and the reason. Releases of the same contract overwrite it in file order (the last one read
wins): a record package's compiled releases carry the merged history. The report counts releases:
``read = inserted + updated + unchanged + rejected + out_of_scope``; a release without contracts (a
planning or tender notice) imports nothing and counts as unchanged (``notes.without_contract``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from monitor.bootstrap import App
from monitor.ingest.contracts import ContractFacts, write_contracts
from monitor.ingest.items import BadItem, Item, first_byte, json_array_items, json_kind, json_lines, sha256_of
from monitor.ingest.loader import finish_batch, start_batch
from monitor.ingest.ocds.mapping import Mapped, ReleaseMapper, Unmappable
from monitor.ingest.report import ImportReport, IngestError
from monitor.ingest.rows import OpdDirectory
from monitor.ingest.scope import ScopeClassifier
from monitor.ingest.sources import Rejects
from monitor.ingest.spse.assemble import SatkerDirectory
from monitor.models import utcnow

CHUNK_RELEASES = 2_000


def releases(path: Path) -> tuple[str, Iterator[Item | BadItem]]:
    """(the form, its releases), each with its JSON path."""
    head = first_byte(path)
    if head == b"[":
        return "releases", json_array_items(path, "item", "$")
    if head != b"{":
        raise IngestError(f"{path}: bukan JSON OCDS (paket release, paket record atau JSON Lines)")
    try:
        kind = json_kind(path, ("releases", "records"))
    except IngestError:
        kind = None  # more than one document: JSON Lines (their lines are checked one by one)
    if kind == "releases":
        return "release package", json_array_items(path, "releases.item", "$.releases")
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
    form, items = releases(path)
    report = ImportReport(kind="ocds", file=str(path))
    report.notes["format"] = form
    satker = SatkerDirectory({code: opd.code for opd in settings.opd for code in opd.satker_codes},
                             OpdDirectory(settings.opd))
    mapper = ReleaseMapper(satker, ScopeClassifier(settings.scope))
    contracts: dict[str, int] = {"inserted": 0, "updated": 0, "unchanged": 0, "incomplete": 0}
    with app.engine.connect() as conn, conn.begin():
        report.batch_id = batch_id = start_batch(conn, "ocds", str(path), sha256_of(path), utcnow())
        rejects = Rejects(batch_id, "ocds", str(path), report)
        pending: list[tuple[Item, Mapped]] = []

        def flush() -> None:
            _write(conn, pending, batch_id, report, rejects, contracts)
            pending.clear()

        for item in items:
            report.rows += 1
            if isinstance(item, BadItem):
                rejects.row(item.line, [(item.path, item.reason)], {}, conn)
                continue
            try:
                mapped = mapper.map(item.value, item.line)
            except Unmappable as exc:
                rejects.row(item.line, [(f"{item.path}{exc.where}", f"{_who(item.value)}: {exc.why}")],
                            _summary(item.value), conn)
                continue
            if not mapped.contracts:
                report.unchanged += 1
                report.notes["without_contract"] = report.notes.get("without_contract", 0) + 1
                continue
            pending.append((item, mapped))
            if len(pending) >= CHUNK_RELEASES:
                flush()
        flush()
        report.notes["contracts"] = {**contracts, "out_of_scope": report.out_of_scope}
        if satker.unknown:
            report.notes["unknown_opd"] = dict(sorted(satker.unknown.items(), key=lambda kv: -kv[1])[:50])
        rejects.flush(conn)
        finish_batch(conn, report, utcnow())
    return report


def _write(conn: Any, pending: list[tuple[Item, Mapped]], batch_id: int, report: ImportReport, rejects: Rejects,
           contracts: dict[str, int]) -> None:
    # The last release of a contract within the chunk wins; earlier chunks are already in the table.
    latest: dict[str, ContractFacts] = {}
    for _, mapped in pending:
        for fact in mapped.contracts:
            latest.pop(fact.source_key, None)
            latest[fact.source_key] = fact
    counts = write_contracts(conn, latest.values(), batch_id)
    outcome = dict(zip(latest, counts.outcomes, strict=True))
    for key, fact in latest.items():
        if outcome[key] != "conflict":
            contracts[outcome[key]] += 1
            contracts["incomplete"] += not fact.complete
    for item, mapped in pending:
        mine = [outcome.get(f.source_key, "unchanged") for f in mapped.contracts]
        if "conflict" in mine:
            key = mapped.contracts[mine.index("conflict")].source_key
            conflict = next(c for c in counts.conflicts if c.startswith(key))
            rejects.row(item.line, [(item.path, f"{_who(item.value)}: {conflict}")], _summary(item.value), conn)
        elif not any(f.in_scope for f in mapped.contracts):
            report.out_of_scope += 1
        elif "inserted" in mine:
            report.inserted += 1
        elif "updated" in mine:
            report.updated += 1
        else:
            report.unchanged += 1


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
