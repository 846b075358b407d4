"""Only one daemon runs the jobs of a database.

- PostgreSQL: the leader holds a session-level advisory lock (``pg_try_advisory_lock``) on a
  dedicated connection for as long as it lives. Other daemons stay up as standbys, serve
  /metrics and retry; when the leader dies its connection closes, PostgreSQL frees the lock and a
  standby takes over.
- SQLite: one file cannot serve two daemons, so a second one refuses to start: the first holds an
  exclusive ``flock`` on ``<database>.daemon.lock``, freed by the kernel however the process ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from monitor.db import is_in_memory, normalize_url

log = logging.getLogger(__name__)

# One fixed 64-bit key; advisory locks are per database, so deployments sharing a server don't clash.
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"pantau daemon leader").digest()[:8], "big", signed=True)


class DaemonAlreadyRunning(RuntimeError):
    """Another daemon holds the database that only one may use."""


class Leadership(Protocol):
    def try_acquire(self) -> bool:
        """Become the leader if nobody is; True when this process is the leader."""

    def still_held(self) -> bool:
        """Whether leadership is still ours (the lock's connection may have died)."""

    def release(self) -> None: ...


class SoleLeader:
    """A database only this process can use (SQLite behind its lock file, or in memory)."""

    def __init__(self, lock_file: IO[str] | None = None) -> None:
        self._lock_file = lock_file

    def try_acquire(self) -> bool:
        return True

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None


class PostgresLeader:
    """Leadership by a PostgreSQL advisory lock held on a connection of its own (not from the pool)."""

    def __init__(self, url: str, key: int = ADVISORY_KEY) -> None:
        self._engine = create_engine(normalize_url(url), poolclass=NullPool)
        self._key = key
        self._connection: Connection | None = None
        self._held = False

    def try_acquire(self) -> bool:
        if self._held:
            return self.still_held()
        try:
            if self._connection is None:
                self._connection = self._engine.connect()
            got = bool(self._connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}).scalar())
            # Don't sit "idle in transaction": the session-level lock outlives the transaction.
            self._connection.commit()
        except SQLAlchemyError as exc:
            log.warning("leader: cannot reach the database to take the lock: %s", exc.__class__.__name__)
            self._drop_connection()
            return False
        self._held = got
        return got

    def still_held(self) -> bool:
        if not self._held or self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
        except SQLAlchemyError:
            log.error("leader: lost the connection that holds the leader lock")
            self._drop_connection()
            return False
        return True

    def release(self) -> None:
        if self._connection is not None and self._held:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
                self._connection.commit()
            except SQLAlchemyError:
                pass
        self._drop_connection()
        self._engine.dispose()

    def _drop_connection(self) -> None:
        self._held = False
        if self._connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._connection.close()
            self._connection = None


def sqlite_lock_path(database: str) -> Path:
    return Path(database + ".daemon.lock")


def lock_sqlite(database: str) -> IO[str]:
    """Take the daemon lock of a SQLite database file, or raise :class:`DaemonAlreadyRunning`."""
    path = sqlite_lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise DaemonAlreadyRunning(
            f"daemon Pantau lain (pid {holder}) sudah berjalan pada basis data SQLite {database}; "
            f"satu berkas SQLite hanya untuk satu daemon (berkas kunci {path}). Hentikan daemon itu, "
            "atau gunakan PostgreSQL untuk menjalankan daemon cadangan."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def leadership_for(database_url: str) -> Leadership:
    """The leadership that fits the database; for a SQLite file this takes its lock (or refuses)."""
    url = make_url(normalize_url(database_url))
    if url.get_backend_name() == "postgresql":
        return PostgresLeader(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database is not None and not is_in_memory(database_url):
            return SoleLeader(lock_sqlite(str(Path(url.database).resolve())))
        return SoleLeader()
    raise ValueError(f"unsupported database for the daemon: {url.get_backend_name()}")
