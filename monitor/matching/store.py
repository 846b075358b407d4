"""The links in ``match_link``: written by each check run, read by ``pantau matches``.

:func:`save_links` makes the table equal to a run's links but writes only what changed, so a
re-run over unchanged data rewrites nothing and a million links are not re-inserted every night.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from checks.base import Link
from monitor.matching.matcher import MatchResult
from monitor.models import Contract, MatchLink, Registration

CHUNK = 5_000  # rows per statement: under SQLite's bound-parameter limit, small enough for memory


@dataclass(frozen=True, slots=True)
class LinkChanges:
    inserted: int
    updated: int
    deleted: int


def save_links(session: Session, result: MatchResult | Iterable[Link]) -> LinkChanges:
    """Replace ``match_link`` with these links, in the caller's transaction. Link ids must be
    database ids of contracts and registrations."""
    links = result.links if isinstance(result, MatchResult) else list(result)
    wanted = {link.contract_id: link for link in links}
    stale: list[int] = []
    changed: list[dict[str, Any]] = []
    kept: set[int] = set()
    table = MatchLink.__table__
    assert isinstance(table, Table)
    rows = session.execute(
        select(table.c.id, table.c.contract_id, table.c.registration_id, table.c.method, table.c.score,
               table.c.details).execution_options(yield_per=CHUNK)
    )
    for row_id, contract_id, registration_id, method, score, details in rows:
        link = wanted.get(contract_id)
        if link is None or link.registration_id != registration_id:
            stale.append(row_id)
            continue
        kept.add(contract_id)
        new_details = _plain(link.details)
        if method != link.method or score != link.score or details != new_details:
            changed.append({"id": row_id, "method": link.method, "score": link.score, "details": new_details})
    # Deletes first: the unique keys on contract and registration then cannot collide.
    for chunk in _chunks(iter(stale)):
        session.execute(delete(MatchLink).where(MatchLink.id.in_(chunk)))
    for chunk in _chunks(iter(changed)):
        session.execute(update(MatchLink), chunk)
    new = (
        {"contract_id": link.contract_id, "registration_id": link.registration_id, "method": link.method,
         "score": link.score, "details": _plain(link.details)}
        for link in links if link.contract_id not in kept
    )
    inserted = 0
    for chunk in _chunks(new):
        session.execute(insert(table), chunk)
        inserted += len(chunk)
    return LinkChanges(inserted=inserted, updated=len(changed), deleted=len(stale))


def load_links(session: Session, opd: str | None = None, method: str | None = None) -> Iterator[dict[str, Any]]:
    """The stored links as export rows {"opd", "nomor_kontrak", "nomor_registrasi", "method",
    "score"}, by OPD and contract number, streamed."""
    statement = (
        select(Contract.opd, Contract.nomor_kontrak, Registration.nomor_registrasi, MatchLink.method,
               MatchLink.score)
        .join(Contract, Contract.id == MatchLink.contract_id)
        .join(Registration, Registration.id == MatchLink.registration_id)
        .order_by(Contract.opd, Contract.nomor_kontrak)
    )
    if opd is not None:
        statement = statement.where(Contract.opd == opd)
    if method is not None:
        statement = statement.where(MatchLink.method == method)
    for row in session.execute(statement.execution_options(yield_per=CHUNK)):
        yield {"opd": row[0], "nomor_kontrak": row[1], "nomor_registrasi": row[2], "method": row[3],
               "score": round(row[4], 3)}


def _plain(details: Any) -> dict[str, Any]:
    """A JSON-ready copy (links carry read-only mappings)."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in details.items()}


def _chunks(items: Iterator[Any]) -> Iterator[list[Any]]:
    while chunk := list(islice(items, CHUNK)):
        yield chunk
