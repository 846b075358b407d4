"""The staged matcher: which BPJS Jakon registration belongs to which APBD contract.

Contractors type the registration at BPJS by hand, so the contract number may be written
differently, mistyped or blank, and the vendor name comes in another form. The matcher links in
stages, each only among what earlier stages left free:

0. **manual** — a human's ``confirm`` forces a link (score 1.0) and takes both sides out of
   automatic matching; a ``reject`` forbids that pair in every stage. Decisions survive re-runs.
1. **exact / normalized** — the typed number equals a contract's number as written, or after
   :func:`~monitor.matching.normalize.contract_number_key`. Never by the number alone: the pair
   must not be contradicted by NPWP, vendor, value or dates, so a typo that turns one contract's
   number into another's does not link the wrong contract; where the number exists in several
   OPDs the evidence picks one.
2. **npwp** — same NPWP and a value within 15%; value closeness, dates and title pick among a
   vendor's contracts.
3. **fuzzy** — vendor name, title, value, dates and a number one character off, over blocked
   candidates only (see :mod:`monitor.matching.blocking`).

Within a stage pairs are taken best score first, one-to-one. A registration whose best candidates
are equally good (scores within :data:`EQUALLY_GOOD`) is not guessed: it becomes an
:class:`~checks.base.Ambiguity`. Several registrations fitting one contract equally well are
re-registrations: the valid (not ``batal``) one wins, then the newest by ``tanggal_daftar``, then
by ``nomor_registrasi``; the link's details list the others under ``"superseded"``. A registration
with status ``batal`` may still link: whether it protects the contract is the rules' business.
"""

from __future__ import annotations

import gc
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from checks.base import Ambiguity, ContractState, Link, RegistrationState
from monitor.matching.blocking import fuzzy_candidates
from monitor.matching.decisions import Decision
from monitor.matching.evidence import (
    EXACT,
    NORMALIZED,
    Assessment,
    Evaluator,
    acceptable_by_npwp,
    project_points,
)

EQUALLY_GOOD = 0.01  # scores closer than this are a tie: ask a human
NPWP_VALUE_RATIO = 0.85  # stage 2 only considers contracts within 15% of the registered value
FREE = -1

Candidate = tuple[float, int, Assessment]  # (score, contract index, evidence)


@dataclass
class MatchResult:
    links: list[Link] = field(default_factory=list)
    ambiguous: list[Ambiguity] = field(default_factory=list)
    # Registration id -> id of the contract whose newer registration superseded it.
    superseded: dict[int, int] = field(default_factory=dict)


def match(
    contracts: Sequence[ContractState],
    registrations: Sequence[RegistrationState],
    decisions: Sequence[Decision] = (),
) -> MatchResult:
    """Link contracts to registrations (see the module docstring). Pure: no database."""
    # Matching a million records creates millions of small objects and no reference cycles; the
    # cyclic collector would rescan every live object each time it ran, so it waits until we are done.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _Matcher(contracts, registrations).run(decisions)
    finally:
        if enabled:
            gc.enable()


class _Matcher:
    def __init__(self, contracts: Sequence[ContractState], registrations: Sequence[RegistrationState]) -> None:
        self.contracts = contracts
        self.registrations = registrations
        self.ev = Evaluator(contracts, registrations)
        # Per contract index: the registration index holding it, the stage of that link and its
        # project points (flat arrays: a million contracts cost a few megabytes).
        self.holder = array("i", [FREE]) * len(contracts)
        self.holder_stage = bytearray(len(contracts))
        self.holder_points = array("b", [0]) * len(contracts)
        self.link_of: list[Link | None] = [None] * len(contracts)
        # Registrations linked, ambiguous, superseded or decided by hand: out of later stages.
        self.settled = bytearray(len(registrations))
        self.forbidden: dict[int, set[int]] = {}
        self.ambiguous: list[Ambiguity] = []
        self.superseded: dict[int, int] = {}

    def run(self, decisions: Sequence[Decision]) -> MatchResult:
        self.apply_decisions(decisions)
        self.by_number()
        self.by_npwp()
        self.by_fuzzy()
        self.reregistrations()
        links = [link for link in self.link_of if link is not None]
        return MatchResult(links=links, ambiguous=self.ambiguous, superseded=self.superseded)

    # --- stage 0: humans ---------------------------------------------------------------------------

    def apply_decisions(self, decisions: Sequence[Decision]) -> None:
        if not decisions:
            return
        latest: dict[tuple[str, str, str], Decision] = {}
        for decision in decisions:  # a later decision on the same pair replaces an earlier one
            key = (decision.opd.strip(), decision.nomor_kontrak.strip(), decision.nomor_registrasi.strip())
            latest.pop(key, None)
            latest[key] = decision
        contract_at = _index_contracts(self.contracts, {(opd, nomor) for opd, nomor, _ in latest})
        wanted = {nomor for _, _, nomor in latest}
        registration_at = {
            r.nomor_registrasi.strip(): i for i, r in enumerate(self.registrations)
            if r.nomor_registrasi.strip() in wanted
        }
        confirms: list[tuple[int, int, Decision]] = []
        for (opd, nomor_kontrak, nomor_registrasi), decision in latest.items():
            ci = contract_at.get((opd, nomor_kontrak))
            ri = registration_at.get(nomor_registrasi)
            if ci is None or ri is None:
                continue  # the record is gone; the decision waits in case it comes back
            if decision.decision == "reject":
                self.forbidden.setdefault(ri, set()).add(ci)
            else:
                confirms.append((ci, ri, decision))
        for ci, ri, decision in reversed(confirms):  # the latest confirm wins a conflict
            if self.holder[ci] != FREE or self.settled[ri]:
                continue
            details = {"decision": "confirm", "actor": decision.actor, "note": decision.note,
                       "reason": "manual: dikonfirmasi petugas"}
            self._link(ci, ri, 0, _link(self, ci, ri, "manual", 1.0, MappingProxyType(details)))

    # --- stage 1: the contract number --------------------------------------------------------------

    def by_number(self) -> None:
        index: dict[str, int | list[int]] = {}
        for ci, key in enumerate(self.ev.contract_keys):
            if key is None or self.holder[ci] != FREE:
                continue
            found = index.get(key)
            if found is None:
                index[key] = ci
            elif isinstance(found, int):
                index[key] = [found, ci]
            else:
                found.append(ci)
        # Count claimants per contract first: a contract only one registration names, and that names
        # only it, is linked without the sorting and tie checks contested pairs need.
        claims = bytearray(len(self.contracts))
        registration_keys = self.ev.registration_keys
        for ri, key in enumerate(registration_keys):
            if key is None or self.settled[ri]:
                continue
            for ci in _as_list(index.get(key)):
                if claims[ci] < 2:
                    claims[ci] += 1
        contested: dict[int, list[Candidate]] = {}
        assess = self.ev.assess
        for ri, key in enumerate(registration_keys):
            if key is None or self.settled[ri]:
                continue
            found = index.get(key)
            if found is None:
                continue
            forbidden = self.forbidden.get(ri, ())
            if isinstance(found, int) and claims[found] == 1 and found not in forbidden:
                a = assess(found, ri, self.ev.number_relation(found, ri))
                if not a.contradictions:
                    self._link_assessed(found, ri, 1, a)
                continue
            candidates = []
            for ci in _as_list(found):
                if ci in forbidden:
                    continue
                a = assess(ci, ri, self.ev.number_relation(ci, ri))
                if not a.contradictions:
                    candidates.append((a.score, ci, a))
            if candidates:
                contested[ri] = candidates
        self._assign(1, contested)

    # --- stage 2: NPWP, value and dates -------------------------------------------------------------

    def by_npwp(self) -> None:
        f = self.ev.f
        pending = {ri: npwp for ri, npwp in enumerate(f.r_npwp) if npwp and not self.settled[ri] and f.r_value[ri] > 0}
        if not pending:
            return
        wanted = set(pending.values())
        by_npwp: dict[int, list[tuple[int, int]]] = {}
        for ci, npwp in enumerate(f.c_npwp):
            if npwp in wanted and self.holder[ci] == FREE:
                values = by_npwp.setdefault(npwp, [])
                values.append((f.c_nilai[ci], ci))
                if f.c_nilai_awal[ci] != f.c_nilai[ci]:
                    values.append((f.c_nilai_awal[ci], ci))
        for values in by_npwp.values():
            values.sort()
        found: dict[int, list[Candidate]] = {}
        for ri, npwp in pending.items():
            entries = by_npwp.get(npwp)
            if not entries:
                continue
            # A vendor may hold hundreds of contracts: only those within 15% of the value are assessed.
            value = f.r_value[ri]
            lo = bisect_left(entries, (int(value * NPWP_VALUE_RATIO), -1))
            hi = bisect_right(entries, (int(value / NPWP_VALUE_RATIO) + 1, len(self.contracts)))
            forbidden = self.forbidden.get(ri, ())
            candidates = []
            for ci in {ci for _, ci in entries[lo:hi]}:
                if ci in forbidden:
                    continue
                a = self.ev.assess(ci, ri, with_title=True)
                if acceptable_by_npwp(a):
                    candidates.append((a.score, ci, a))
            if candidates:
                found[ri] = candidates
        self._assign(2, found)

    # --- stage 3: fuzzy ----------------------------------------------------------------------------

    def by_fuzzy(self) -> None:
        pending = [ri for ri in range(len(self.registrations)) if not self.settled[ri]]
        free = [ci for ci in range(len(self.contracts)) if self.holder[ci] == FREE]
        if not pending or not free:
            return
        found = fuzzy_candidates(self.ev, pending, free, self.forbidden)
        self._assign(3, found)

    # --- one-to-one assignment ---------------------------------------------------------------------

    def _assign(self, stage: int, candidates: Mapping[int, list[Candidate]]) -> None:
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
                contract_ids = tuple(sorted(self.contracts[c].id for c in (ci, *rivals)))
                self.ambiguous.append(Ambiguity(self.registrations[ri].id, contract_ids, score))
                self.settled[ri] = 1
                continue
            self._link_assessed(ci, ri, stage, a)
        duplicates: dict[int, list[tuple[int, Assessment]]] = {}
        for ri, found in candidates.items():
            if self.settled[ri]:
                continue
            score, ci, a = max(found, key=lambda candidate: candidate[0])
            if (
                self.holder_stage[ci] == stage
                and project_points(a) >= self.holder_points[ci] - 1
                and (stage == 1 or self._same_registration(ri, self.holder[ci]))
            ):
                duplicates.setdefault(ci, []).append((ri, a))
        for ci, others in duplicates.items():
            self._supersede(ci, [ri for ri, _ in others])
        # Everything else left over falls through to the next stage.

    def _supersede(self, ci: int, others: Sequence[int]) -> None:
        """Registrations ``others`` fit contract ``ci`` as well as its holder: keep the preferred one
        linked and list the rest as superseded."""
        holder = self.holder[ci]
        current = self.link_of[ci]
        assert current is not None
        winner = max([holder, *others], key=self._preference)
        points = self.holder_points[ci]
        if winner == holder:
            details, method, score = current.details, current.method, current.score
        else:
            a = self.ev.assess(ci, winner, with_title=self.holder_stage[ci] != 1)
            method = _method(a)
            details, score, points = self.ev.details(a, method), a.score, project_points(a)
        losers = sorted(ri for ri in (holder, *others) if ri != winner)
        superseded = [self.registrations[ri].nomor_registrasi for ri in losers]
        details = MappingProxyType({**details, "superseded": superseded})
        contract_id = self.contracts[ci].id
        for ri in losers:
            self.superseded[self.registrations[ri].id] = contract_id
            self.settled[ri] = 1
        self._link(ci, winner, self.holder_stage[ci], _link(self, ci, winner, method, score, details), points)

    def reregistrations(self) -> None:
        """A registration left over that repeats a linked one — same typed number (or none), same
        value, same contractor, same start — was registered twice (often after a ``batal``), even if
        the two were matched in different stages: the preferred one keeps the contract."""
        keys, values = self.ev.f.r_key, self.ev.f.r_value
        left = {(keys[ri], values[ri]) for ri, settled in enumerate(self.settled) if not settled}
        if not left:
            return
        linked: dict[tuple[str | None, int], list[int]] = {}
        for ci, ri in enumerate(self.holder):
            if ri != FREE and self.holder_stage[ci] != 0:
                key = (keys[ri], values[ri])
                if key in left:
                    linked.setdefault(key, []).append(ci)
        repeats: dict[int, list[int]] = {}
        for ri, settled in enumerate(self.settled):
            if settled:
                continue
            for ci in linked.get((keys[ri], values[ri]), ()):
                if ci not in self.forbidden.get(ri, ()) and self._same_registration(ri, self.holder[ci]):
                    repeats.setdefault(ci, []).append(ri)
                    break
        for ci, others in repeats.items():
            self._supersede(ci, others)

    def _same_registration(self, ri: int, other: int) -> bool:
        """The same project registered twice: typed with the same number (or none) and value, by the
        same contractor, covering the same start."""
        f = self.ev.f
        if f.r_value[ri] != f.r_value[other] or f.r_key[ri] != f.r_key[other]:
            return False
        if abs(f.r_masa_awal[ri] - f.r_masa_awal[other]) > 31:
            return False
        if f.r_npwp[ri] and f.r_npwp[other]:
            return f.r_npwp[ri] == f.r_npwp[other]
        return (self.ev.vendor_similarity(f.r_vendor[ri], f.r_vendor[other]) or 0.0) >= 0.8

    def _preference(self, ri: int) -> tuple[bool, Any, str]:
        r = self.registrations[ri]
        return (r.valid, r.tanggal_daftar, r.nomor_registrasi)

    def _link_assessed(self, ci: int, ri: int, stage: int, a: Assessment) -> None:
        method = _method(a)
        link = _link(self, ci, ri, method, a.score, self.ev.details(a, method))
        self._link(ci, ri, stage, link, project_points(a))

    def _link(self, ci: int, ri: int, stage: int, link: Link, points: int = 0) -> None:
        self.holder[ci] = ri
        self.holder_stage[ci] = stage
        self.holder_points[ci] = max(-128, min(127, points))
        self.link_of[ci] = link
        self.settled[ri] = 1


def _method(a: Assessment) -> str:
    """Named for the strongest evidence that agreed."""
    if a.number in (EXACT, NORMALIZED):
        return a.number
    return "npwp" if a.npwp == "same" else "fuzzy"


def _link(m: _Matcher, ci: int, ri: int, method: str, score: float, details: Mapping[str, Any]) -> Link:
    return Link(m.contracts[ci].id, m.registrations[ri].id, method, score, details)


def _as_list(found: int | list[int] | None) -> Iterable[int]:
    if found is None:
        return ()
    return (found,) if isinstance(found, int) else found


def _index_contracts(
    contracts: Sequence[ContractState], wanted: set[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    numbers = {nomor for _, nomor in wanted}
    found: dict[tuple[str, str], int] = {}
    for ci, c in enumerate(contracts):
        nomor = c.nomor_kontrak.strip()
        if nomor in numbers and (c.opd.strip(), nomor) in wanted:
            found[(c.opd.strip(), nomor)] = ci
    return found
