"""Statements sent straight to the DB-API driver, for the run's write (see :class:`Driver`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Column
from sqlalchemy.engine import Connection

from monitor.check.findings import FINDING

_F = FINDING.c


class Stored(NamedTuple):
    """What reconciling needs of a stored finding."""

    id: int
    fingerprint: str
    status: str
    severity: str
    content_hash: str
    amount_at_risk: int
    last_seen: date
    silence_id: int | None
    silenced_until: date | None


_STORED = tuple(_F[name] for name in Stored._fields)


class Driver:
    """Statements sent straight to the DB-API driver with ``executemany`` over plain tuples, in the
    caller's transaction: at hundreds of thousands of rows per run, SQLAlchemy's per-row parameter
    processing costs more than the database's own work. Values are converted as SQLAlchemy would
    (its bind and result processors for the dialect: SQLite keeps dates and times as text), each
    distinct value once. Works with the two supported drivers: sqlite3 (``?``) and psycopg (``%s``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.mark = "?" if self.dialect.paramstyle == "qmark" else "%s"
        # The details arrive as JSON text (see monitor.check.findings.stored_content).
        self.json_mark = f"CAST({self.mark} AS JSON)" if self.dialect.name == "postgresql" else self.mark
        self._memo: dict[tuple[str, Any], Any] = {}
        self._next_ids: dict[str, int] = {}  # table -> the next id new_ids() gives on SQLite

    def marks(self, table: str, names: Sequence[str]) -> list[str]:
        return [self.json_mark if (table, name) == ("finding", "details") else self.mark for name in names]

    def bind(self, column: Column[Any]) -> Callable[[Any], Any]:
        """The column's value as the driver takes it (identity for most types)."""
        processor = column.type.dialect_impl(self.dialect).bind_processor(self.dialect)
        return self._memoized(column.key, processor) if processor is not None else _same

    def result(self, column: Column[Any]) -> Callable[[Any], Any]:
        processor = column.type.dialect_impl(self.dialect).result_processor(self.dialect, None)
        return self._memoized(f"<{column.key}", processor) if processor is not None else _same

    def _memoized(self, name: str, processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
        memo = self._memo

        def convert(value: Any) -> Any:
            if value is None:
                return None
            key = (name, value)
            found = memo.get(key, memo)
            if found is memo:
                found = memo[key] = processor(value)
            return found

        return convert

    def insert(self, table: str, names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(self.marks(table, names))})"
            self.conn.exec_driver_sql(sql, rows)

    def update(self, table: str, names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """``UPDATE table SET names... WHERE id = ?``: each row is the new values, then the id."""
        if rows:
            assignments = ", ".join(f"{name} = {mark}" for name, mark in zip(names, self.marks(table, names),
                                                                              strict=True))
            self.conn.exec_driver_sql(f"UPDATE {table} SET {assignments} WHERE id = {self.mark}", rows)

    def stored(self, fingerprints: Sequence[str]) -> dict[str, Stored]:
        """The stored findings with these fingerprints, by fingerprint."""
        if not fingerprints:
            return {}
        sql = (f"SELECT {', '.join(c.key for c in _STORED)} FROM finding "
               f"WHERE fingerprint IN ({', '.join([self.mark] * len(fingerprints))})")
        day, until = self.result(_F.last_seen), self.result(_F.silenced_until)
        return {
            row[1]: Stored(row[0], row[1], row[2], row[3], row[4], row[5], day(row[6]), row[7], until(row[8]))
            for row in self.conn.exec_driver_sql(sql, tuple(fingerprints))
        }

    def new_ids(self, table: str, count: int) -> list[int]:
        """Ids for ``count`` rows about to be inserted into ``table``, taken up front so that the rows
        need no SELECT afterwards (nor INSERT … RETURNING, which SQLite must batch into multi-row
        VALUES): on PostgreSQL from the table's sequence; on SQLite after the largest id, which is
        safe under the writers' lock (:func:`monitor.check.findings.lock_for_writing`): no one else inserts."""
        if self.dialect.name == "postgresql":
            sql = f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, {int(count)})"
            return [row[0] for row in self.conn.exec_driver_sql(sql)]
        start = self._next_ids.get(table)
        if start is None:
            start = int(self.conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar_one()) + 1
        self._next_ids[table] = start + count
        return list(range(start, start + count))


def _same(value: Any) -> Any:
    return value
