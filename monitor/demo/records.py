"""The records a chunk is made of while it is generated, and the identifiers that must be unique
across the whole year (derived from a contract's serial, so chunks need not talk to each other)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from monitor.demo.names import Vendor
from monitor.demo.reference import OpdInfo

KINDS = ("contracts", "addenda", "registrations", "payments", "agreements", "kampung")
BRANCH = "0310"  # invented code of BPJS Ketenagakerjaan Kantor Cabang Jambi in project numbers
# Project numbers: contract registrations scramble serial*2+k over [0, 5M) so the number says
# nothing about the contract; other registrations have their own ranges above.
_SCRAMBLE, _CONTRACT_IDS = 2_654_437, 5_000_000
ORPHAN_IDS, MALFORMED_IDS, KAMPUNG_IDS, BOGUS_KAMPUNG_IDS = 6_000_000, 8_000_000, 9_000_000, 9_500_000


def project_number(year: int, unique: int) -> str:
    return f"{year % 100:02d}{BRANCH}{unique:07d}"


def contract_project_id(serial: int, k: int) -> int:
    return ((serial * 2 + k) * _SCRAMBLE) % _CONTRACT_IDS


class Reg:
    """A registration being generated, and how its contract number was (to be) retyped."""

    __slots__ = ("noise", "row")

    def __init__(self, row: dict[str, Any], noise: str = "exact") -> None:
        self.row = row
        self.noise = noise


class Job:
    """A contract being generated: its row and its state as of the demo date."""

    __slots__ = ("addenda", "ambiguous", "deadline", "end", "labels", "opd", "opd_key", "partner", "payments", "regs",
                 "row", "serial", "start", "value", "vendor")

    def __init__(self, serial: int, row: dict[str, Any], opd: OpdInfo | None, opd_key: str, vendor: Vendor,
                 deadline: date, value: int, end: date, start: date) -> None:
        self.serial = serial
        self.row = row
        self.opd = opd
        self.opd_key = opd_key  # the OPD as the subject names it: the directory code, or the text given
        self.vendor = vendor
        self.partner: Vendor | None = None  # the other member, when a consortium (KSO) won the contract
        self.deadline = deadline
        self.value = value  # current (after the latest addendum)
        self.end = end  # current (after the latest addendum)
        self.start = start
        self.addenda: list[dict[str, Any]] = []
        self.regs: list[Reg] = []
        self.payments: list[dict[str, Any]] = []
        self.labels: list[str] = []
        self.ambiguous = False

    @property
    def subject(self) -> str:
        return f"{self.opd_key}|{self.row['nomor_kontrak']}"


@dataclass
class Chunk:
    """Rows of every kind and the ground truth for one slice of the year."""

    index: int
    first_row: int = 0
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    malformed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    links: list[dict[str, str]] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    superseded: list[dict[str, str]] = field(default_factory=list)
    ambiguous: list[dict[str, Any]] = field(default_factory=list)
    kampung_links: list[dict[str, str]] = field(default_factory=list)
    scenarios: list[tuple[str, list[str]]] = field(default_factory=list)
    expected: list[tuple[str, str]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


