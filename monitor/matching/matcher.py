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
5. **exact / normalized despite who registered** — a number match contradicted only by the NPWP or
   the vendor's name, whose registered value is the contract's to the rupiah and whose dates agree:
   a KSO's partner, the consortium under its own name or a firm lending its name registered it.
   Such a registration waits here (stages 2 and 3 leave it alone), is linked with a score of at most
   0.75 and says so in its details (``other_name``).
6. **value, dates and title** — a registration still unlinked (its number blank or a typo of the
   contract's, most often under another name) is linked only to the one free contract of its value
   whose coverage and title fit, when it fits clearly better than the next; otherwise it is a
   human's (:class:`~checks.base.Ambiguity`).

A consortium's name agrees with a vendor on the other side when any member agrees with any member
(:mod:`monitor.matching.consortium`, read once per distinct name in :mod:`.features`).

Within a stage, pairs are assigned one-to-one (:mod:`monitor.matching.assignment`): ties go to a
human as an :class:`~checks.base.Ambiguity`, and a re-registration supersedes the older one; a final
pass catches re-registrations matched in different stages. A registration with status ``batal``
may still link: whether it protects the contract is the rules' business.

On a big run stages 1 to 3 use the machine's second core: stages 1 and 2 split by key (a forked
process takes half of the number keys, then of the NPWPs: :meth:`_Matcher._in_two_parts`), stage 3
looks for candidates for half of the free contracts in a forked process; the links are the same as
in one process.
"""

from __future__ import annotations

import marshal
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import astuple, replace
from operator import attrgetter, itemgetter
from types import MappingProxyType
from typing import Any

from monitor.compute.columns import array_from_bytes, column
from monitor.compute.memory import gc_paused
from monitor.compute.processes import FORK_MIN_RECORDS, Aside, fork_is_safe
from monitor.matching.assignment import FREE, METHOD_CODES, Assignment, Candidate, MatchResult
from monitor.matching.blocking import fuzzy_candidates
from monitor.matching.decisions import Decision
from monitor.matching.evidence import (
    DIFFERENT,
    EXACT,
    NORMALIZED,
    VALUE_AGREES,
    VALUE_ROUNDING,
    Assessment,
    acceptable_by_npwp,
    as_other_name,
    fits_by_project,
)
from monitor.matching.features import NO_KEY, ContractSide, Features
from monitor.records import Ambiguity, ContractState, RegistrationState

NPWP_VALUE_RATIO = 0.85  # stage 2 only considers contracts within 15% of the registered value
# Stage 6 links the one contract that fits a registration by value, dates and title only this far
# ahead of the next candidate's score.
CLEARLY_BETTER = 0.05
# From this many registrations, stages 1, 2 and 3 run in two processes (each over half of the keys or contracts).
PARALLEL_STAGE_MIN_RECORDS = FORK_MIN_RECORDS

Part = tuple[int, int]  # (this one, of how many): the keys (number hashes, NPWPs) whose value % how many == this one


def match(
    contracts: Sequence[ContractState],
    registrations: Sequence[RegistrationState],
    decisions: Sequence[Decision] = (),
    contract_side: ContractSide | None = None,
) -> MatchResult:
    """Link contracts to registrations (see the module docstring). Pure: no database. A caller that
    computed the contracts' :class:`~monitor.matching.features.ContractSide` meanwhile passes it."""
    with gc_paused():
        return _Matcher(contracts, registrations, contract_side).run(decisions)


class _Matcher(Assignment):
    """The stages, in order."""

    def __init__(self, contracts: Sequence[ContractState], registrations: Sequence[RegistrationState],
                 contract_side: ContractSide | None = None) -> None:
        super().__init__(contracts, registrations, contract_side)
        # Registrations whose number matched only contracts with a disagreeing value (stage 4).
        self.deferred: dict[int, list[Candidate]] = {}
        # Registrations whose number matched only contracts it and the value name, under another
        # vendor's name or NPWP (stage 5: evidence.despite_vendor).
        self.other_named: dict[int, list[Candidate]] = {}
        # Registrations whose typed number is some contract's (normalized): they name a contract.
        self.named = bytearray(len(registrations))
        self.confirmed = 0  # links a human confirmed

    # The automatic stages, in order (after the humans' decisions).
    STAGES = ("by_number", "by_npwp", "by_fuzzy", "by_number_despite_value", "by_number_despite_vendor",
              "by_value", "reregistrations")

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
        """Stage 1. A registration only ever meets contracts whose number key has the hash of its own,
        so the stage splits cleanly by key hash (see :meth:`_in_two_parts`)."""
        self._in_two_parts(1, self._by_number)

    def _in_two_parts(self, stage: int, run: Callable[[Part | None], None]) -> None:
        """Run a stage that splits cleanly by a key (no registration meets a contract of another
        part). On a big run a forked process takes part 1 (:meth:`_part_outcome`) while this one
        takes part 0, then merges its outcome (:meth:`_merge_part`). The links come out the same
        either way; the ambiguities the stage raises are put in registration order, as the order
        they were found in depends on the split."""
        before = len(self.ambiguous)
        if len(self.registrations) >= PARALLEL_STAGE_MIN_RECORDS and fork_is_safe():
            with Aside(lambda: self._part_outcome(stage, run, (1, 2))) as other:
                run((0, 2))
                self._merge_part(stage, other.result())
        else:
            run(None)
        self.ambiguous[before:] = sorted(self.ambiguous[before:], key=attrgetter("registration_id"))

    def _part_outcome(self, stage: int, run: Callable[[Part | None], None], part: Part) -> bytes:
        """``run`` over one part, in a forked process: what it changed, as bytes."""
        superseded_before, ambiguous_before, deferred_before, other_named_before = (
            len(self.superseded), len(self.ambiguous), len(self.deferred), len(self.other_named))
        run(part)
        contracts, registrations, methods, details_at = array("i"), array("i"), bytearray(), array("i")
        points, scores = array("b"), array("d")
        details: list[dict[str, Any]] = []
        numbered: dict[int, int] = {}  # id(details) -> its index in `details`: links share them
        for ci, linked_in in enumerate(self.holder_stage):
            if linked_in != stage:
                continue
            contracts.append(ci)
            registrations.append(self.holder[ci])
            points.append(self.holder_points[ci])
            methods.append(self.link_method[ci])
            scores.append(self.link_score[ci])
            mapping = self.link_details[ci]
            assert mapping is not None
            at = numbered.get(id(mapping))
            if at is None:
                at = numbered[id(mapping)] = len(details)
                details.append(dict(mapping))
            details_at.append(at)
        deferred = _portable(list(self.deferred.items())[deferred_before:])
        other_named = _portable(list(self.other_named.items())[other_named_before:])
        return marshal.dumps((
            contracts.tobytes(), registrations.tobytes(), points.tobytes(), bytes(methods), scores.tobytes(),
            details_at.tobytes(), details, deferred, other_named,
            [(a.registration_id, a.contract_ids, a.score) for a in self.ambiguous[ambiguous_before:]],
            list(self.superseded.items())[superseded_before:], bytes(self.settled), bytes(self.named),
        ))

    def _merge_part(self, stage: int, outcome: bytes) -> None:
        """Take in what :meth:`_part_outcome` did over the other part: its contracts and
        registrations are none of this process's, so nothing collides."""
        (contracts, registrations, points, methods, scores, details_at, details, deferred, other_named, ambiguous,
         superseded, settled, named) = marshal.loads(outcome)
        shared = [MappingProxyType(mapping) for mapping in details]
        for ci, ri, point, method, score, at in zip(
                array_from_bytes("i", contracts), array_from_bytes("i", registrations), array_from_bytes("b", points),
                methods, array_from_bytes("d", scores), array_from_bytes("i", details_at), strict=True):
            self.holder[ci], self.holder_stage[ci], self.holder_points[ci] = ri, stage, point
            self.link_method[ci], self.link_score[ci], self.link_details[ci] = method, score, shared[at]
        self.deferred.update(_restored(deferred))
        self.other_named.update(_restored(other_named))
        self.ambiguous.extend(Ambiguity(rid, tuple(cids), score) for rid, cids, score in ambiguous)
        self.superseded.update(superseded)
        _or_into(self.settled, settled)
        _or_into(self.named, named)

    def _by_number(self, part: Part | None) -> None:
        f = self.ev.f
        holder, settled = self.holder, self.settled
        # Contracts a human linked are out; a registration typing one of their numbers still names it.
        taken = ({f.contract_key(ci) for ci, held in enumerate(holder) if held != FREE} - {None}
                 if self.confirmed else set())
        # Per registration, the contract whose number has its key (or NONE / SEVERAL: one number in
        # several OPDs, those contracts in `several`), found by bisection over the contracts sorted by
        # key hash: a dictionary of a million keys would cost more than all the matcher's arrays together.
        found_at, several, exact = _same_keys(f, holder if self.confirmed else None,
                                              settled if self.confirmed else None, part)
        # How many registrations name each contract with a key of its own (0, 1, or 2 for "several").
        naming = bytearray(len(holder))
        for found in found_at:
            if found >= 0 and naming[found] < 2:
                naming[found] += 1
        # Registrations contesting a number (one number in several OPDs, or several registrations
        # naming one contract), by the first contract with that number: each group is assigned on its
        # own, as no other registration can want its contracts in this stage. A fifth of the
        # registrations can be contested; their candidates are assessed a group at a time, not all held.
        contested: dict[int, list[int]] = {}
        assess, forbidden_for = self.ev.assess, self.forbidden
        # The loop below runs a million times: what link() does is written out, with local names.
        holder_stage, holder_points = self.holder_stage, self.holder_points
        link_method, link_score, link_details, method_codes = (
            self.link_method, self.link_score, self.link_details, METHOD_CODES)
        explain = self.explain
        named = self.named
        r_hash = f.r_hash
        for ri, found in enumerate(found_at):
            if found == NONE:
                if taken and _in_part(r_hash[ri], part) and f.registration_key(ri) in taken:
                    named[ri] = 1
                continue
            named[ri] = 1
            forbidden = forbidden_for.get(ri, ()) if forbidden_for else ()
            if found >= 0 and naming[found] == 1 and found not in forbidden:
                # The only contract with this key: the typed number is it exactly, or a form of it.
                a = assess(found, ri, EXACT if exact[ri] else NORMALIZED)
                if a.contradictions:
                    weighed = self.ev.despite_vendor(found, ri, a)
                    if weighed is not None:
                        self.other_named[ri] = [(weighed.score, found, weighed)]
                    continue
                if not _value_agrees(a):
                    self.deferred[ri] = [(a.score, found, a)]
                    continue
                method, details, points = explain(a)
                holder[found], holder_stage[found], holder_points[found] = ri, 1, points
                link_method[found], link_score[found], link_details[found] = method_codes[method], a.score, details
                settled[ri] = 1
                continue
            contested.setdefault(several[ri][0] if found == SEVERAL else found, []).append(ri)
        for group in contested.values():
            self._contest(group, found_at, several)

    def _contest(self, group: list[int], found_at: array[int], several: dict[int, list[int]]) -> None:
        """Registrations naming the same number, which names several contracts (one per OPD) or one
        contract several of them name: the title joins the evidence, as a person would read it."""
        contested: dict[int, list[Candidate]] = {}
        f = self.ev.f
        contract_keys: dict[int, str | None] = {}  # the group's contracts meet every registration of it
        for ri in group:
            forbidden = self.forbidden.get(ri, ()) if self.forbidden else ()
            found = found_at[ri]
            candidates, other_named = [], []
            key = f.registration_key(ri)
            for ci in several[ri] if found == SEVERAL else (found,):
                if ci in forbidden:
                    continue
                if f.typed_exactly(ci, ri):
                    number = EXACT
                else:
                    ckey = contract_keys.get(ci, NOT_YET)
                    if ckey is NOT_YET:
                        ckey = contract_keys[ci] = f.contract_key(ci)
                    if ckey != key:  # two keys sharing a hash
                        continue
                    number = NORMALIZED
                a = self.ev.assess(ci, ri, number, with_title=True, discard_contradicted=True)
                if not a.contradictions:
                    candidates.append((a.score, ci, a))
                elif not candidates and self.ev.same_value(ci, ri):
                    full = self.ev.assess(ci, ri, number, with_title=True)
                    weighed = self.ev.despite_vendor(ci, ri, full)
                    if weighed is not None:
                        other_named.append((weighed.score, ci, weighed))
            agreeing = [candidate for candidate in candidates if _value_agrees(candidate[2])]
            if agreeing:
                contested[ri] = agreeing
            elif candidates:
                self.deferred[ri] = candidates
            elif other_named:
                self.other_named[ri] = other_named
        if contested:
            self.assign(1, contested)

    def by_number_despite_value(self) -> None:
        """Stage 4: a number match whose value disagrees (60-85%: under-declared, or another
        contract's number typed by mistake) is linked only if no other contract fitted better."""
        self.assign(4, self._still_free(self.deferred))

    def by_number_despite_vendor(self) -> None:
        """Stage 5: a number match contradicted only by who registered — a KSO's partner, the
        consortium under its own name, a firm lending its name — where the value is the contract's to
        the rupiah (see :func:`~monitor.matching.evidence.despite_vendor`), linked if no contract fitted
        better; two such contracts equally good are a human's."""
        self.assign(5, self._still_free(self.other_named))

    def by_value(self) -> None:
        """Stage 6: a registration still unlinked — its number blank or a typo of the contract's (one
        typed as another contract's number was weighed there), most often made under another name —
        linked by value to the rupiah, dates and title alone, only if exactly one free contract fits
        (:func:`~monitor.matching.evidence.fits_by_project`) and fits clearly better than the next
        candidate of that value; several fitting, or one not clearly better, are a human's."""
        f, ev = self.ev.f, self.ev
        pending = [ri for ri, settled in enumerate(self.settled) if not settled and f.r_value[ri] > 0]
        if not pending:
            return
        by_value: dict[int, list[int]] = {}
        for ci, held in enumerate(self.holder):
            if held == FREE:
                for value in {f.c_nilai[ci], f.c_nilai_awal[ci]}:
                    by_value.setdefault(value, []).append(ci)
        chosen: dict[int, list[Candidate]] = {}
        for ri in pending:
            value, forbidden = f.r_value[ri], self.forbidden.get(ri, ())
            near = {ci for v in range(value - VALUE_ROUNDING, value + VALUE_ROUNDING + 1) for ci in by_value.get(v, ())}
            candidates = sorted(
                ((a.score, ci, a) for ci in near - set(forbidden)
                 if (a := ev.assess(ci, ri, with_title=True)).number != DIFFERENT),
                key=itemgetter(0), reverse=True)
            fitting = [candidate for candidate in candidates if fits_by_project(candidate[2])]
            if not fitting:
                continue
            score, ci, a = fitting[0]
            rivals = fitting[1:] or [c for c in candidates if c[1] != ci and c[0] > score - CLEARLY_BETTER]
            if rivals:
                contract_ids = tuple(sorted(self.contract_ids[c] for c in (ci, *(c for _, c, _ in rivals))))
                self.ambiguous.append(Ambiguity(self.registration_ids[ri], contract_ids, score))
                self.settled[ri] = 1
                continue
            if a.contradictions:
                a = as_other_name(a)
            chosen[ri] = [(a.score, ci, a)]
        # One-to-one, as every stage: a registration made again (after a batal) supersedes the first.
        self.assign(6, chosen)

    def _waits(self, ri: int) -> bool:
        """Does registration ``ri`` wait for stage 5: its number and value to the rupiah name a contract
        still free, under another vendor's name? The NPWP and fuzzy stages then leave it alone: the
        NPWP or name it typed is the firm that registered for that contract, not a clue to the firm's
        own contracts."""
        found = self.other_named.get(ri)
        return found is not None and any(self.holder[ci] == FREE for _, ci, _ in found)

    def _still_free(self, found: dict[int, list[Candidate]]) -> dict[int, list[Candidate]]:
        """The candidates of registrations still unsettled, among contracts still free."""
        return {
            ri: free for ri, candidates in found.items()
            if not self.settled[ri] and (free := [c for c in candidates if self.holder[c[1]] == FREE])
        }

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
        """Stage 2. A registration only meets contracts of its own NPWP: the stage splits by NPWP
        (see :meth:`_in_two_parts`)."""
        self._in_two_parts(2, self._by_npwp)

    def _by_npwp(self, part: Part | None) -> None:
        f = self.ev.f
        pending = {ri: npwp for ri, npwp in enumerate(f.r_npwp)
                   if npwp and not self.settled[ri] and f.r_value[ri] > 0 and _in_part(_spread(npwp), part)
                   and not self._waits(ri)}
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
        """Stage 3. On a big run the candidates are looked for in two processes, each for half of
        the free contracts; either way they are assigned in registration and contract order."""
        pending = [ri for ri in range(len(self.registrations)) if not self.settled[ri] and not self._waits(ri)]
        free = [ci for ci in range(len(self.contracts)) if self.holder[ci] == FREE]
        if not pending or not free:
            return
        if len(self.registrations) >= PARALLEL_STAGE_MIN_RECORDS and fork_is_safe():

            def other_half() -> bytes:
                found = fuzzy_candidates(self.ev, pending, free, self.forbidden, lambda ci: _in_part(ci, (1, 2)))
                return marshal.dumps(_portable(found.items()))

            with Aside(other_half) as other:
                found = fuzzy_candidates(self.ev, pending, free, self.forbidden, lambda ci: _in_part(ci, (0, 2)))
                for ri, candidates in _restored(marshal.loads(other.result())):
                    found.setdefault(ri, []).extend(candidates)
        else:
            found = fuzzy_candidates(self.ev, pending, free, self.forbidden)
        ordered = {ri: sorted(found[ri], key=itemgetter(1)) for ri in sorted(found)}
        self.assign(3, self._without_other_numbers(ordered))


def _value_agrees(a: Assessment) -> bool:
    return a.value_ratio is None or a.value_ratio >= VALUE_AGREES


NOT_YET = "not yet computed"  # a marker no number key can be (keys are upper case, "/"-joined)
NONE, SEVERAL = -1, -2  # no contract has the registration's number key; several do (see _same_keys)


def _spread(key: int) -> int:
    """An integer key with its bits mixed (Fibonacci hashing), for keys whose low bits follow a
    pattern: NPWPs end in their branch code, 000 for most, so their parity is one part for all."""
    return (key * 0x9E3779B97F4A7C15) >> 32


def _in_part(key: int, part: Part | None) -> bool:
    """Is this key (a number key's hash, a spread NPWP) in ``part`` (all are when there is none)?"""
    return part is None or key % part[1] == part[0]


def _portable(found: Iterable[tuple[int, list[Candidate]]]) -> list[tuple[int, list[tuple[Any, ...]]]]:
    """Candidates per registration as plain tuples, for another process (see :func:`_restored`)."""
    return [(ri, [(score, ci, astuple(a)) for score, ci, a in candidates]) for ri, candidates in found]


def _restored(found: Iterable[tuple[int, list[tuple[Any, ...]]]]) -> Iterator[tuple[int, list[Candidate]]]:
    """Candidates made again from :func:`_portable`: never one of the evidence module's shared
    assessments (``explain()`` caches those by identity)."""
    for ri, candidates in found:
        yield ri, [(score, ci, replace(Assessment(*fields), shared=False)) for score, ci, fields in candidates]


def _or_into(flags: bytearray, other: bytes) -> None:
    """``flags[i] |= other[i]`` for every i (in C: as two big integers)."""
    size = len(flags)
    flags[:] = (int.from_bytes(flags, "little") | int.from_bytes(other, "little")).to_bytes(size, "little")


def _same_keys(
    f: Features, holder: array[int] | None, settled: bytearray | None, part: Part | None = None
) -> tuple[array[int], dict[int, list[int]], bytearray]:
    """Per registration, the index of the contract whose number has the key of the number it typed —
    or ``NONE``, or ``SEVERAL`` with those contracts listed by registration — leaving out contracts
    already held (``holder``) and registrations already settled; and whether it typed that number
    exactly as written. The contracts are sorted by key hash and each registration's hash looked up
    by bisection: an array of positions instead of a dictionary of a million keys.

    One contract with the hash: the number typed exactly as the contract's (most share its string,
    see :class:`monitor.check.context.Interner`) or a key compared equal. Several: one number in several
    OPDs, told apart by the evidence in the caller, which compares their keys (two different keys
    sharing a 64-bit hash are as good as never seen, and would only reach the caller's comparison).
    With ``part``, only the keys whose hash is in that part (the rest stay ``NONE``)."""
    c_hash, r_hash = f.c_hash, f.r_hash
    c_order = _by_hash(c_hash, None if holder is None else [held != FREE for held in holder], part)
    c_sorted = array("q", map(c_hash.__getitem__, c_order))
    found_at = array("i", [NONE]) * len(r_hash)
    exact = bytearray(len(r_hash))
    several: dict[int, list[int]] = {}
    groups: dict[int, list[int]] = {}
    c_number, r_number = f.c_number, f.r_number
    contract_key, registration_key = f.contract_key, f.registration_key
    end = len(c_sorted)
    for ri, h in enumerate(r_hash):
        if h == NO_KEY or (settled is not None and settled[ri]) or not _in_part(h, part):
            continue
        at = bisect_left(c_sorted, h)
        if at == end or c_sorted[at] != h:
            continue
        if at + 1 < end and c_sorted[at + 1] == h:
            group = groups.get(h)
            if group is None:
                group = groups[h] = sorted(c_order[at:bisect_right(c_sorted, h, at)])
            found_at[ri] = SEVERAL
            several[ri] = group
            continue
        ci = c_order[at]
        typed, number = r_number[ri], c_number[ci]
        if typed is number or typed.strip() == number.strip():
            found_at[ri], exact[ri] = ci, 1
        elif registration_key(ri) == contract_key(ci):
            found_at[ri] = ci
    return found_at, several, exact


def _by_hash(hashes: array[int], skip: Sequence[int | bool] | None, part: Part | None = None) -> array[int]:
    """The positions with a key (and not skipped; in ``part`` if given), sorted by their hash."""
    positions = range(len(hashes)) if part is None else [
        i for i, h in enumerate(hashes) if _in_part(h, part)]
    order = sorted(positions, key=hashes.__getitem__)
    # Positions without a key (NO_KEY) sort together: cut them out.
    del order[bisect_left(order, NO_KEY, key=hashes.__getitem__):bisect_right(order, NO_KEY, key=hashes.__getitem__)]
    if skip is not None:
        order = [i for i in order if not skip[i]]
    return array("i", order)



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
