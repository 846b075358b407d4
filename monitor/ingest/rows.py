"""One data row of a file -> one canonical record, or the reasons it cannot be one.

Records are lists in the order of :attr:`RowConverter.columns`, not dicts: a million rows go
through here, and the loader hands them to the driver as they are. Dates travel as ISO strings
(``2026-03-25``): they compare like dates, hash alike on every engine, SQLite stores dates as
exactly these strings and PostgreSQL's COPY reads them.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from monitor.ingest.kinds import Column, KindSpec
from monitor.ingest.values import DEFAULT_LIMITS, BadValue, ValueLimits, shortened, show
from monitor.regulation.wording import tanggal
from monitor.settings import Opd

Problem = tuple[str, str]  # (column label as in the file, message)
Record = list[Any]


def _opd_key(text: str) -> str:
    return " ".join(text.casefold().split())


class OpdDirectory:
    """Resolves what a file writes in its OPD column (code, name or alias, any case) to the
    directory code. Unknown text is kept as given and counted, so the batch can report it."""

    def __init__(self, opds: Iterable[Opd]) -> None:
        self._codes: dict[str, str] = {}
        for opd in opds:
            for label in (opd.code, opd.name, *opd.aliases):
                self._codes[_opd_key(label)] = opd.code
        self._cache: dict[str, tuple[str, bool]] = {}
        self.unknown: Counter[str] = Counter()

    def resolve(self, text: str) -> tuple[str, bool]:
        found = self._cache.get(text)
        if found is None:
            code = self._codes.get(_opd_key(text))
            found = (code, True) if code is not None else (text, False)
            if len(self._cache) < 10_000:
                self._cache[text] = found
        if not found[1]:
            self.unknown[text] += 1
        return found


def row_hash(values: Sequence[object]) -> str:
    """sha1 of the canonical values in table order (their ``repr``: str, int, bool, None and
    ``datetime.date`` print unambiguously): equal hashes mean nothing changed."""
    return hashlib.sha1(repr(values if type(values) is list else list(values)).encode("utf-8")).hexdigest()


def jsonable(value: object) -> object:
    if isinstance(value, str):
        return shortened(value)  # a rejected row is kept for review, not a pasted document
    if value is None or isinstance(value, int | float | bool):
        return value
    if isinstance(value, datetime | date):
        return show(value)
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


class _Memo(dict[object, Any]):
    """A parser's results by cell text. Looked up with the dict's own C-level ``__getitem__``, so
    a value seen before costs no Python call at all; only misses reach :meth:`__missing__`."""

    __slots__ = ("limit", "parse")

    def __init__(self, parse: Callable[[object], Any], limit: int) -> None:
        super().__init__()
        self.parse = parse
        self.limit = limit

    def __missing__(self, value: object) -> Any:
        result = self.parse(value)  # a BadValue propagates and nothing is kept
        # Only text is kept: 1, 1.0 and True are one dict key but may parse differently.
        if type(value) is str and len(self) < self.limit:
            self[value] = result
        return result


def _iso(parse: Callable[[object], date | None]) -> Callable[[object], str | None]:
    def run(value: object) -> str | None:
        parsed = parse(value)
        return None if parsed is None else parsed.isoformat()

    return run


def memoized(parse: Callable[[object], Any], limit: int = 4096) -> Callable[[object], Any]:
    """``parse`` remembering its results for text cells: dates, OPD names, places and enumerations
    repeat across a million rows. At most ``limit`` values are kept; errors never are."""
    return _Memo(parse, limit).__getitem__


def record_columns(spec: KindSpec, mapping: Mapping[str, int]) -> list[str]:
    """A record's fields: the columns the file has, then those it lacks (but not those ``kept_if_absent``:
    the stored value stays), then ``opd_known``."""
    present = [c.name for c in spec.columns if c.name in mapping]
    absent = [c.name for c in _absent(spec, mapping)]
    return present + absent + (["opd_known"] if spec.has_opd_known else [])


def _absent(spec: KindSpec, mapping: Mapping[str, int]) -> list[Column]:
    return [c for c in spec.columns if c.name not in mapping and not c.kept_if_absent]


class RowConverter:
    """Parses the cells of one row by the kind's column specs (built once per file).

    A record's fields are :attr:`columns`: first those the file has, then those it lacks (their
    defaults), then ``opd_known`` where the table has it.
    """

    def __init__(self, spec: KindSpec, mapping: dict[str, int], header: Sequence[str], directory: OpdDirectory,
                 limits: ValueLimits = DEFAULT_LIMITS):
        self.spec = spec
        self.header = list(header)
        self.width = len(header)
        self.directory = directory
        self.labels = {c.name: header[mapping[c.name]] if c.name in mapping else c.name for c in spec.columns}
        present = [c for c in spec.columns if c.name in mapping]
        absent = _absent(spec, mapping)
        self.columns = record_columns(spec, mapping)
        position = {name: i for i, name in enumerate(self.columns)}
        # Per present column: (cell index, parser). OPD text is parsed as text and resolved
        # against the directory once the row is valid.
        self._plan: list[tuple[int, Callable[[object], Any]]] = []
        for column in present:
            parse = spec.parser(replace(column, type="text") if column.type == "opd" else column, limits)
            if column.type == "date":
                parse = _iso(parse)
            if column.repeats:
                parse = memoized(parse)
            self._plan.append((mapping[column.name], parse))
        self._absent = [c.default for c in absent] + ([True] if spec.has_opd_known else [])
        required = [position[name] for name in spec.required]
        self._required = itemgetter(*required) if len(required) > 1 else (lambda v: (v[required[0]],))
        self._defaults = [(position[c.name], c.default) for c in present if c.default is not None]
        self._orders = [
            (position[o.later], position[o.earlier], self.labels[o.later], self.labels[o.earlier])
            for o in spec.orders
        ]
        self._opd = position.get("opd")
        self._opd_known = position.get("opd_known")
        self.identity = [position[name] for name in spec.identity]
        # The record's identity: one value, or a tuple of them.
        self.key: Callable[[Record], object] = itemgetter(*self.identity)

    def convert(self, cells: Sequence[object]) -> tuple[Record | None, list[Problem]]:
        if len(cells) < self.width:
            cells = [*cells, *([None] * (self.width - len(cells)))]
        try:
            values = [parse(cells[index]) for index, parse in self._plan]
        except BadValue:
            return None, self._problems(cells)
        values += self._absent
        if None in self._required(values):
            return None, self._problems(cells)
        for pos, default in self._defaults:
            if values[pos] is None:
                values[pos] = default
        for later, earlier, later_label, earlier_label in self._orders:
            end, start = values[later], values[earlier]
            if end is not None and start is not None and end < start:
                return None, [(later_label, (
                    f"{later_label} ({tanggal(date.fromisoformat(end))}) lebih awal dari "
                    f"{earlier_label} ({tanggal(date.fromisoformat(start))})"
                ))]
        if self._opd is not None and values[self._opd] is not None:
            code, known = self.directory.resolve(values[self._opd])
            values[self._opd] = code
            if self._opd_known is not None:
                values[self._opd_known] = known
        return values, []

    def _problems(self, cells: Sequence[object]) -> list[Problem]:
        """Every problem of a row that failed the fast path, column by column."""
        problems: list[Problem] = []
        required = set(self.spec.required)
        for name, (index, parse) in zip(self.columns, self._plan, strict=False):
            try:
                value = parse(cells[index])
            except BadValue as exc:
                problems.append((self.labels[name], str(exc)))
                continue
            if value is None and name in required:
                problems.append((self.labels[name], "kosong; kolom ini wajib diisi"))
        return problems

    def describe_key(self, record: Record) -> str:
        names = [self.columns[pos] for pos in self.identity]
        return ", ".join(f"{self.labels[name]} '{record[self.columns.index(name)]}'" for name in names)

    def raw(self, cells: Sequence[object]) -> dict[str, object]:
        """The row as the file has it, for the reject list."""
        out: dict[str, object] = {}
        for index, cell in enumerate(cells):
            label = self.header[index] if index < len(self.header) else f"kolom {index + 1}"
            out[label] = jsonable(cell)
        return out
