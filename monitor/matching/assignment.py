"""One-to-one assignment of registrations to contracts, shared by every stage of the matcher.

Pairs are taken best score first. A registration whose best candidates are equally good (scores
within :data:`EQUALLY_GOOD`) is not guessed: it becomes an :class:`~checks.base.Ambiguity`.
Several registrations fitting one contract are re-registrations: the valid (not ``batal``) one wins,
then the newest by ``tanggal_daftar``, then by ``nomor_registrasi``; the link's details list the
others under ``"superseded"`` (by ``nomor_registrasi``) and :attr:`MatchResult.superseded` maps them
(by id) to the contract.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from types import MappingProxyType
from typing import Any

from monitor.compute.columns import MadeWhenLookedAt, Table, column
from monitor.matching.evidence import (
    DIFFERENT,
    EXACT,
    NORMALIZED,
    Assessment,
    Evaluator,
    as_other_name,
    only_who_contradicts,
    project_points,
)
from monitor.matching.features import ContractSide
from monitor.records import CANCELLED, Ambiguity, ContractState, Link, RegistrationLookups, RegistrationState

EQUALLY_GOOD = 0.01  # scores closer than this are a tie: ask a human
# A registration left without a contract is a re-registration of the one holding its best candidate
# if its project points are at most this far below (value typed a little differently, coverage
# starting a few days later); further below, it is more likely a typo for another contract.
DUPLICATE_POINTS = 2
FREE = -1

Candidate = tuple[float, int, Assessment]  # (score, contract index, evidence)


METHODS = ("exact", "normalized", "npwp", "fuzzy", "manual")
METHOD_CODES = {method: code for code, method in enumerate(METHODS)}
_NO_DETAILS: Mapping[str, Any] = MappingProxyType({})


class Links(MadeWhenLookedAt[Link]):
    """The links, in contract order, held as the assignment's columns: a :class:`~checks.base.Link`
    is made when looked at (a million of them as objects, with two dictionaries by id, would be a
    few hundred megabytes)."""

    def __init__(self, a: Assignment) -> None:
        self._contract_ids, self._registration_ids = a.contract_ids, a.registration_ids
        self._holder, self._methods, self._scores, self._details = a.holder, a.link_method, a.link_score, a.link_details
        self._linked = array("i", [ci for ci, ri in enumerate(a.holder) if ri != FREE])
        self._contract_position = _positions(a.contracts)
        self._registration_position = _positions(a.registrations)
        self._contract_of: array[int] | None = None
        # A table is in id order (monitor.compute.columns.Table): its links are in contract id order as made.
        self.in_contract_id_order = isinstance(a.contracts, Table)

    def _make(self, ci: int) -> Link:
        return Link(self._contract_ids[ci], self._registration_ids[self._holder[ci]], METHODS[self._methods[ci]],
                    self._scores[ci], self._details[ci] or _NO_DETAILS)

    def __len__(self) -> int:
        return len(self._linked)

    def __iter__(self) -> Iterator[Link]:
        return map(self._make, self._linked)

    def item_at(self, at: int) -> Link:
        return self._make(self._linked[at])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def _by_contract(self, contract_id: int) -> int | None:
        """The index of the contract with this id, if it is linked."""
        ci = self._contract_position(contract_id)
        return None if ci is None or self._holder[ci] == FREE else ci

    def _by_registration(self, registration_id: int) -> int | None:
        """The index of the contract the registration with this id is linked to."""
        ri = self._registration_position(registration_id)
        if ri is None:
            return None
        if self._contract_of is None:
            self._contract_of = array("i", [FREE]) * len(self._registration_ids)
            for ci in self._linked:
                self._contract_of[self._holder[ci]] = ci
        ci = self._contract_of[ri]
        return None if ci == FREE else ci

    def registration_lookup(self, registrations: Table[RegistrationState]) -> Callable[[int], RegistrationState | None]:
        """Contract id -> its linked registration (a row of ``registrations``, the table matched)."""
        position, holder, row_at = self._contract_position, self._holder, registrations.row_at

        def lookup(contract_id: int) -> RegistrationState | None:
            ci = position(contract_id)
            if ci is None:
                return None
            ri = holder[ci]
            return None if ri == FREE else row_at(ri)

        return lookup

    def pairs(
        self, contracts: Table[ContractState], registrations: Table[RegistrationState]
    ) -> Iterator[tuple[ContractState, RegistrationState | None]]:
        """Every contract (a row of ``contracts``, the table matched) with its linked registration or
        ``None``, in table order, without an id lookup per contract."""
        # FREE is negative: row_at_or_none gives None for it.
        return zip(contracts, map(registrations.row_at_or_none, self._holder), strict=True)

    def registered_since_lookup(self, registrations: Table[RegistrationState]) -> Callable[[int], date | None]:
        """Contract id -> the tanggal_daftar of its linked registration unless that is ``batal``, read
        from the columns: no registration row is made (the payment rule asks for every SP2D)."""
        position, holder = self._contract_position, self._holder
        registered_on, statuses = registrations.column("tanggal_daftar"), registrations.column("status")

        def since(contract_id: int) -> date | None:
            ci = position(contract_id)
            if ci is None:
                return None
            ri = holder[ci]
            return None if ri == FREE or statuses[ri] == CANCELLED else registered_on[ri]

        return since

    def by_contract(self) -> Mapping[int, Link]:
        return _LinksBy(self, self._by_contract, contracts=True)

    def by_registration(self) -> Mapping[int, Link]:
        return _LinksBy(self, self._by_registration, contracts=False)


class _LinksBy(Mapping[int, Link]):
    """The links by contract id or by registration id, without a dictionary."""

    def __init__(self, links: Links, index: Callable[[int], int | None], contracts: bool) -> None:
        self._links, self._index, self._contracts = links, index, contracts

    def get(self, key: int, default: Any = None) -> Any:
        ci = self._index(key)
        return default if ci is None else self._links._make(ci)

    def __getitem__(self, key: int) -> Link:
        ci = self._index(key)
        if ci is None:
            raise KeyError(key)
        return self._links._make(ci)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and self._index(key) is not None

    def __iter__(self) -> Iterator[int]:
        return (link.contract_id if self._contracts else link.registration_id for link in self._links)

    def __len__(self) -> int:
        return len(self._links)

    def values(self) -> ValuesView[Link]:
        return _LinkValues(self)


class _LinkValues(ValuesView[Link]):
    _mapping: _LinksBy

    def __iter__(self) -> Iterator[Link]:
        return iter(self._mapping._links)


def _positions(records: Sequence[Any]) -> Callable[[int], int | None]:
    """Record id -> index: the table's own lookup, or a dictionary for plain lists."""
    if isinstance(records, Table):
        return records.position
    return {record_id: at for at, record_id in enumerate(column(records, "id"))}.get


@dataclass
class MatchResult:
    """What :func:`~monitor.matching.match` returns."""

    links: Links
    ambiguous: list[Ambiguity] = field(default_factory=list)
    # Registration id -> id of the contract whose newer registration superseded it.
    superseded: dict[int, int] = field(default_factory=dict)

    def in_contract_id_order(self) -> Iterable[Link]:
        """The links by contract id, made one at a time as they are read where they can be (a million
        links as tuples at once are a hundred megabytes)."""
        if self.links.in_contract_id_order:
            return self.links
        return sorted(self.links, key=attrgetter("contract_id"))

    def by_contract(self) -> Mapping[int, Link]:
        return self.links.by_contract()

    def by_registration(self) -> Mapping[int, Link]:
        return self.links.by_registration()

    def lookups(
        self, contracts: Sequence[ContractState], registrations: Sequence[RegistrationState]
    ) -> RegistrationLookups:
        """Contract id -> its registration, and -> the day it became protected, and every contract with
        its registration, straight from the matcher's columns where ``contracts`` and ``registrations``
        are the tables matched (``None`` otherwise: the :class:`~checks.base.CheckContext` then goes
        through ``by_contract()``)."""
        links = self.links
        if isinstance(contracts, Table) and isinstance(registrations, Table):
            return RegistrationLookups(links.registration_lookup(registrations),
                                       links.registered_since_lookup(registrations),
                                       lambda: links.pairs(contracts, registrations))
        return RegistrationLookups()


class Assignment:
    """The state of one matching run: who holds what, what is settled, what a human must decide."""

    def __init__(self, contracts: Sequence[ContractState], registrations: Sequence[RegistrationState],
                 contract_side: ContractSide | None = None) -> None:
        self.contracts = contracts
        self.registrations = registrations
        # The columns read once per pair (a table's own: see monitor.compute.columns).
        self.contract_ids = column(contracts, "id")
        self.registration_ids = column(registrations, "id")
        self.registration_numbers = column(registrations, "nomor_registrasi")
        self._statuses = column(registrations, "status")
        self._registered_on = column(registrations, "tanggal_daftar")
        self.ev = Evaluator(contracts, registrations, contract_side)
        # Per contract index: the registration index holding it, the stage of that link and its
        # project points (flat arrays: a million contracts cost a few megabytes).
        self.holder = array("i", [FREE]) * len(contracts)
        self.holder_stage = bytearray(len(contracts))
        self.holder_points = array("b", [0]) * len(contracts)
        # Per contract index, of its link: the method (an index into METHODS), score and details.
        self.link_method = bytearray(len(contracts))
        self.link_score = array("d", [0.0]) * len(contracts)
        self.link_details: list[Mapping[str, Any] | None] = [None] * len(contracts)
        # Registrations linked, ambiguous, superseded or decided by hand: out of later stages.
        self.settled = bytearray(len(registrations))
        self.forbidden: dict[int, set[int]] = {}  # registration -> contracts a human rejected for it
        self.ambiguous: list[Ambiguity] = []
        self.superseded: dict[int, int] = {}
        self._explained: dict[int, tuple[str, Mapping[str, Any], int]] = {}

    def result(self) -> MatchResult:
        return MatchResult(links=Links(self), ambiguous=self.ambiguous, superseded=self.superseded)

    def assign(self, stage: int, candidates: Mapping[int, list[Candidate]]) -> None:
        """Best score first; ties between a registration's candidates become ambiguities; ties between
        registrations for one contract are re-registrations (see the module docstring)."""
        preference = self._preference
        pairs = [(score, preference(ri), ri, ci, a) for ri, found in candidates.items() for score, ci, a in found]
        pairs.sort(key=lambda pair: (pair[0], pair[1]), reverse=True)
        for score, _, ri, ci, a in pairs:
            if self.settled[ri] or self.holder[ci] != FREE:
                continue
            rivals = [
                cj for s, cj, _ in candidates[ri]
                if cj != ci and self.holder[cj] == FREE and s >= score - EQUALLY_GOOD
            ]
            if rivals:
                contract_ids = tuple(sorted(self.contract_ids[c] for c in (ci, *rivals)))
                self.ambiguous.append(Ambiguity(self.registration_ids[ri], contract_ids, score))
                self.settled[ri] = 1
                continue
            self.link_assessed(ci, ri, stage, a)
        duplicates: dict[int, list[tuple[int, Assessment]]] = {}
        for ri, found in candidates.items():
            if self.settled[ri]:
                continue
            score, ci, a = max(found, key=lambda candidate: candidate[0])
            if (
                self.holder_stage[ci] == stage
                and project_points(a) >= self.holder_points[ci] - DUPLICATE_POINTS
                and (stage == 1 or (a.number != DIFFERENT and self._same_registration(ri, self.holder[ci])))
            ):
                duplicates.setdefault(ci, []).append((ri, a))
        for ci, others in duplicates.items():
            self.supersede(ci, [ri for ri, _ in others])
        # Everything else left over falls through to the next stage.

    def supersede(self, ci: int, others: Sequence[int]) -> None:
        """Registrations ``others`` fit contract ``ci`` as well as its holder: keep the preferred one
        linked and list the rest as superseded."""
        holder = self.holder[ci]
        current = self.link_details[ci]
        assert current is not None
        winner = max([holder, *others], key=self._preference)
        points = self.holder_points[ci]
        if winner == holder:
            details, method, score = current, METHODS[self.link_method[ci]], self.link_score[ci]
        else:
            a = self.ev.assess(ci, winner, with_title=self.holder_stage[ci] != 1)
            if only_who_contradicts(a):  # the holder was linked despite who registered (stages 5, 6)
                a = as_other_name(a)
            method = _method(a)
            details, score, points = self.ev.details(a, method), a.score, project_points(a)
        losers = sorted(ri for ri in (holder, *others) if ri != winner)
        earlier = list(current.get("superseded") or ())  # from an earlier stage's supersession
        superseded = earlier + [self.registration_numbers[ri] for ri in losers]
        details = MappingProxyType({**details, "superseded": superseded})
        contract_id = self.contract_ids[ci]
        for ri in losers:
            self.superseded[self.registration_ids[ri]] = contract_id
            self.settled[ri] = 1
        self.link(ci, winner, self.holder_stage[ci], method, score, details, points)

    def reregistrations(self) -> None:
        """A registration left over that repeats a linked one — same value, same contractor, same
        coverage start, and a number that does not say otherwise (the same, a typo of it, or none) —
        was registered twice, often after a ``batal``, even if the two would be matched in different
        stages: the preferred one keeps the contract."""
        f = self.ev.f
        left = [ri for ri, settled in enumerate(self.settled) if not settled]
        values = {f.r_value[ri] for ri in left}
        if not values:
            return
        held_by_value: dict[int, list[int]] = {}
        for ci, ri in enumerate(self.holder):
            if ri != FREE and self.holder_stage[ci] != 0 and f.r_value[ri] in values:
                held_by_value.setdefault(f.r_value[ri], []).append(ci)
        repeats: dict[int, list[int]] = {}
        for ri in left:
            for ci in held_by_value.get(f.r_value[ri], ()):
                if ci in self.forbidden.get(ri, ()) or not self._same_registration(ri, self.holder[ci]):
                    continue
                a = self.ev.assess(ci, ri)
                if not a.contradictions and a.number != DIFFERENT:
                    repeats.setdefault(ci, []).append(ri)
                    break
        for ci, others in repeats.items():
            self.supersede(ci, others)

    def _same_registration(self, ri: int, other: int) -> bool:
        """The same project registered twice: the same value and contractor, the same start."""
        f = self.ev.f
        if f.r_value[ri] != f.r_value[other] or abs(f.r_masa_awal[ri] - f.r_masa_awal[other]) > 31:
            return False
        if f.r_npwp[ri] and f.r_npwp[other]:
            return f.r_npwp[ri] == f.r_npwp[other]
        return (self.ev.vendor_similarity(f.registration_vendor(ri), f.registration_vendor(other)) or 0.0) >= 0.8

    def _preference(self, ri: int) -> tuple[bool, Any, str]:
        return (self._statuses[ri] != CANCELLED, self._registered_on[ri], self.registration_numbers[ri])

    def link_assessed(self, ci: int, ri: int, stage: int, a: Assessment) -> None:
        method, details, points = self.explain(a)
        self.link(ci, ri, stage, method, a.score, details, points)

    def explain(self, a: Assessment) -> tuple[str, Mapping[str, Any], int]:
        """(method, details, project points) of an assessment; computed once for the shared ones."""
        explained = self._explained.get(id(a))
        if explained is None:
            method = _method(a)
            explained = (method, self.ev.details(a, method), project_points(a))
            if a.shared:
                self._explained[id(a)] = explained
        return explained

    def link(self, ci: int, ri: int, stage: int, method: str, score: float, details: Mapping[str, Any],
             points: int = 0) -> None:
        self.holder[ci] = ri
        self.holder_stage[ci] = stage
        self.holder_points[ci] = points
        self.link_method[ci] = METHOD_CODES[method]
        self.link_score[ci] = score
        self.link_details[ci] = details
        self.settled[ri] = 1


def _method(a: Assessment) -> str:
    """Named for the strongest evidence that agreed."""
    if a.number in (EXACT, NORMALIZED):
        return a.number
    return "npwp" if a.npwp == "same" else "fuzzy"
