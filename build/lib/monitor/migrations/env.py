"""Alembic environment: the engine comes from Pantau (``monitor.db.alembic_config``)."""

from __future__ import annotations

from alembic import context

from monitor.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `pantau db upgrade`")
run_migrations_online()
