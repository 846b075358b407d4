from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, Select, func, insert, select

from monitor import db
from monitor.models import Addendum, Base, Contract, ImportBatch, SourceStage


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    before = db.current_revision(engine)
    db.upgrade(engine)
    assert db.current_revision(engine) == before is not None


def test_money_and_aware_times_round_trip_exactly(engine: Engine) -> None:
    sessions = db.make_session_factory(engine)
    started = datetime(2026, 3, 25, 1, 2, 3, tzinfo=UTC)
    with db.transaction(sessions) as session:
        batch = ImportBatch(kind="contracts", file_name="k.csv", sha256="0" * 64, started_at=started)
        session.add(batch)
        session.flush()
        session.add(
            Contract(
                opd="PUPR", nomor_kontrak="027/14/SPK-PUPR/III/2026", tanggal_kontrak=date(2026, 3, 2),
                nama_paket="Rehab", penyedia="CV X", nilai_kontrak=98_765_432_109_876,
                tanggal_selesai=date(2026, 9, 1), row_hash="x", batch_id=batch.id,
            )
        )
    with sessions() as session:
        contract = session.scalars(select(Contract)).one()
        assert contract.nilai_kontrak == 98_765_432_109_876
        batch = session.scalars(select(ImportBatch)).one()
        assert batch.started_at == started and batch.started_at.tzinfo is not None


@pytest.mark.parametrize(("url", "in_memory"), [
    ("sqlite://", True), ("sqlite:///:memory:", True), ("sqlite:///var/pantau.db", False),
    ("postgresql+psycopg://pantau@localhost/pantau", False),
])
def test_only_a_sqlite_database_without_a_file_is_in_memory(url: str, in_memory: bool) -> None:
    assert db.is_in_memory(url) is in_memory


# The lookups the SPSE and OCDS importers make per chunk, as they make them (the keys bound as one
# parameter by ``db.among``): each must find its rows by an index, not by reading the table (a million
# rows each at the benchmark's size).
_NUMBERS = ["1/SPK", "2/SPK"]
_C, _A, _S = Contract.__table__.c, Addendum.__table__.c, SourceStage.__table__.c
_LOOKUPS: list[tuple[Callable[[str], Select[Any]], str]] = [
    (lambda d: select(_C.id, _C.row_hash, _C.opd, _C.nomor_kontrak, _C.source_key)
     .where(db.among(_C.nomor_kontrak, _NUMBERS, d)), "ix_contract_nomor_kontrak"),
    (lambda d: select(_A.id, _A.row_hash, _A.opd, _A.nomor_adendum, _A.nomor_kontrak)
     .where(db.among(_A.nomor_kontrak, _NUMBERS, d)), "ix_addendum_nomor_kontrak"),
    # SPSE's stages lacking a code (an SPMK without kd_tender), joined to their procurement by number.
    (lambda d: select(_S.jalur, _S.kode, _S.stage, _S.nomor, _S.versi, _S.fields)
     .where(_S.source == "spse", _S.kode == "", db.among(_S.nomor, _NUMBERS, d)), "ix_source_stage_kode"),
    # And the other way: the contract stage a row lacking a code belongs to.
    (lambda d: select(_S.jalur, _S.kode, _S.stage, _S.nomor, _S.versi, _S.fields)
     .where(_S.stage == "kontrak", _S.kode != "", db.among(_S.nomor, _NUMBERS, d)), "ix_source_stage_nomor"),
]


def _fill_and_analyze(engine: Engine) -> None:
    """PostgreSQL plans by its statistics (autovacuum keeps them in a real database): give it a table
    of distinct numbers to plan with. SQLite plans without statistics, as Pantau leaves it."""
    day = date(2025, 3, 21)
    with engine.begin() as conn:
        conn.execute(insert(Contract), [
            {"opd": "PUPR", "nomor_kontrak": f"{i}/SPK", "tanggal_kontrak": day, "nama_paket": "Rehab",
             "penyedia": "CV X", "nilai_kontrak": 1, "row_hash": "x"} for i in range(3000)])
        conn.execute(insert(Addendum), [
            {"opd": "PUPR", "nomor_kontrak": f"{i}/SPK", "nomor_adendum": "ADD-1", "tanggal_adendum": day,
             "row_hash": "x"} for i in range(3000)])
        conn.execute(insert(SourceStage), [
            {"source": "spse", "jalur": "tender", "kode": str(i // 2) if i % 4 else "", "nomor": f"{i}/SPK",
             "stage": ("kontrak", "spmk")[i % 2], "versi": 0, "fields": {}, "row_hash": "x"} for i in range(3000)])
        for table in ("contract", "addendum", "source_stage"):
            conn.exec_driver_sql(f"ANALYZE {table}")


@pytest.mark.parametrize(("statement", "index"), _LOOKUPS)
def test_the_importers_lookups_use_their_index(engine: Engine, statement: Callable[[str], Select[Any]],
                                               index: str) -> None:
    sqlite = engine.dialect.name == "sqlite"
    if not sqlite:
        _fill_and_analyze(engine)
    compiled = statement(engine.dialect.name).compile(dialect=engine.dialect)
    params = compiled.construct_params()
    with engine.connect() as conn:
        if sqlite:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled.string}",
                                        tuple(params[name] for name in compiled.positiontup or ()))
        else:
            rows = conn.exec_driver_sql(f"EXPLAIN {compiled.string}", params)
        plan = " ".join(str(row[-1]) for row in rows)
    assert index in plan


def test_among_finds_exactly_the_rows_whose_key_is_listed(engine: Engine) -> None:
    day = date(2025, 3, 21)
    numbers = ["1/SPK", "O'Brien \\ 50% –Jambi", "3/SPK", "ä\"4"]
    with engine.begin() as conn:
        conn.execute(insert(Contract), [
            {"opd": "PUPR", "nomor_kontrak": nomor, "tanggal_kontrak": day, "nama_paket": "Rehab",
             "penyedia": "CV X", "nilai_kontrak": i, "row_hash": "x"} for i, nomor in enumerate(numbers)])
    c = Contract.__table__.c
    dialect = engine.dialect.name
    with engine.connect() as conn:
        def found(column: Any, values: list[Any]) -> set[Any]:
            return set(conn.execute(select(c.nomor_kontrak).where(db.among(column, values, dialect))).scalars())
        assert found(c.nomor_kontrak, numbers[1:2] + numbers[3:] + ["not there"]) == {numbers[1], numbers[3]}
        assert found(c.nilai_kontrak, [0, 2]) == {numbers[0], numbers[2]}
        assert found(c.nomor_kontrak, []) == set()


def test_a_snapshot_connection_reads_one_moment_while_another_commits(engine: Engine) -> None:
    sessions = db.make_session_factory(engine)
    batch = {"kind": "contracts", "file_name": "k.csv", "sha256": "0" * 64,
             "started_at": datetime(2026, 3, 25, tzinfo=UTC)}
    with engine.begin() as writer:
        writer.execute(insert(ImportBatch).values(**batch))
    count = select(func.count()).select_from(ImportBatch)
    with sessions() as session:
        reader = db.snapshot_connection(session)
        assert reader.execute(count).scalar_one() == 1
        with engine.begin() as writer:  # a check run commits meanwhile
            writer.execute(insert(ImportBatch).values(**batch))
        assert reader.execute(count).scalar_one() == 1  # still the moment of the first read
        session.rollback()
        assert session.connection().execute(count).scalar_one() == 2  # a new transaction sees the commit
    with sessions() as session:
        session.connection()
        with pytest.raises(RuntimeError, match="already begun"):
            db.snapshot_connection(session)


def test_program_constants_are_written_into_the_sql_and_text_that_could_escape_is_refused(engine: Engine) -> None:
    sessions = db.make_session_factory(engine)
    with db.transaction(sessions) as session:
        for nomor, day in (("K/1", date(2026, 3, 2)), ("K/2", date(2026, 3, 9))):
            session.add(Contract(opd="PUPR", nomor_kontrak=nomor, tanggal_kontrak=day, nama_paket="Rehab",
                                 penyedia="CV X", nilai_kontrak=1, tanggal_selesai=day, row_hash="x"))
    c = Contract.__table__.c
    wanted = select(c.nomor_kontrak).where(c.opd.in_(["PUPR", "DINKES"]), c.tanggal_kontrak > date(2026, 3, 5),
                                          c.nilai_kontrak == 1).limit(5)
    with sessions() as session:
        rows = [row for part in db.raw_partitions(session.connection(), wanted, constants_inline=True) for row in part]
    assert rows == [("K/2",)]
    for hostile in ("x' OR '1'='1", "x\\", "100%", "x\0"):
        with sessions() as session, pytest.raises(TypeError, match="not program constants"):
            list(db.raw_partitions(session.connection(), select(c.id).where(c.opd == hostile), constants_inline=True))
    with sessions() as session, pytest.raises(TypeError, match="not program constants"):  # a time is not a day
        b = ImportBatch.__table__.c
        list(db.raw_partitions(session.connection(), select(b.id).where(b.started_at > datetime(2026, 1, 1)),
                               constants_inline=True))


def test_a_transaction_filling_a_table_keeps_postgresql_planning_lookups_by_their_index(engine: Engine) -> None:
    """A first import of a large file grows source_stage from nothing inside one transaction, where
    autovacuum cannot see it: the planner took the stage lookup by code for a scan of every stage of
    the source (per chunk), until PlannerStatistics analyzed the table in the transaction."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite plans without statistics")
    s = SourceStage.__table__.c
    lookup = select(s.jalur, s.kode, s.stage, s.nomor, s.versi, s.fields).where(
        s.source == "spse", s.jalur == "tender",
        db.among(s.kode, [str(i) for i in range(0, 40_000, 400)], "postgresql"))

    def plan(conn: Any) -> str:
        compiled = lookup.compile(dialect=engine.dialect)
        return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled.string}",
                                                                  compiled.construct_params()))

    with engine.begin() as conn:
        statistics = db.PlannerStatistics(conn, ["source_stage"], first=10_000)
        rows = [{"source": "spse", "jalur": "tender", "kode": str(i), "nomor": f"{i}/SPK", "stage": "kontrak",
                 "versi": 0, "fields": {}, "row_hash": "x"} for i in range(40_000)]
        conn.execute(insert(SourceStage), rows[:5_000])
        statistics.written(5_000)  # below the first threshold: nothing analyzed yet
        conn.execute(insert(SourceStage), rows[5_000:])
        assert "Filter: ((kode)::text = ANY" in plan(conn)  # every tender stage read, the codes filtered
        statistics.written(35_000)
        assert "(kode)::text = ANY" in plan(conn).split("Index Cond:", 1)[-1].split("Filter:", 1)[0]


def test_a_daily_import_into_a_table_the_planner_knows_does_not_analyze_it(engine: Engine) -> None:
    """``ANALYZE`` locks the table until the import commits: only the import that outgrows what the
    planner knows runs it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite plans without statistics")
    rows = [{"source": "spse", "jalur": "tender", "kode": str(i), "nomor": f"{i}/SPK", "stage": "kontrak",
             "versi": 0, "fields": {}, "row_hash": "x"} for i in range(12_000)]

    def known(conn: Any) -> float:
        return float(conn.exec_driver_sql("SELECT reltuples FROM pg_class WHERE relname = 'source_stage'").scalar_one())

    with engine.begin() as conn:  # the first import: the planner knew nothing of the table
        statistics = db.PlannerStatistics(conn, ["source_stage"], first=2_000)
        conn.execute(insert(SourceStage), rows[:10_000])
        statistics.written(10_000)
        assert known(conn) == 10_000
    with engine.begin() as conn:  # a daily one: 2,000 more rows into a table known to hold 10,000
        statistics = db.PlannerStatistics(conn, ["source_stage"], first=2_000)
        conn.execute(insert(SourceStage), rows[10_000:])
        statistics.written(2_000)
        assert known(conn) == 10_000
