"""Build the application's parts from settings. Nothing happens on import: callers (the CLI,
the daemon, tests) call :func:`bootstrap` with their own settings and, optionally, their own engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from monitor import db
from monitor.settings import Settings


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    # Parts other packages attach lazily (transports, metrics registry, ...), keyed by name.
    extras: dict[str, Any] = field(default_factory=dict)

    def dispose(self) -> None:
        self.engine.dispose()


def bootstrap(settings: Settings, *, engine: Engine | None = None, migrate: bool = True) -> App:
    """Create the engine and session factory and bring the schema up to date."""
    if engine is None:
        engine = db.make_engine(settings.database.url, echo=settings.database.echo)
    if migrate:
        db.upgrade(engine)
    return App(settings=settings, engine=engine, sessions=db.make_session_factory(engine))
