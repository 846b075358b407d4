"""Engine, sessions and migrations for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    Select,
    Text,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker
from sqlalchemy.sql import text

MIGRATIONS = Path(__file__).with_name("migrations")


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` URLs; Pantau drives PostgreSQL with psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def is_in_memory(url: str) -> bool:
    """A SQLite database held in one process's memory: no file another process could open."""
    parsed = make_url(normalize_url(url))
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # A long busy timeout: the daemon and a CLI command may briefly overlap on one file.
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the metrics endpoint read while a check run writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def database_answers(engine: Engine) -> bool:
    """Whether the database takes a connection and a trivial query now."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except SQLAlchemyError:
        return False
    return True


# Sums of rupiah are taken in two halves, the amounts' billions and their remainder: each half's sum fits a
# 64-bit integer for up to ~9 billion rows of amounts up to 2^63 (SQLite's sum() of integers raises "integer
# overflow" past 2^63 - 1; PostgreSQL's sum of bigint is numeric, but one code serves both).
_SUM_SPLIT = 1_000_000_000


def among(column: ColumnElement[Any] | InstrumentedAttribute[Any], values: Iterable[Any],
          dialect: str) -> ColumnElement[bool]:
    """``column IN (values)`` with the values bound as one parameter: a JSON array read by
    ``json_each`` on SQLite, an array (``= ANY``) on PostgreSQL. SQLAlchemy renders an ordinary IN list
    as one parameter per value, anew at every execution (about 2 µs a value): at a million rows
    looked up by key, several times per row, that is seconds of an import."""
    listed = list(values)
    if dialect == "sqlite":
        table = func.json_each(bindparam(None, orjson.dumps(listed).decode(), type_=Text)).table_valued("value")
        return column.in_(select(table.c.value).scalar_subquery())
    return column == any_(bindparam(None, listed, type_=postgresql.ARRAY(column.type)))


class PlannerStatistics:
    """PostgreSQL's planner statistics of tables one long transaction fills (a first import of a large
    file): refreshed in the transaction each time the rows written have doubled.

    Autovacuum analyzes only what is committed, so without this the planner keeps planning a table of
    a million rows in the making as the empty table it last analyzed, and a lookup of a chunk's keys by
    ``among`` scans every stage of the source for each chunk (95 s instead of seconds at 100,000 SPSE
    rows). ``ANALYZE`` in the transaction counts its own new rows. It holds a lock on the table until
    the transaction ends (another ``ANALYZE`` of it waits), so it is run only where the planner knows
    fewer rows in the table than this transaction alone has written: the first large import, not the
    daily ones. SQLite plans without statistics."""

    def __init__(self, conn: Connection, tables: Sequence[str], first: int = 2_000) -> None:
        self._conn, self._tables = conn, tuple(tables)
        self._written, self._next = 0, first
        self._active = conn.dialect.name == "postgresql"

    def written(self, rows: int) -> None:
        if not self._active:
            return
        self._written += rows
        if self._written < self._next:
            return
        self._next = 2 * self._written
        known: dict[str, float] = {name: tuples for name, tuples in self._conn.execute(
            text("SELECT relname, reltuples FROM pg_class WHERE oid = ANY(CAST(:tables AS regclass[]))"),
            {"tables": list(self._tables)})}
        stale = [table for table in self._tables if known.get(table, 0) < self._written]
        if stale:
            quote = self._conn.dialect.identifier_preparer.quote
            self._conn.exec_driver_sql(f"ANALYZE {', '.join(quote(table) for table in stale)}")


def exact_sum(value: ColumnElement[Any] | InstrumentedAttribute[Any]) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """Two aggregate columns whose :func:`exact_total` is ``sum(value)`` exactly, whatever its size, on every
    engine. ``value`` is a non-negative integer column or expression."""
    split = literal(_SUM_SPLIT, BigInteger)
    return func.sum(value // split), func.sum(value % split)


def exact_total(high: Any, low: Any) -> int:
    """The sum :func:`exact_sum`'s two columns stand for (0 when there were no rows)."""
    return int(high or 0) * _SUM_SPLIT + int(low or 0)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session


def read_snapshot(conn: Connection) -> None:
    """Make the following reads on ``conn`` one consistent snapshot of the database, until its transaction
    ends. Call it before the transaction's first statement.

    By default neither engine gives that: PostgreSQL's READ COMMITTED and SQLite's driver (which opens a
    transaction only before a write) let each statement see what was committed before it. So PostgreSQL
    reads at REPEATABLE READ, and SQLite in an explicit ``BEGIN``: under WAL its snapshot is taken at the
    first read and held to the end (the driver commits or rolls it back with the connection)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def snapshot_connection(session: Session) -> Connection:
    """The session's connection, reading one snapshot (:func:`read_snapshot`) until the session commits or
    rolls back: a report's figures and its lists then agree even if a check run commits while it is being
    written (at a million contracts that takes a minute). Call it before anything else uses the session."""
    if session.in_transaction():
        raise RuntimeError("snapshot_connection: the session has already begun a transaction")
    conn = session.connection()
    read_snapshot(conn)
    return conn


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Apply migrations up to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The applied revision(s); areas add their own branches from 0001, so several heads are joined."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None


# --- reading fast: plain rows, streamed -------------------------------------------------------

PARTITION_ROWS = 20_000
_CURSOR_NUMBERS = itertools.count(1)  # server-side cursors need distinct names when nested


def raw_partitions(
    conn: Connection, statement: Select[Any], *, numbers_inline: bool = False, constants_inline: bool = False,
    rows: int = PARTITION_ROWS,
) -> Iterator[Sequence[tuple[Any, ...]]]:
    """The statement's rows as plain tuples, streamed in partitions.

    A million rows through SQLAlchemy's Row objects and type processors cost seconds the check run
    does not have, so a statement without parameters goes to the DB-API cursor directly: a
    server-side (named) cursor on PostgreSQL, so the result is not buffered whole. Values come raw:
    SQLite dates as ISO text (see :meth:`Interner.day`), booleans as 0/1. ``numbers_inline``: the
    statement's parameters are all integers the program made (ids), written into the SQL so that it
    takes the direct path too. ``constants_inline``: the parameters are constants the program made (rule
    ids, statuses, JSON paths, dates, limits), written into the SQL by SQLAlchemy's literal rendering; text
    with a quote, a backslash or a ``%`` is refused, so no value can change the statement's meaning."""
    compiled = statement.compile(dialect=conn.dialect)
    if numbers_inline or constants_inline:
        allowed, what = (_integers, "integers") if numbers_inline else (_constants, "program constants")
        if not all(allowed(value) for value in compiled.params.values()):
            raise TypeError(f"the statement has parameters that are not {what}")
        compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    elif compiled.params:
        # Statement-level options: Connection.execution_options() would change the connection for good.
        result = conn.execute(statement.execution_options(yield_per=rows))
        for partition in result.partitions():
            yield [tuple(row) for row in partition]
        return
    raw: Any = conn.connection.dbapi_connection
    postgres = conn.dialect.name == "postgresql"
    cursor = raw.cursor(name=f"pantau_load_{next(_CURSOR_NUMBERS)}") if postgres else raw.cursor()
    try:
        cursor.execute(str(compiled))
        while partition := cursor.fetchmany(rows):
            yield partition
    finally:
        cursor.close()


def _integers(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_integers(item) for item in value)
    return isinstance(value, int) and not isinstance(value, bool)


def _constants(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_constants(item) for item in value)
    if isinstance(value, str):
        return not any(char in value for char in "'\\%\0")
    return _integers(value) or (isinstance(value, date) and not isinstance(value, datetime))


def driver_rows(conn: Connection, statement: Select[Any]) -> list[tuple[Any, ...]]:
    """The statement's rows as the DB-API cursor gives them, its parameters passed to the driver as
    they are: for statements whose parameters and columns need no conversion by SQLAlchemy's types
    (text, integers, :func:`among`'s keys; no dates, JSON or booleans), such as an importer's lookups
    by key. SQLAlchemy's Row objects cost more than the lookup itself at a million keys."""
    compiled = statement.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    args: Any = params if compiled.positiontup is None else tuple(params[name] for name in compiled.positiontup)
    raw: Any = conn.connection.dbapi_connection
    cursor = raw.cursor()
    try:
        cursor.execute(compiled.string, args)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def raw_rows(conn: Connection, statement: Select[Any], *, numbers_inline: bool = False) -> Iterator[tuple[Any, ...]]:
    """The statement's rows one by one (see :func:`raw_partitions`)."""
    for partition in raw_partitions(conn, statement, numbers_inline=numbers_inline):
        yield from partition
