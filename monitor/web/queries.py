"""What the pages read: the city's figures, an OPD's findings (grouped, filtered, a page at a time), a
finding's contract link. Plain queries on the findings store and the imported records; nothing here
writes."""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, case, func, select
from sqlalchemy.engine import Connection

from monitor.check.findings import ACTIVE, CHECK_RUN, FINDING, last_seen_now
from monitor.models import Contract, FindingEvent, ImportBatch, MatchLink, Registration
from monitor.records import SEVERITIES

T = TypeVar("T")
URGENT = ("critical", "high")
# Rules about a contract without a valid registration: its OPD can propose the number it registered.
PROPOSABLE_RULES = ("jakon.unregistered", "jakon.payment_unregistered")
SEVERITY_ORDER = case({severity: rank for rank, severity in enumerate(reversed(SEVERITIES))},
                      value=FINDING.c.severity, else_=len(SEVERITIES))


@dataclass(frozen=True, slots=True)
class Filters:
    """The OPD page's filters (from the query string, already checked)."""

    opd: str | None = None
    rule: str | None = None
    severity: str | None = None
    status: str | None = None  # None: every active status

    def where(self, query: Select[Any]) -> Select[Any]:
        f = FINDING.c
        if self.opd is not None:
            query = query.where(f.opd == self.opd)
        if self.rule:
            query = query.where(f.rule == self.rule)
        if self.severity:
            query = query.where(f.severity == self.severity)
        return query.where(f.status == self.status) if self.status else query.where(f.status.in_(ACTIVE))


def rule_groups(conn: Connection, filters: Filters) -> list[dict[str, Any]]:
    """Per rule: how many findings, the worst severity, the amount at risk (most severe rule first)."""
    f = FINDING.c
    query = filters.where(select(f.rule, func.min(SEVERITY_ORDER).label("rank"), func.count().label("n"),
                                 func.coalesce(func.sum(f.amount_at_risk), 0).label("amount")))
    rows = conn.execute(query.group_by(f.rule).order_by(func.min(SEVERITY_ORDER), f.rule)).all()
    ranked = list(reversed(SEVERITIES))
    return [{"rule": r.rule, "severity": ranked[r.rank] if r.rank < len(ranked) else "info", "count": int(r.n),
             "amount": int(r.amount)} for r in rows]


def ordered_ids(conn: Connection, filters: Filters) -> array[int]:
    """Every finding id the filters select, in the pages' order: most severe first, then by rule and subject."""
    f = FINDING.c
    query = filters.where(select(f.id)).order_by(SEVERITY_ORDER, f.rule, f.subject, f.id)
    return array("q", conn.execute(query).scalars())


def findings_by_id(conn: Connection, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The page's rows of ``ids``, in that order."""
    f = FINDING.c
    rows = {row.id: dict(row._mapping) for row in conn.execute(
        select(f.id, f.rule, f.severity, f.status, f.opd, f.subject, f.title, f.amount_at_risk, f.first_seen,
               f.details).where(f.id.in_(list(ids))))}
    return [rows[i] for i in ids if i in rows]


def every_finding(conn: Connection, filters: Filters) -> Iterator[dict[str, Any]]:
    """Every finding the filters select, streamed in the page's order (for the downloads)."""
    f = FINDING.c
    query = filters.where(select(f.id, f.rule, f.severity, f.status, f.opd, f.subject, f.title, f.amount_at_risk,
                                 f.first_seen, last_seen_now(), f.details))
    query = query.order_by(SEVERITY_ORDER, f.rule, f.subject, f.id).execution_options(yield_per=2_000)
    for row in conn.execute(query):
        yield dict(row._mapping)


def contract_of(details: dict[str, Any], opd: str | None, subject: str) -> tuple[str, str] | None:
    """(OPD, nomor_kontrak) of the contract a finding is about, if it is about one."""
    if isinstance(details.get("nomor_kontrak"), str) and (details.get("opd") or opd):
        return str(details.get("opd") or opd), details["nomor_kontrak"]
    if "|" in subject:
        code, _, nomor = subject.partition("|")
        return code, nomor
    return None


def contract_link(conn: Connection, opd: str, nomor_kontrak: str) -> dict[str, Any] | None:
    """The contract and, when it is linked, its registration and how the link was made."""
    row = conn.execute(
        select(Contract.id, Contract.nama_paket, Contract.penyedia, Contract.nilai_kontrak, MatchLink.method,
               MatchLink.score, MatchLink.details, Registration.nomor_registrasi, Registration.status)
        .outerjoin(MatchLink, MatchLink.contract_id == Contract.id)
        .outerjoin(Registration, Registration.id == MatchLink.registration_id)
        .where(Contract.opd == opd, Contract.nomor_kontrak == nomor_kontrak)
    ).first()
    return None if row is None else dict(row._mapping)


# --- the city overview ----------------------------------------------------------------------------


def city_figures(conn: Connection) -> dict[str, Any]:
    """The Kota page's numbers: coverage by count and value, money at risk, SP2D to unregistered
    contracts, the OPD ranking and the agreements ending."""
    linked = select(MatchLink.contract_id).scalar_subquery()
    totals = conn.execute(select(
        func.count(), func.coalesce(func.sum(Contract.nilai_kontrak), 0),
        func.count(case((Contract.id.in_(linked), 1))),
        func.coalesce(func.sum(case((Contract.id.in_(linked), Contract.nilai_kontrak), else_=0)), 0),
    )).one()
    f = FINDING.c
    active = f.status.in_(ACTIVE)
    per_opd = conn.execute(
        select(f.opd, func.count(), func.count(case((f.severity.in_(URGENT), 1))),
               func.count(case((f.rule == "jakon.payment_unregistered", 1))),
               func.coalesce(func.sum(f.amount_at_risk), 0))
        .where(active).group_by(f.opd)
    ).all()
    contracts_per_opd: dict[str, int] = {
        opd: n for opd, n in conn.execute(select(Contract.opd, func.count()).group_by(Contract.opd))}
    linked_per_opd: dict[str, int] = {opd: n for opd, n in conn.execute(
        select(Contract.opd, func.count()).join(MatchLink, MatchLink.contract_id == Contract.id).group_by(Contract.opd)
    )}
    ranking = sorted(
        ({"opd": opd, "open": int(n), "urgent": int(urgent), "payments": int(payments), "amount": int(amount),
          "contracts": int(contracts_per_opd.get(opd, 0)), "linked": int(linked_per_opd.get(opd, 0))}
         for opd, n, urgent, payments, amount in per_opd),
        key=lambda r: (-r["urgent"], -r["amount"], -r["open"], r["opd"] or ""),
    )
    payments = conn.execute(
        select(func.count(), func.coalesce(func.sum(f.amount_at_risk), 0))
        .where(active, f.rule == "jakon.payment_unregistered")
    ).one()
    agreements = conn.execute(
        select(f.id, f.rule, f.severity, f.title, f.details).where(active, f.rule.in_(("agreement.expiring",
                                                                                        "agreement.expired")))
        .order_by(SEVERITY_ORDER, f.id).limit(20)
    ).all()
    return {
        "contracts": int(totals[0]), "value": int(totals[1]), "linked": int(totals[2]), "linked_value": int(totals[3]),
        "open": sum(r["open"] for r in ranking), "amount": sum(r["amount"] for r in ranking),
        "payments": int(payments[0]), "payments_amount": int(payments[1]),
        "ranking": ranking,
        "agreements": [dict(row._mapping) for row in agreements],
    }


Version = tuple[int, int, int]


def data_version(conn: Connection) -> Version:
    """What the pages' figures stand on: the latest check run, finding event (an acknowledgement, a
    silence, a resolution) and import. Three index lookups; any of them moving means the data changed."""
    def latest(column: Any) -> Any:
        return select(func.coalesce(func.max(column), 0)).scalar_subquery()

    row = conn.execute(select(latest(CHECK_RUN.c.id), latest(FindingEvent.id), latest(ImportBatch.id))).one()
    return int(row[0]), int(row[1]), int(row[2])


class PerVersion:
    """Values computed once per :func:`data_version` (the city figures, an OPD's rule groups and the order
    of its findings): read by many, changed by a check run, an action or an import. A new version drops
    every value of the old one; at most ``size`` values are kept (the least recently used go first)."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._version: Version | None = None
        self._values: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, version: Version, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if version != self._version:
                self._version, self._values = version, OrderedDict()
            elif key in self._values:
                self._values.move_to_end(key)
                value: T = self._values[key]
                return value
        value = compute()  # outside the lock: other pages need not wait for this one
        with self._lock:
            if version == self._version:
                self._values[key] = value
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
        return value
