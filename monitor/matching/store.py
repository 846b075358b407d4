"""The links in ``match_link``: written by each check run, read by ``pantau matches``.

:func:`save_links` makes the table equal to a run's links but writes only what changed, so a
re-run over unchanged data rewrites nothing and a million links are not re-inserted every night.
It compares the stored JSON text with the links' own (the matcher shares one details mapping
between many links, so each is serialized once), and inserts new links with the driver's bulk path:
``COPY`` on PostgreSQL, ``executemany`` on SQLite.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from operator import attrgetter
from typing import Any

from sqlalchemy import Table, Text, cast, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from monitor.db import raw_rows
from monitor.matching.assignment import MatchResult
from monitor.models import Contract, MatchLink, Registration
from monitor.records import Link

CHUNK = 5_000  # rows per statement: under SQLite's bound-parameter limit, small enough for memory
COLUMNS = ("contract_id", "registration_id", "method", "score", "details")


@dataclass(frozen=True, slots=True)
class LinkChanges:
    inserted: int
    updated: int
    deleted: int


def save_links(session: Session, result: MatchResult | Iterable[Link]) -> LinkChanges:
    """Replace ``match_link`` with these links, in the caller's transaction. Link ids must be
    database ids of contracts and registrations."""
    if isinstance(result, MatchResult):
        links, by_contract = result.in_contract_id_order(), result.by_contract()
    else:
        links = sorted(result, key=attrgetter("contract_id"))
        by_contract = {link.contract_id: link for link in links}
    conn = session.connection()
    table = MatchLink.__table__
    assert isinstance(table, Table)
    as_json = _Serializer()
    stale: list[int] = []
    changed: list[dict[str, Any]] = []
    new = array("q")  # contract ids: a million new links are made again one by one to be inserted
    # A merge of two lists ordered by contract: the stored rows and the run's links.
    pending = iter(links)
    link = next(pending, None)
    # Plain tuples from the driver: a million Row objects would cost seconds for a comparison.
    rows = raw_rows(conn, select(table.c.id, table.c.contract_id, table.c.registration_id, table.c.method,
                                 table.c.score, cast(table.c.details, Text)).order_by(table.c.contract_id))
    for row_id, contract_id, registration_id, method, score, details in rows:
        while link is not None and link.contract_id < contract_id:
            new.append(link.contract_id)
            link = next(pending, None)
        if link is None or link.contract_id != contract_id:
            stale.append(row_id)
            continue
        if link.registration_id != registration_id:
            stale.append(row_id)
            new.append(link.contract_id)
        else:
            text = as_json(link.details)
            if method != link.method or score != link.score or details != text:
                changed.append({"id": row_id, "method": link.method, "score": link.score,
                                "details": json.loads(text)})
        link = next(pending, None)
    if link is not None:
        new.append(link.contract_id)
        new.extend(link.contract_id for link in pending)
    # Deletes first: the unique keys on contract and registration then cannot collide.
    for chunk in _chunks(iter(stale)):
        conn.execute(delete(table).where(table.c.id.in_(chunk)))
    for chunk in _chunks(iter(changed)):
        session.execute(update(MatchLink), chunk)
    if new:
        # Every link new (a first run): they are made again in order rather than looked up one by one.
        fresh = links if len(new) == len(by_contract) else map(by_contract.__getitem__, new)
        _insert(conn, table, ((link.contract_id, link.registration_id, link.method, link.score, as_json(link.details))
                              for link in fresh))
    return LinkChanges(inserted=len(new), updated=len(changed), deleted=len(stale))


def load_links(session: Session, opd: str | None = None, method: str | None = None,
               weakest_first: bool = False) -> Iterator[dict[str, Any]]:
    """The stored links as export rows {"opd", "nomor_kontrak", "nomor_registrasi", "method",
    "score", "evidence", "other_name"}, by OPD and contract number (or ``weakest_first``: by score, then
    so), streamed. ``evidence`` is what agreed (:func:`monitor.matching.evidence.decided_by`);
    ``other_name`` says the link was made despite who registered, for a human to review."""
    statement = (
        select(Contract.opd, Contract.nomor_kontrak, Registration.nomor_registrasi, MatchLink.method,
               MatchLink.score, MatchLink.details)
        .join(Contract, Contract.id == MatchLink.contract_id)
        .join(Registration, Registration.id == MatchLink.registration_id)
        .order_by(*((MatchLink.score,) if weakest_first else ()), Contract.opd, Contract.nomor_kontrak)
    )
    if opd is not None:
        statement = statement.where(Contract.opd == opd)
    if method is not None:
        statement = statement.where(MatchLink.method == method)
    for row in session.execute(statement.execution_options(yield_per=CHUNK)):
        details = row[5] or {}
        yield {"opd": row[0], "nomor_kontrak": row[1], "nomor_registrasi": row[2], "method": row[3],
               "score": round(row[4], 3), "evidence": list(details.get("evidence") or ()),
               "other_name": bool(details.get("other_name"))}


class _Serializer:
    """Link details as the JSON text SQLAlchemy's JSON type would store (``json.dumps``), once per
    distinct mapping object."""

    def __init__(self) -> None:
        self._texts: dict[int, tuple[Mapping[str, Any], str]] = {}

    def __call__(self, details: Mapping[str, Any]) -> str:
        found = self._texts.get(id(details))
        if found is None or found[0] is not details:
            plain = {key: list(value) if isinstance(value, tuple) else value for key, value in details.items()}
            found = self._texts[id(details)] = (details, json.dumps(plain))
        return found[1]


def _insert(conn: Connection, table: Table, rows: Iterator[tuple[Any, ...]]) -> None:
    columns = ", ".join(COLUMNS)
    dbapi: Any = conn.connection.dbapi_connection  # psycopg or sqlite3: each has its bulk path
    if conn.dialect.name == "postgresql" and dbapi is not None:
        with dbapi.cursor() as cursor, cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    elif conn.dialect.name == "sqlite" and dbapi is not None:
        cursor = dbapi.cursor()
        try:
            cursor.executemany(f"INSERT INTO {table.name} ({columns}) VALUES (?, ?, ?, ?, ?)", rows)
        finally:
            cursor.close()
    else:
        for chunk in _chunks(rows):
            conn.execute(insert(table), [{**dict(zip(COLUMNS, row, strict=True)), "details": json.loads(row[4])}
                                         for row in chunk])


def _chunks(items: Iterator[Any]) -> Iterator[list[Any]]:
    while chunk := list(islice(items, CHUNK)):
        yield chunk
