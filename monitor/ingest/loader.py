"""Writing records to the database in bulk, identically on SQLite and PostgreSQL.

:class:`BatchWriter` runs the whole database side of one import, in one transaction, on its own
thread: the database drivers release the GIL while they work, so writing one chunk overlaps with
parsing the next (a third off a million-row import on two cores).

Each chunk of valid records goes into a temporary staging table with one executemany, then two
set-based statements merge it into the target table by the kind's identity:

- ``UPDATE target ... FROM staging`` where the identity matches and the row hash differs;
- ``INSERT INTO target SELECT ... FROM staging`` where the identity is absent.

Their row counts give ``updated`` and ``inserted``; the rest of the chunk is ``unchanged``. Rows
that vanish from a later export are kept: exports are often partial (one OPD, one quarter).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from queue import Empty, Full, Queue
from typing import Any

from sqlalchemy import Column, Connection, Engine, MetaData, Table, and_, exists, insert, select, update

from monitor.ingest.kinds import KindSpec
from monitor.ingest.report import ImportReport
from monitor.models import ImportBatch, RejectedRow, utcnow

_TRACKING = ("batch_id", "source_line", "row_hash")


def _executemany(conn: Connection, table: str, columns: list[str], records: list[list[Any]]) -> None:
    """One driver-level executemany (SQLite: ~200k rows/s)."""
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "
           f"VALUES ({', '.join([mark] * len(columns))})")
    conn.exec_driver_sql(sql, [tuple(r) for r in records])


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

    def __init__(self, conn: Connection, spec: KindSpec, columns: list[str], date_positions: list[int]) -> None:
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
        # The SQLite driver stores what SQLAlchemy's Date type stores, an ISO string, only if given one.
        self._iso_dates = date_positions if conn.dialect.name == "sqlite" else []
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
        for record in records:
            for pos in self._iso_dates:
                value = record[pos]
                if value is not None:
                    record[pos] = value.isoformat()
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


class _Abort(Exception):
    """Tells the writer to roll back."""


_ABORT = object()


class BatchWriter:
    """The database side of one import: the batch row, the staging merges and the rejects, all in
    one transaction. Use as a context manager: leaving the block with an exception, or without
    :meth:`finish`, rolls everything back.

    ``threaded`` runs it on a thread of its own, fed through a queue two chunks deep, so that the
    database works on one chunk while the caller parses the next.
    """

    def __init__(
        self, engine: Engine, spec: KindSpec, columns: list[str], date_positions: list[int], report: ImportReport,
        sha256: str, started: datetime, *, threaded: bool = True,
    ) -> None:
        self._engine = engine
        self._spec = spec
        self._columns = columns
        self._dates = date_positions
        self._report = report
        self._sha256 = sha256
        self._started = started
        self._threaded = threaded
        self._queue: Queue[object] = Queue(maxsize=2)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pantau-ingest-writer", daemon=True)
        self._transaction = ExitStack()
        self._stage: Stage | None = None
        self._done = False
        self.batch_id: int = 0

    def __enter__(self) -> BatchWriter:
        if self._threaded:
            self._thread.start()
            self._ready.wait()
            self._raise_if_failed()
        else:
            self._begin()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if self._threaded:
            if self._thread.is_alive():
                self._put(_ABORT, check=False)
                self._thread.join()
        elif not self._done:
            self._transaction.__exit__(exc_type or _Abort, exc or _Abort(), tb)

    def write(self, records: list[list[Any]], rejects: list[dict[str, Any]]) -> None:
        if self._threaded:
            self._put((records, rejects))
        else:
            self._apply(records, rejects)

    def finish(self) -> None:
        """Commit: the report's counts (rows, rejected, notes) must be final."""
        if self._threaded:
            self._put(None)
            self._thread.join()
            self._raise_if_failed()
        else:
            self._complete()
            self._done = True
            self._transaction.close()

    # --- the work, on whichever thread ---

    def _begin(self) -> None:
        conn = self._transaction.enter_context(self._engine.begin())
        report = self._report
        self.batch_id = report.batch_id = start_batch(conn, report.kind, report.file, self._sha256, self._started)
        self._stage = Stage(conn, self._spec, self._columns, self._dates)

    def _apply(self, records: list[list[Any]], rejects: list[dict[str, Any]]) -> None:
        assert self._stage is not None
        inserted, updated, unchanged = self._stage.merge(records)
        save_rejects(self._stage.conn, rejects)
        self._report.inserted += inserted
        self._report.updated += updated
        self._report.unchanged += unchanged

    def _complete(self) -> None:
        assert self._stage is not None
        self._stage.close()
        finish_batch(self._stage.conn, self._report, utcnow())

    # --- the thread ---

    def _put(self, item: object, *, check: bool = True) -> None:
        while self._thread.is_alive():
            try:
                self._queue.put(item, timeout=0.2)
                return
            except Full:
                continue
        if check:
            self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            with self._transaction:
                self._begin()
                self._ready.set()
                while (item := self._next()) is not None:
                    self._apply(*item)
                self._complete()
        except _Abort:
            pass
        except BaseException as exc:  # handed to the calling thread, which re-raises it
            self._error = exc
        finally:
            self._ready.set()

    def _next(self) -> Any:
        while True:
            try:
                item = self._queue.get(timeout=1.0)
            except Empty:
                continue
            if item is _ABORT:
                raise _Abort
            return item
