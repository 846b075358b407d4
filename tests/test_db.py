from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, select

from monitor import db
from monitor.models import Base, Contract, ImportBatch


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
