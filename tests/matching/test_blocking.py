"""The blocking join finds exactly the pairs that share a key, whichever side it indexes, and the
matcher's repeated-key finder finds exactly the keys that occur twice or more."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from monitor.matching.blocking import _join
from monitor.matching.normalize import deletion_keys


def _brute_force(registrations: list[tuple[int, str]], contracts: list[tuple[int, str]]) -> dict[int, set[int]]:
    pairs: dict[int, set[int]] = {}
    for (ri, rkey), (ci, ckey) in itertools.product(registrations, contracts):
        if set(deletion_keys(rkey)) & set(deletion_keys(ckey)):
            pairs.setdefault(ri, set()).add(ci)
    return pairs


def _keys(key: str) -> Iterable[str]:
    return deletion_keys(key)


def test_pairs_sharing_a_key_are_found_from_either_side() -> None:
    # Shared keys on both sides (27/14 in two OPDs, a registration typed twice), one-edit typos, strangers.
    contracts = [(0, "27/14/SPK"), (1, "27/14/SPK"), (2, "28/14/SPK"), (3, "99/1/BPKAD"), (4, "27/14/SP")]
    registrations = [(10, "27/14/SPK"), (11, "27/14/SPK"), (12, "27/4/SPK"), (13, "5/5/DINKES")]
    expected = _brute_force(registrations, contracts)
    assert expected[10] == {0, 1, 2, 4} and 13 not in expected

    indexed_registrations: dict[int, set[int]] = {}
    _join(registrations, contracts, _keys, _keys, indexed_registrations)  # fewer registrations: they are indexed
    indexed_contracts: dict[int, set[int]] = {}
    _join([*registrations, (14, "1/1/X"), (15, "2/2/Y")], contracts, _keys, _keys, indexed_contracts)

    assert indexed_registrations == expected
    assert {ri: found for ri, found in indexed_contracts.items() if ri < 14} == expected
