"""The fields the matcher compares, normalized once per record and kept in flat arrays.

At a million records the cost of matching is memory traffic, not arithmetic: touching a contract
object for each of its fields is a cache miss each time. So each side is read once, in order, and
every later comparison reads small contiguous arrays (an NPWP as an integer, values in rupiah, dates
as day ordinals). Vendor names are normalized only when a comparison needs one (an NPWP missing),
into the id of the normalized name; a consortium's members' normalized names
(:mod:`monitor.matching.consortium`) are read once per id, when two names do not agree whole. Where
the source names a contract's members (SPSE's ``anggota_kso``: a few contracts), they are that
contract's in addition to those its vendor's name gives (:meth:`Features.contract_members`).
"""

from __future__ import annotations

import marshal
from array import array
from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

from monitor.compute.columns import array_from_bytes, column
from monitor.compute.processes import FORK_MIN_RECORDS, Aside
from monitor.matching.consortium import is_consortium, members
from monitor.matching.normalize import contract_number_key, npwp_key, vendor_key
from monitor.records import ContractState, RegistrationState

NO_VENDOR = -1  # a vendor name with nothing left after normalization
# Every consortium mark (monitor.matching.consortium) holds one of these once spaces and dots are out.
_CONSORTIUM_HINTS = ("KSO", "JO", "KONSORSIUM", "KERJASAMA")
NO_NPWP = 0
_UNSET = -2  # vendor id not looked up yet
NO_KEY = -1  # the hash of a blank contract number (no str hashes to -1)
# The end of works of a contract whose end is not known yet (its SPMK has not arrived): after every
# coverage period, so no gap is measured from it — no evidence either way.
UNKNOWN_END = date.max.toordinal()
# From this many registrations their numbers' keys are hashed in a forked process (monitor.compute.processes.Aside).
HASH_ASIDE_MIN_RECORDS = FORK_MIN_RECORDS


class ContractSide(NamedTuple):
    """The contracts' arrays (see :class:`Features`): computed from the contracts alone, so a check
    run has them computed aside while it loads the registrations (:meth:`aside`)."""

    hash: array[int]
    npwp: array[int]
    signed: array[int]
    start: array[int]
    end: array[int]

    @classmethod
    def of(cls, contracts: Sequence[ContractState]) -> ContractSide:
        # Day ordinals: contract signed, work starts (SPMK, else signed), work ends (the later of the
        # original and current end: coverage may follow either; UNKNOWN_END where neither is known).
        signed = _ordinals(contracts, "tanggal_kontrak")
        return cls(
            hash=array("q", map(_key_hash, column(contracts, "nomor_kontrak"))),
            npwp=_npwps(column(contracts, "npwp_penyedia"), {}),
            signed=signed,
            start=array("i", [signed_on if mulai is None else mulai.toordinal()
                              for mulai, signed_on in zip(column(contracts, "tanggal_mulai"), signed, strict=True)]),
            end=_ends(contracts),
        )

    @classmethod
    def aside(cls, contracts: Sequence[ContractState]) -> Aside:
        """Start computing the contract side in a forked process (on a big run, where forking is
        safe: :class:`monitor.compute.processes.Aside`); :meth:`from_bytes` of its result is the side."""
        return Aside(lambda: marshal.dumps([values.tobytes() for values in cls.of(contracts)]),
                     wanted=len(contracts) >= HASH_ASIDE_MIN_RECORDS)

    @classmethod
    def from_bytes(cls, data: bytes) -> ContractSide:
        return cls(*(array_from_bytes(typecode, values) for typecode, values in zip("qqiii", marshal.loads(data),
                                                                                 strict=True)))


class Features:
    def __init__(self, contracts: Sequence[ContractState], registrations: Sequence[RegistrationState],
                 contract_side: ContractSide | None = None) -> None:
        self.vendor_names: list[str] = []  # vendor id -> normalized name
        self._vendor_raw: list[str] = []  # vendor id -> the first raw name seen with it
        # Vendor id -> its members' normalized names if it is a consortium, () for a single firm: read
        # when first needed (names that agree whole never need it).
        self._vendor_members: dict[int, tuple[str, ...]] = {}
        self._vendor_ids: dict[str, int] = {}
        self._raw_vendor: dict[str, int] = {}
        self._c_penyedia = column(contracts, "penyedia")
        self._c_anggota = column(contracts, "anggota_kso")
        self._c_members: dict[int, tuple[str, ...]] = {}  # contract index -> its known members' names
        self._r_penyedia = column(registrations, "penyedia")
        self._c_vendor = array("i", [_UNSET]) * len(contracts)
        self._r_vendor = array("i", [_UNSET]) * len(registrations)

        # One pass per column (a table's own column, see monitor.compute.columns): the loops run in C, which at
        # a million records is several times faster than a Python loop filling every column at once.
        # Contract numbers are compared by their keys (contract_number_key); a key is held as its hash,
        # eight bytes where the key itself is a string of seventy, and made again for the few pairs
        # that need it (contract_key, registration_key).
        self.c_number = column(contracts, "nomor_kontrak")
        self.r_number = column(registrations, "nomor_kontrak")
        # Two million keys: the registrations' are hashed by a forked process meanwhile (on a big run),
        # while this one makes the contract side (unless the caller made it aside already).
        r_number = self.r_number
        with Aside(lambda: array("q", map(_key_hash, r_number)).tobytes(),
                   wanted=len(registrations) >= HASH_ASIDE_MIN_RECORDS) as r_hashes:
            side = ContractSide.of(contracts) if contract_side is None else contract_side
            self.r_npwp = _npwps(column(registrations, "npwp_penyedia"), {})
            self.r_value = _column("q", column(registrations, "nilai_kontrak_terdaftar"))
            self.r_daftar = _ordinals(registrations, "tanggal_daftar")
            self.r_masa_awal = _ordinals(registrations, "masa_awal")
            self.r_masa_akhir = _ordinals(registrations, "masa_akhir")
            self.r_hash = array_from_bytes("q", r_hashes.result())
        self.c_hash, self.c_npwp, self.c_signed, self.c_start, self.c_end = side
        self.c_nilai = _column("q", column(contracts, "nilai"))
        self.c_nilai_awal = _column("q", column(contracts, "nilai_awal"))

    def contract_key(self, ci: int) -> str | None:
        """The key of contract ``ci``'s number (``None`` when blank)."""
        return contract_number_key(self.c_number[ci])

    def registration_key(self, ri: int) -> str | None:
        """The key of the contract number registration ``ri`` typed (``None`` when blank)."""
        return contract_number_key(self.r_number[ri])

    def typed_exactly(self, ci: int, ri: int) -> bool:
        """Did registration ``ri`` type contract ``ci``'s number exactly as written (spaces aside)?"""
        typed = self.r_number[ri]
        return typed is not None and typed.strip() == self.c_number[ci].strip()

    def contract_vendor(self, ci: int) -> int:
        """The vendor id of contract ``ci``. Looked up when first needed: with an NPWP on both sides
        the name is never compared, so most are never needed."""
        found = self._c_vendor[ci]
        if found == _UNSET:
            found = self._c_vendor[ci] = self.vendor(self._c_penyedia[ci])
        return found

    def registration_vendor(self, ri: int) -> int:
        found = self._r_vendor[ri]
        if found == _UNSET:
            found = self._r_vendor[ri] = self.vendor(self._r_penyedia[ri])
        return found

    def vendor(self, raw: str) -> int:
        """The id of a raw vendor name's normalized form (cached by the raw text: names repeat)."""
        found = self._raw_vendor.get(raw)
        if found is None:
            key = vendor_key(raw)
            if not key:
                found = NO_VENDOR
            else:
                found = self._vendor_ids.get(key)
                if found is None:
                    found = self._vendor_ids[key] = len(self.vendor_names)
                    self.vendor_names.append(key)
                    self._vendor_raw.append(raw)
            self._raw_vendor[raw] = found
        return found

    def vendor_members(self, vendor: int) -> tuple[str, ...]:
        """The normalized names of a consortium vendor id's members, ``()`` for a single firm. Read from
        the first raw name of that id: a consortium's name keeps its mark in every spelling of it, and
        a firm's name that normalizes like a consortium's is not met."""
        found = self._vendor_members.get(vendor)
        if found is None:
            found = self._vendor_members[vendor] = member_keys(self._vendor_raw[vendor])
        return found

    def contract_members(self, ci: int) -> tuple[str, ...] | None:
        """The normalized names of contract ``ci``'s members where its source names them: those of
        ``anggota_kso`` with those of its vendor's name (:meth:`vendor_members`); ``None`` where the
        source names none (the vendor's own members are then all there is)."""
        if not self._c_anggota[ci]:
            return None
        found = self._c_members.get(ci)
        if found is None:
            named = (key for member in self._c_anggota[ci] if (key := vendor_key(member)))
            vendor = self.contract_vendor(ci)
            own = self.vendor_members(vendor) if vendor != NO_VENDOR else ()
            found = self._c_members[ci] = tuple(dict.fromkeys((*own, *named)))
        return found


def member_keys(raw: str) -> tuple[str, ...]:
    """The normalized names of a consortium's members (``KSO PT. Karya Abadi - CV. Mitra Jaya``:
    ``KARYA ABADI``, ``MITRA JAYA``); ``()`` for a name that is not a consortium's. Most names hold
    no consortium mark even with dots and spaces taken out (``K.S.O.``, ``J O``, ``Kerja Sama``):
    those skip the parser's expressions, a million names a run."""
    squeezed = "".join(raw.upper().split()).replace(".", "")
    if not any(mark in squeezed for mark in _CONSORTIUM_HINTS) or not is_consortium(raw):
        return ()
    return tuple(key for member in members(raw) if (key := vendor_key(member)))



def _npwps(raws: Sequence[str | None], known: dict[str | None, int]) -> array[int]:
    """Each NPWP as an integer (see :func:`~monitor.matching.normalize.npwp_key`), 0 when missing;
    ``known`` caches them by the raw text."""
    for raw in set(raws) - known.keys():
        key = npwp_key(raw)
        known[raw] = NO_NPWP if key is None else int(key)
    return _column("q", map(known.__getitem__, raws))


def _key_hash(number: str | None) -> int:
    """The hash of a contract number's key, ``NO_KEY`` when it has none. Python's string hash: the
    same key gives the same hash within a process (and its forks), and a string's hash is never -1."""
    key = contract_number_key(number)
    return NO_KEY if key is None else hash(key)


def _ordinals(records: Sequence[object], name: str) -> array[int]:
    return _column("i", map(date.toordinal, column(records, name)))


def _ends(contracts: Sequence[ContractState]) -> array[int]:
    """Each contract's later end (original or current), ``UNKNOWN_END`` where neither is known. The
    usual run, every end known, stays on the C-speed path: the None tests run only when one is missing."""
    current, original = column(contracts, "tanggal_selesai"), column(contracts, "tanggal_selesai_awal")
    if None not in current and None not in original:
        return _column("i", map(max, _ordinals(contracts, "tanggal_selesai"),
                                _ordinals(contracts, "tanggal_selesai_awal")))
    return array("i", [UNKNOWN_END if a is None and b is None else max(d for d in (a, b) if d is not None).toordinal()
                       for a, b in zip(current, original, strict=True)])


def _column(typecode: str, values: Iterable[int]) -> array[int]:
    if isinstance(values, array) and values.typecode == typecode:
        return values  # a table's own column: shared, never written to
    # array() fills itself from a list several times faster than from an iterator.
    return array(typecode, values if isinstance(values, list | array) else list(values))
