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

4. **exact / normalized despite the value** — a number match whose value disagrees (60-85%) is
   linked last, if nothing fitted better: an under-declared value is the premium rule's business.

Within a stage, pairs are assigned one-to-one (:mod:`monitor.matching.assignment`): ties go to a
human as an :class:`~checks.base.Ambiguity`, and a re-registration supersedes the older one; a final
pass catches re-registrations matched in different stages. A registration with status ``batal``
may still link: whether it protects the contract is the rules' business.
"""

from __future__ import annotations

import gc
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from types import MappingProxyType

from checks.base import ContractState, RegistrationState
from monitor.columns import column
from monitor.matching.assignment import _METHOD_CODES, FREE, Assignment, Candidate, MatchResult
from monitor.matching.blocking import fuzzy_candidates
from monitor.matching.decisions import Decision
from monitor.matching.evidence import DIFFERENT, EXACT, NORMALIZED, VALUE_AGREES, Assessment, acceptable_by_npwp

NPWP_VALUE_RATIO = 0.85  # stage 2 only considers contracts within 15% of the registered value


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


class _Matcher(Assignment):
    """The stages, in order."""

    def __init__(self, contracts: Sequence[ContractState], registrations: Sequence[RegistrationState]) -> None:
        super().__init__(contracts, registrations)
        # Registrations whose number matched only contracts with a disagreeing value (stage 4).
        self.deferred: dict[int, list[Candidate]] = {}
        # Registrations whose typed number is some contract's (normalized): they name a contract.
        self.named = bytearray(len(registrations))
        self.confirmed = 0  # links a human confirmed

    # The automatic stages, in order (after the humans' decisions).
    STAGES = ("by_number", "by_npwp", "by_fuzzy", "by_number_despite_value", "reregistrations")

    def run(self, decisions: Sequence[Decision]) -> MatchResult:
        self.apply_decisions(decisions)
        for stage in self.STAGES:
            getattr(self, stage)()
        return self.result()

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
            nomor.strip(): i for i, nomor in enumerate(self.registration_numbers) if nomor.strip() in wanted
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
            self.link(ci, ri, 0, "manual", 1.0, MappingProxyType(details))
            self.confirmed += 1

    # --- stage 1: the contract number --------------------------------------------------------------

    def by_number(self) -> None:
        keys = self.ev.contract_keys
        taken: set[str | None] = set()
        if self.confirmed:  # contracts a human linked are taken
            taken = {key for key, holder in zip(keys, self.holder, strict=True) if holder != FREE}
            keys = [None if holder != FREE else key for key, holder in zip(keys, self.holder, strict=True)]
        # Contract key -> its index, or the indices of the contracts sharing it (one number, several
        # OPDs). dict(zip()) does the million-row pass in C and keeps each key's last index, so a key
        # is shared where an index differs. No Counter: a million-entry one is tens of megabytes more
        # at the matcher's peak.
        index: dict[str | None, int | list[int]] = dict(zip(keys, range(len(keys)), strict=True))
        shared = {key for ci, key in enumerate(keys) if index[key] != ci and key is not None}
        if shared:
            for ci in [ci for ci, key in enumerate(keys) if key in shared]:
                so_far = index[keys[ci]]
                index[keys[ci]] = [ci] if isinstance(so_far, int) else [*so_far, ci]
        index.pop(None, None)
        # A contract only one registration names, and that names only it, is linked without the
        # sorting and tie checks contested pairs need: find the keys several registrations name.
        registration_keys = self.ev.registration_keys
        if self.confirmed:
            registration_keys = [None if settled else key
                                 for key, settled in zip(registration_keys, self.settled, strict=True)]
        # How many registrations name each contract with a key of its own (0, 1, or 2 for "several"):
        # a byte per contract, where a set of the keys named twice would first hold every key once.
        naming = bytearray(len(keys))
        for found in map(index.get, registration_keys):
            if type(found) is int and naming[found] < 2:
                naming[found] += 1
        contested: dict[int, list[Candidate]] = {}
        assess, exact, forbidden_for = self.ev.assess, self.ev.f.r_exact, self.forbidden
        # The loop below runs a million times: what link() does is written out, with local names.
        holder, holder_stage, holder_points, settled = self.holder, self.holder_stage, self.holder_points, self.settled
        link_method, link_score, link_details, method_codes = (
            self.link_method, self.link_score, self.link_details, _METHOD_CODES)
        explain = self.explain
        named = self.named
        for ri, key in enumerate(registration_keys):
            if key is None:
                continue
            found = index.get(key)
            if found is None:
                if key in taken:
                    named[ri] = 1
                continue
            named[ri] = 1
            forbidden = forbidden_for.get(ri, ()) if forbidden_for else ()
            if isinstance(found, int) and naming[found] == 1 and found not in forbidden:
                # The only contract with this key: the typed number is it exactly if it is any exactly.
                a = assess(found, ri, EXACT if exact[ri] else NORMALIZED)
                if a.contradictions:
                    continue
                if not _value_agrees(a):
                    self.deferred[ri] = [(a.score, found, a)]
                    continue
                method, details, points = explain(a)
                holder[found], holder_stage[found], holder_points[found] = ri, 1, points
                link_method[found], link_score[found], link_details[found] = method_codes[method], a.score, details
                settled[ri] = 1
                continue
            # The number names several contracts (one per OPD) or the contract is named by several
            # registrations: the title joins the evidence, as a person would read it.
            candidates = []
            for ci in _as_list(found):
                if ci in forbidden:
                    continue
                a = assess(ci, ri, self.ev.number_relation(ci, ri), with_title=True, discard_contradicted=True)
                if not a.contradictions:
                    candidates.append((a.score, ci, a))
            agreeing = [candidate for candidate in candidates if _value_agrees(candidate[2])]
            if agreeing:
                contested[ri] = agreeing
            elif candidates:
                self.deferred[ri] = candidates
        self.assign(1, contested)

    def by_number_despite_value(self) -> None:
        """Stage 4: a number match whose value disagrees (60-85%: under-declared, or another
        contract's number typed by mistake) is linked only if no other contract fitted better."""
        candidates = {
            ri: free for ri, found in self.deferred.items()
            if not self.settled[ri] and (free := [c for c in found if self.holder[c[1]] == FREE])
        }
        self.assign(4, candidates)

    def _without_other_numbers(self, found: dict[int, list[Candidate]]) -> dict[int, list[Candidate]]:
        """A registration whose typed number names a contract it did not get (contradicted, a
        disagreeing value, taken by a better or a confirmed registration) may only go to another
        contract whose number its own could be a typo of: the NPWP and fuzzy stages must not hand it
        to another contract of the same contractor."""
        named = self.named
        for ri in [ri for ri in found if named[ri]]:
            kept = [c for c in found[ri] if c[2].number not in (DIFFERENT, None)]
            if kept:
                found[ri] = kept
            else:
                del found[ri]
        return found

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
                a = self.ev.assess(ci, ri, with_title=True, discard_contradicted=True)
                if acceptable_by_npwp(a):
                    candidates.append((a.score, ci, a))
            if candidates:
                found[ri] = candidates
        self.assign(2, self._without_other_numbers(found))

    # --- stage 3: fuzzy ----------------------------------------------------------------------------

    def by_fuzzy(self) -> None:
        pending = [ri for ri in range(len(self.registrations)) if not self.settled[ri]]
        free = [ci for ci in range(len(self.contracts)) if self.holder[ci] == FREE]
        if not pending or not free:
            return
        found = fuzzy_candidates(self.ev, pending, free, self.forbidden)
        self.assign(3, self._without_other_numbers(found))


def _value_agrees(a: Assessment) -> bool:
    return a.value_ratio is None or a.value_ratio >= VALUE_AGREES


def _as_list(found: int | list[int] | None) -> Iterable[int]:
    if found is None:
        return ()
    return (found,) if isinstance(found, int) else found


def _index_contracts(
    contracts: Sequence[ContractState], wanted: set[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    numbers = {nomor for _, nomor in wanted}
    found: dict[tuple[str, str], int] = {}
    opds = column(contracts, "opd")
    for ci, nomor in enumerate(column(contracts, "nomor_kontrak")):
        nomor = nomor.strip()
        if nomor in numbers and (opds[ci].strip(), nomor) in wanted:
            found[(opds[ci].strip(), nomor)] = ci
    return found
