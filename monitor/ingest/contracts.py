"""Contracts from the real sources (SPSE, OCDS) into the contract, addendum and payment tables.

A source's contract is found again by its ``source_key`` (the source's own ids), so a later stage or
release updates it in place; a contract first imported from a file of contracts with the same OPD and
number is the same contract, and is taken over. Rows are compared by their hash: a re-import of the
same facts writes nothing (``unchanged``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, Date, Table, bindparam, insert, select, update

from monitor.db import among, driver_rows
from monitor.ingest.rows import row_hash
from monitor.models import Addendum, Contract, Payment

CHUNK = 2_000


@dataclass(frozen=True, slots=True)
class SourceAddendum:
    nomor_adendum: str
    tanggal_adendum: date
    nilai_kontrak_baru: int | None = None
    tanggal_selesai_baru: date | None = None


@dataclass(frozen=True, slots=True)
class SourcePayment:
    nomor_sp2d: str
    tanggal_sp2d: date
    nilai: int
    uraian: str | None = None


@dataclass
class ContractFacts:
    """A contract as a source tells it (see :class:`monitor.models.Contract` for each field)."""

    source: str
    source_key: str
    opd: str
    opd_known: bool
    nomor_kontrak: str
    tanggal_kontrak: date
    nama_paket: str
    penyedia: str
    nilai_kontrak_sen: int | None
    tanggal_selesai: date | None
    sumber_tanggal_selesai: str | None
    jenis_pekerjaan: str
    in_scope: bool
    scope_reason: str
    scope_guessed: bool
    kode_paket: str | None = None
    npwp_penyedia: str | None = None
    tanggal_mulai: date | None = None
    sumber_dana: str = "APBD"
    tahun_anggaran: int | None = None
    kd_tender: str | None = None
    kd_nontender: str | None = None
    ocid: str | None = None
    nama_ppk: str | None = None
    nip_ppk: str | None = None
    anggota_kso: tuple[str, ...] = ()  # a consortium's member firms as the source names them
    addenda: list[SourceAddendum] = field(default_factory=list)
    payments: list[SourcePayment] = field(default_factory=list)
    line: int | None = None  # where it was read (OCDS: the release's position)

    @property
    def complete(self) -> bool:
        """The check needs the end of works and the value."""
        return self.tanggal_selesai is not None and self.nilai_kontrak_sen is not None

    def row(self) -> dict[str, Any]:
        sen = self.nilai_kontrak_sen
        return {
            "opd": self.opd[:100], "opd_known": self.opd_known, "nomor_kontrak": self.nomor_kontrak,
            "kode_paket": None if self.kode_paket is None else self.kode_paket[:100],
            "tanggal_kontrak": self.tanggal_kontrak, "nama_paket": self.nama_paket, "penyedia": self.penyedia[:500],
            "npwp_penyedia": self.npwp_penyedia,
            # Whole rupiah, half up (the premium's base); the sen are kept beside it.
            "nilai_kontrak": 0 if sen is None else (sen + 50) // 100, "nilai_kontrak_sen": sen,
            "tanggal_mulai": self.tanggal_mulai, "tanggal_selesai": self.tanggal_selesai,
            "sumber_dana": self.sumber_dana[:50], "jenis_pekerjaan": self.jenis_pekerjaan,
            "tahun_anggaran": self.tahun_anggaran, "complete": self.complete,
            "sumber_tanggal_selesai": self.sumber_tanggal_selesai, "in_scope": self.in_scope,
            "scope_reason": self.scope_reason[:200], "scope_guessed": self.scope_guessed, "source": self.source,
            "kd_tender": self.kd_tender, "kd_nontender": self.kd_nontender, "ocid": self.ocid,
            "source_key": self.source_key[:400],
            "nama_ppk": None if self.nama_ppk is None else self.nama_ppk[:200],
            "nip_ppk": None if self.nip_ppk is None else self.nip_ppk[:30],
            "anggota_kso": "\n".join(self.anggota_kso) or None,
        }


@dataclass
class WriteCounts:
    # Contracts not written: their OPD and number belong to another contract of a source.
    conflicts: list[str] = field(default_factory=list)
    # Per contract given, in order: inserted|updated|unchanged|conflict.
    outcomes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {name: self.outcomes.count(name) for name in ("inserted", "updated", "unchanged")} | {
            "conflicts": len(self.conflicts)}


def chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# Columns added after contracts were first imported: each enters a row's hash only where it is set, so a
# contract imported before it (and still without it) keeps its hash and a re-import leaves it unchanged.
_HASHED_WHEN_SET = frozenset({"anggota_kso"})


@lru_cache(maxsize=64)
def _hash_order(keys: tuple[str, ...]) -> tuple[str, ...]:
    """A row's columns in the order they are hashed (every row of a table has the same columns)."""
    return tuple(sorted(keys))


def _with_hash(row: dict[str, Any], batch_id: int, line: int | None) -> dict[str, Any]:
    values = [row[k] for k in _hash_order(tuple(row)) if row[k] is not None or k not in _HASHED_WHEN_SET]
    return {**row, "row_hash": row_hash(values), "batch_id": batch_id, "source_line": line}


def _apply(conn: Connection, table: Table, inserts: list[dict[str, Any]], updates: list[dict[str, Any]]) -> None:
    if conn.dialect.name == "sqlite":
        _sqlite_apply(conn, table, inserts, updates)
        return
    inserts, updates = _decoded(inserts), _decoded(updates)
    if inserts:
        conn.execute(insert(table), inserts)
    if updates:
        columns = [c for c in updates[0] if c != "id"]
        conn.execute(
            update(table).where(table.c.id == bindparam("v_id")).values({c: bindparam(f"v_{c}") for c in columns}),
            [{f"v_{k}": v for k, v in row.items()} for row in updates],
        )


class JsonText(str):
    """A JSON column's value given as its text already (sorted keys, as :func:`_json_text` writes it):
    stored as it is on SQLite, decoded for PostgreSQL's driver."""


def _json_text(value: Any) -> str:
    if type(value) is JsonText:
        return value
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _decoded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with any :class:`JsonText` as the value it writes (SQLAlchemy's JSON type encodes it)."""
    texts = [key for key, value in (rows[0] if rows else {}).items() if type(value) is JsonText]
    if not texts:
        return rows
    return [{**row, **{key: orjson.loads(row[key].encode()) for key in texts}} for row in rows]


def _sqlite_converter(column_type: Any) -> Callable[[Any], Any] | None:
    """How SQLite stores a column's values through SQLAlchemy's types: dates as ISO text, JSON as its
    text; the other types as they are."""
    if isinstance(column_type, Date):
        return date.isoformat
    if isinstance(column_type, JSON):
        return _json_text
    return None


def _sqlite_params(table: Table, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """The rows' values in ``columns`` order, converted once per column rather than tested per cell."""
    pick = itemgetter(*columns)
    params = [list(pick(row)) if len(columns) > 1 else [pick(row)] for row in rows]
    for index, column in enumerate(columns):
        convert = _sqlite_converter(table.c[column].type)
        if convert is not None:
            for values in params:
                if values[index] is not None:
                    values[index] = convert(values[index])
    return params


def _sqlite_apply(conn: Connection, table: Table, inserts: list[dict[str, Any]],
                  updates: list[dict[str, Any]]) -> None:
    """The sqlite3 module's own executemany, in the same transaction: SQLAlchemy's per-value processing
    costs more than the rest of the import at a million rows (as in :mod:`monitor.ingest.loader`)."""
    driver = conn.connection.driver_connection
    assert driver is not None
    quote = conn.dialect.identifier_preparer.quote
    if inserts:
        columns = list(inserts[0])
        driver.executemany(
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})", _sqlite_params(table, columns, inserts))
    if updates:
        columns = [*(c for c in updates[0] if c != "id"), "id"]
        driver.executemany(
            f"UPDATE {quote(table.name)} SET {', '.join(f'{quote(c)} = ?' for c in columns[:-1])} WHERE id = ?",
            _sqlite_params(table, columns, updates))


def upsert(conn: Connection, table: Table, keys: Sequence[str], rows: Sequence[dict[str, Any]]) -> list[str]:
    """Insert or update ``rows`` (with their row_hash) by ``keys``; per row: inserted|updated|unchanged.
    The rows' keys must be distinct."""
    outcomes: list[str] = []
    probe, identity = table.c[keys[-1]], itemgetter(*keys)
    for chunk in chunks(rows):
        found = {
            tuple(r[2:]): (r[0], r[1])
            for r in driver_rows(conn, select(table.c.id, table.c.row_hash, *(table.c[k] for k in keys))
                                 .where(among(probe, {row[keys[-1]] for row in chunk}, conn.dialect.name)))
        }
        inserts, updates = [], []
        for row in chunk:
            key = identity(row)
            existing = found.get(key if len(keys) > 1 else (key,))
            if existing is None:
                inserts.append(row)
                outcomes.append("inserted")
            elif existing[1] != row["row_hash"]:
                updates.append({**row, "id": existing[0]})
                outcomes.append("updated")
            else:
                outcomes.append("unchanged")
        _apply(conn, table, inserts, updates)
    return outcomes


def write_contracts(conn: Connection, facts: Iterable[ContractFacts], batch_id: int) -> WriteCounts:
    """The contracts, then their addenda and payments."""
    counts = WriteCounts()
    table = Contract.__table__
    assert isinstance(table, Table)
    taken: dict[tuple[str, str], str] = {}  # (opd, nomor) -> source_key, within this import
    for chunk in chunks(facts):
        keys = [f.source_key for f in chunk]
        by_key = {key: (id_, digest) for id_, digest, key in driver_rows(conn, select(
            table.c.id, table.c.row_hash, table.c.source_key)
            .where(among(table.c.source_key, keys, conn.dialect.name)))}
        by_number = {(opd, nomor): (id_, key) for id_, opd, nomor, key in driver_rows(conn, select(
            table.c.id, table.c.opd, table.c.nomor_kontrak, table.c.source_key)
            .where(among(table.c.nomor_kontrak, {f.nomor_kontrak for f in chunk}, conn.dialect.name)))}
        inserts, updates, written, unchanged = [], [], [], {}
        for fact in chunk:
            row = _with_hash(fact.row(), batch_id, fact.line)
            number = (row["opd"], row["nomor_kontrak"])
            owner = taken.setdefault(number, fact.source_key)
            holder = by_number.get(number)
            if owner != fact.source_key or (holder is not None and holder[1] not in (None, fact.source_key)):
                counts.conflicts.append(
                    f"{fact.source_key}: OPD {number[0]} nomor kontrak '{number[1]}' sudah dipakai "
                    f"{holder[1] if holder is not None and holder[1] != fact.source_key else owner}")
                counts.outcomes.append("conflict")
                continue
            existing = by_key.get(fact.source_key)
            if existing is None and holder is not None:
                existing = (holder[0], "")  # a contract from a file: taken over
            if existing is None:
                inserts.append(row)
                counts.outcomes.append("inserted")
            elif existing[1] != row["row_hash"]:
                updates.append({**row, "id": existing[0]})
                counts.outcomes.append("updated")
            else:
                unchanged[number] = len(counts.outcomes)
                counts.outcomes.append("unchanged")
            written.append(fact)
        _apply(conn, table, inserts, updates)
        # A contract whose addenda or payments changed is updated too (an OCDS implementation release).
        for number in _write_addenda(conn, written, batch_id) | _write_payments(conn, written, batch_id):
            if number in unchanged:
                counts.outcomes[unchanged[number]] = "updated"
    return counts


def _write_addenda(conn: Connection, facts: Sequence[ContractFacts], batch_id: int) -> set[tuple[str, str]]:
    rows = [_with_hash({
        "opd": f.opd[:100], "opd_known": f.opd_known, "nomor_kontrak": f.nomor_kontrak,
        "nomor_adendum": a.nomor_adendum, "tanggal_adendum": a.tanggal_adendum,
        "nilai_kontrak_baru": a.nilai_kontrak_baru, "tanggal_selesai_baru": a.tanggal_selesai_baru,
    }, batch_id, f.line) for f in facts for a in f.addenda]
    table = Addendum.__table__
    assert isinstance(table, Table)
    return _changed(conn, table, ("opd", "nomor_adendum", "nomor_kontrak"),
                    _distinct(rows, ("opd", "nomor_kontrak", "nomor_adendum")))


def _write_payments(conn: Connection, facts: Sequence[ContractFacts], batch_id: int) -> set[tuple[str, str]]:
    rows = [_with_hash({
        "nomor_sp2d": p.nomor_sp2d[:200], "tanggal_sp2d": p.tanggal_sp2d, "nomor_kontrak": f.nomor_kontrak,
        "opd": f.opd[:100], "opd_known": f.opd_known, "nilai": p.nilai, "uraian": p.uraian,
    }, batch_id, f.line) for f in facts for p in f.payments]
    table = Payment.__table__
    assert isinstance(table, Table)
    return _changed(conn, table, ("nomor_sp2d",), _distinct(rows, ("nomor_sp2d",)))


def _changed(conn: Connection, table: Table, keys: Sequence[str], rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Upsert the rows; the (opd, nomor_kontrak) of those inserted or updated."""
    outcomes = upsert(conn, table, keys, rows)
    return {(row["opd"], row["nomor_kontrak"]) for row, outcome in zip(rows, outcomes, strict=True)
            if outcome != "unchanged"}


def _distinct(rows: list[dict[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    """The last row of each key (a later addendum version or payment record of the same id wins)."""
    key = itemgetter(*keys)
    found: Mapping[Any, dict[str, Any]] = {key(row): row for row in rows}
    return list(found.values())
