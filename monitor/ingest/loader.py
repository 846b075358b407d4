"""Writing records to the database in bulk, identically on SQLite and PostgreSQL.

Each chunk of valid records goes into a temporary staging table with one executemany, then two
set-based statements merge it into the target table by the kind's identity:

- ``UPDATE target ... FROM staging`` where the identity matches and the row hash differs;
- ``INSERT INTO target SELECT ... FROM staging`` where the identity is absent.

Their row counts give ``updated`` and ``inserted``; the rest of the chunk is ``unchanged``. Rows
that vanish from a later export are kept: exports are often partial (one OPD, one quarter).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    RootTransaction,
    Table,
    and_,
    exists,
    insert,
    select,
    update,
)

from monitor.ingest.kinds import KindSpec
from monitor.ingest.report import ImportReport
from monitor.ingest.rows import row_hash
from monitor.models import ImportBatch, RejectedRow, utcnow

_TRACKING = ("batch_id", "source_line", "row_hash")


def _insert_sql(conn: Connection, table: str, columns: list[str]) -> str:
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return (f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join([mark] * len(columns))})")


def _executemany(conn: Connection, table: str, columns: list[str], records: list[list[Any]]) -> None:
    """One executemany through SQLAlchemy (which wants tuples)."""
    conn.exec_driver_sql(_insert_sql(conn, table, columns), [tuple(r) for r in records])


def _sqlite_executemany(conn: Connection, table: str, columns: list[str], records: list[list[Any]]) -> None:
    """The sqlite3 module's own executemany (~200k rows/s), in the same transaction."""
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.executemany(_insert_sql(conn, table, columns), records)


def _copy(conn: Connection, table: str, columns: list[str], records: list[list[Any]]) -> None:
    """PostgreSQL's COPY through psycopg: ten times an executemany's speed."""
    quote = conn.dialect.identifier_preparer.quote
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(
        f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    ) as copy:
        for record in records:
            copy.write_row(record)


# How each database takes a chunk of rows fastest; others use executemany.
BULK_LOADERS: dict[str, Callable[[Connection, str, list[str], list[list[Any]]], None]] = {
    "postgresql": _copy,
    "sqlite": _sqlite_executemany,
}
# Statements run once per import transaction. PostgreSQL has no statistics for rows loaded in the
# same transaction and chose hash joins that scan the whole target table for every chunk (quadratic
# in the file's size); probing the identity's unique index for each staged row is the right plan.
PLANNER_SETTINGS: dict[str, tuple[str, ...]] = {
    "postgresql": ("SET LOCAL enable_hashjoin = off", "SET LOCAL enable_mergejoin = off"),
}


class Stage:
    """The staging table for one import on one connection (dropped by :meth:`close`).

    Records are lists of the values of ``columns`` followed by ``batch_id, source_line, row_hash``.
    They go to the driver as they are: SQLAlchemy's per-value processing would cost more than
    the whole parse at a million rows.
    """

    def __init__(self, conn: Connection, spec: KindSpec, columns: list[str]) -> None:
        self.conn = conn
        self.target = target = spec.table
        self.columns = [*columns, *_TRACKING]
        self.name = name = f"ingest_stage_{target.name}"
        self.table = staging = Table(
            name, MetaData(), *(Column(c, target.c[c].type) for c in self.columns), prefixes=["TEMPORARY"]
        )
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        staging.create(conn)
        self._bulk_load = BULK_LOADERS.get(conn.dialect.name, _executemany)
        for statement in PLANNER_SETTINGS.get(conn.dialect.name, ()):
            conn.exec_driver_sql(statement)
        same_identity = and_(*(target.c[k] == staging.c[k] for k in spec.identity))
        self._update = (
            update(target)
            .where(same_identity, target.c.row_hash != staging.c.row_hash)
            .values({c: staging.c[c] for c in self.columns if c not in spec.identity})
        )
        # Without preserve_rowcount SQLAlchemy reports -1 for INSERT ... SELECT on psycopg.
        self._insert_new = insert(target).from_select(
            self.columns,
            select(*(staging.c[c] for c in self.columns)).where(~exists().where(same_identity)),
        ).execution_options(preserve_rowcount=True)
        self._clear = staging.delete()

    def merge(self, records: list[list[Any]]) -> tuple[int, int, int]:
        """(inserted, updated, unchanged) for one chunk of records with distinct identities."""
        if not records:
            return 0, 0, 0
        conn = self.conn
        self._bulk_load(conn, self.name, self.columns, records)
        updated = conn.execute(self._update).rowcount
        inserted = conn.execute(self._insert_new).rowcount
        conn.execute(self._clear)
        return inserted, updated, len(records) - inserted - updated

    def close(self) -> None:
        self.table.drop(self.conn)


def start_batch(conn: Connection, kind: str, file_name: str, sha256: str, started: datetime) -> int:
    result = conn.execute(
        insert(ImportBatch).values(
            kind=kind, file_name=file_name[:500], sha256=sha256, rows=0, inserted=0, updated=0, unchanged=0,
            rejected=0, started_at=started, notes={},
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_batch(conn: Connection, report: ImportReport, finished: datetime) -> None:
    conn.execute(
        update(ImportBatch)
        .where(ImportBatch.id == report.batch_id)
        .values(
            rows=report.rows, inserted=report.inserted, updated=report.updated, unchanged=report.unchanged,
            rejected=report.rejected, finished_at=finished, notes=report.notes,
        )
    )


def save_rejects(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(RejectedRow), rows)


class BatchWriter:
    """The database side of one import: the batch row, the staging merges and the rejects, all in
    one transaction. Use as a context manager: leaving the block with an exception, or without
    :meth:`finish`, rolls everything back, the batch row included."""

    def __init__(
        self, engine: Engine, spec: KindSpec, columns: list[str], report: ImportReport, sha256: str,
        started: datetime,
    ) -> None:
        self._engine = engine
        self._spec = spec
        self._columns = columns
        self._report = report
        self._sha256 = sha256
        self._started = started
        self._conn: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._stage: Stage | None = None
        self.batch_id = 0

    def __enter__(self) -> BatchWriter:
        self._conn = self._engine.connect()
        try:
            self._transaction = self._conn.begin()
            report = self._report
            self.batch_id = report.batch_id = start_batch(
                self._conn, report.kind, report.file, self._sha256, self._started
            )
            self._stage = Stage(self._conn, self._spec, self._columns)
        except BaseException:
            self._conn.close()  # rolls back
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._conn is not None and self._transaction is not None
        if self._transaction.is_active:  # finish() was not reached
            self._transaction.rollback()
        self._conn.close()

    def write(self, records: list[list[Any]], rejects: list[dict[str, Any]]) -> None:
        """Merge ``records`` (the record columns, then batch_id and source_line) and keep ``rejects``.

        The row hash is added here rather than by the parser: with a parse worker, this evens
        out the work of the two processes."""
        assert self._stage is not None and self._conn is not None
        width = len(self._columns)
        for record in records:
            record.append(row_hash(record[:width]))
        inserted, updated, unchanged = self._stage.merge(records)
        save_rejects(self._conn, rejects)
        self._report.inserted += inserted
        self._report.updated += updated
        self._report.unchanged += unchanged

    def mark_file_source(self, file_format: str) -> None:
        """Contracts written by this batch came from a file of contracts (``csv`` or ``xlsx``) that gives
        their end date itself (see the provenance columns of :class:`monitor.models.Contract`)."""
        assert self._conn is not None
        table = self._spec.table
        if "source" in table.c:
            self._conn.execute(update(table).where(table.c.batch_id == self.batch_id).values(
                source=file_format, sumber_tanggal_selesai="kontrak"))

    def finish(self) -> None:
        """Commit: the report's counts (rows, rejected, notes) must be final."""
        assert self._stage is not None and self._conn is not None and self._transaction is not None
        self._stage.close()
        finish_batch(self._conn, self._report, utcnow())
        self._transaction.commit()
