"""Candidate pairs for the fuzzy stage, found by blocking so the cost grows with the records, not
with their product: only pairs that share a block are ever compared.

Blocks:
- **number one edit away** — symmetric-delete keys of the normalized number (a key and each of its
  one-shorter forms), OPD-independent, so ``027/14/SPK`` finds ``028/14/SPK`` and ``27/14/SP``;
- **same value** — the registered value equals the contract's current or original value;
- **vendor and value band** — the normalized vendor name together with a ~10% band of value.
A registration with a mistyped vendor name, no usable number, no NPWP *and* a value that differs is
not found: nothing typed ties it to one contract, and it surfaces as ``data.orphan_registration``.
The smaller side is indexed and the larger one queried, so memory follows the smaller side.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

from rapidfuzz import fuzz, process

from monitor.matching.assignment import Candidate
from monitor.matching.evidence import VENDOR_CONTRADICTS, Evaluator, acceptable_by_fuzzy, ratio_of_values
from monitor.matching.features import NO_VENDOR
from monitor.matching.normalize import deletion_keys

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")

MIN_NEAR_KEY = 5  # shorter numbers ("10", "1/2") are one edit away from far too many others
VALUE_BLOCK_LIMIT = 30  # a bigger same-value block is narrowed by vendor name first
BAND = math.log(1.10)  # width of a value band
# Cheap filters before the full assessment.
MIN_VALUE_RATIO = 0.6
MIN_VENDOR = 70  # rapidfuzz's 0-100 scale


def fuzzy_candidates(
    ev: Evaluator, pending: Sequence[int], free: Sequence[int], forbidden: Mapping[int, set[int]],
    part: Callable[[int], bool] | None = None,
) -> dict[int, list[Candidate]]:
    """Acceptable (contract index) candidates per pending registration index; with ``part``, only
    those with a contract in it (the same candidates, whichever process finds them: a big same-value
    block is narrowed over every free contract before the part is taken)."""
    pairs: dict[int, set[int]] = {}
    mine = free if part is None else [ci for ci in free if part(ci)]
    _near_numbers(ev, pending, mine, pairs)
    _same_value(ev, pending, free, pairs, part)
    _vendor_bands(ev, pending, mine, pairs)
    f = ev.f
    found: dict[int, list[Candidate]] = {}
    for ri, contract_indices in pairs.items():
        blocked = forbidden.get(ri, ())
        r_vendor, r_npwp, r_value = f.registration_vendor(ri), f.r_npwp[ri], f.r_value[ri]
        candidates = []
        for ci in contract_indices:
            if ci in blocked:
                continue
            # Cheap filters first: most blocked pairs fail on value or name.
            ratio = ratio_of_values(f.c_nilai[ci], f.c_nilai_awal[ci], r_value)
            if ratio is not None and ratio < MIN_VALUE_RATIO:
                continue
            same_npwp = r_npwp and r_npwp == f.c_npwp[ci]
            if not same_npwp and (ev.contract_vendor_evidence(ci, r_vendor)[0] or 0.0) < VENDOR_CONTRADICTS:
                continue
            a = ev.assess(ci, ri, with_title=True, discard_contradicted=True)
            if acceptable_by_fuzzy(a):
                candidates.append((a.score, ci, a))
        if candidates:
            found[ri] = candidates
    return found


def _near_numbers(ev: Evaluator, pending: Sequence[int], free: Sequence[int], pairs: dict[int, set[int]]) -> None:
    f = ev.f
    registrations = [(ri, k) for ri in pending if (k := f.registration_key(ri)) is not None and len(k) >= MIN_NEAR_KEY]
    contracts = [(ci, k) for ci in free if (k := f.contract_key(ci)) is not None and len(k) >= MIN_NEAR_KEY]
    _join(registrations, contracts, _deletion_hashes, _deletion_hashes, pairs)


def _deletion_hashes(key: str) -> Iterator[int]:
    """The hashes of a number key's deletion keys (:func:`deletion_keys`): blocking only needs equal
    keys to meet — two keys sharing a hash merely add a pair the assessment then rejects — and an
    index of a million deletion keys costs half as much as integers as it does as strings."""
    return map(hash, deletion_keys(key))


def _same_value(
    ev: Evaluator, pending: Sequence[int], free: Sequence[int], pairs: dict[int, set[int]],
    part: Callable[[int], bool] | None = None,
) -> None:
    f = ev.f
    by_value: dict[int, list[int]] = {}
    for ci in free:
        by_value.setdefault(f.c_nilai[ci], []).append(ci)
        if f.c_nilai_awal[ci] != f.c_nilai[ci]:
            by_value.setdefault(f.c_nilai_awal[ci], []).append(ci)
    names = f.vendor_names
    for ri in pending:
        block = by_value.get(f.r_value[ri])
        if not block:
            continue
        if len(block) > VALUE_BLOCK_LIMIT:
            vendor = f.registration_vendor(ri)
            if vendor == NO_VENDOR:
                continue
            choices = [names[v] if (v := f.contract_vendor(ci)) != NO_VENDOR else "" for ci in block]
            block = [
                block[position]
                for scorer in (fuzz.ratio, fuzz.token_sort_ratio)
                for _, _, position in process.extract(
                    names[vendor], choices, scorer=scorer, score_cutoff=MIN_VENDOR, limit=VALUE_BLOCK_LIMIT
                )
            ]
        if part is not None:
            block = [ci for ci in block if part(ci)]
        if block:
            pairs.setdefault(ri, set()).update(block)


def _vendor_bands(ev: Evaluator, pending: Sequence[int], free: Sequence[int], pairs: dict[int, set[int]]) -> None:
    f = ev.f
    registrations = [
        (ri, (vendor, (f.r_value[ri],)))
        for ri in pending if (vendor := f.registration_vendor(ri)) != NO_VENDOR and f.r_value[ri] > 0
    ]
    contracts = [
        (ci, (vendor, (f.c_nilai[ci], f.c_nilai_awal[ci])))
        for ci in free if (vendor := f.contract_vendor(ci)) != NO_VENDOR
    ]

    def exact(record: tuple[int, tuple[int, ...]]) -> Iterable[tuple[int, int]]:
        vendor, values = record
        return {(vendor, _band(value)) for value in values if value > 0}

    def around(record: tuple[int, tuple[int, ...]]) -> Iterable[tuple[int, int]]:
        vendor, values = record
        return {(vendor, _band(value) + step) for value in values if value > 0 for step in (-1, 0, 1)}

    _join(registrations, contracts, exact, around, pairs)


def _band(value: int) -> int:
    return int(math.log(value) / BAND)


def _join(
    registrations: Sequence[tuple[int, R]],
    contracts: Sequence[tuple[int, R]],
    index_keys: Callable[[R], Iterable[K]],
    query_keys: Callable[[R], Iterable[K]],
    pairs: dict[int, set[int]],
) -> None:
    """Add every (registration, contract) pair sharing a key: the smaller side is indexed with
    ``index_keys``, the larger queried with ``query_keys``. Most keys (a number's one-shorter forms)
    belong to one record: the index holds that record's index itself, a list only for a shared key,
    which at a million records is a hundred megabytes less than a list per key."""
    if len(registrations) <= len(contracts):
        index = _index(registrations, index_keys)
        get = index.get
        for ci, record in contracts:
            for hit in map(get, query_keys(record)):  # millions of lookups: the loop over them in C
                if hit is None:
                    continue
                if isinstance(hit, int):
                    pairs.setdefault(hit, set()).add(ci)
                else:
                    for ri in hit:
                        pairs.setdefault(ri, set()).add(ci)
    else:
        index = _index(contracts, index_keys)
        get = index.get
        for ri, record in registrations:
            found = None
            for hit in map(get, query_keys(record)):
                if hit is not None:
                    if found is None:
                        found = pairs.setdefault(ri, set())
                    if isinstance(hit, int):
                        found.add(hit)
                    else:
                        found.update(hit)


def _index(records: Sequence[tuple[int, R]], keys: Callable[[R], Iterable[K]]) -> dict[K, int | list[int]]:
    """Key -> the index of the one record with it, or the indices of all of them, in order."""
    index: dict[K, int | list[int]] = {}
    get = index.get
    for i, record in records:
        for key in keys(record):
            found = get(key)
            if found is None:
                index[key] = i
            elif isinstance(found, int):
                index[key] = [found, i]
            else:
                found.append(i)
    return index
