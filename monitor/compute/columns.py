"""Records held column by column: a million contracts in a few hundred megabytes.

A contract as a Python object costs its header, a pointer per field and an integer object per
number, about 250 bytes before its strings. Held as columns — a list per text or date field (the
values interned, see :class:`monitor.check.context.Interner`) and an ``array`` per number — it costs a
pointer or eight bytes per field. :class:`Table` is still a ``Sequence`` of the rules' named tuples
(:class:`~checks.base.ContractState`, :class:`~checks.base.RegistrationState`): each is made when a
rule looks at it and freed when the rule moves on. The matcher reads the columns themselves
(:func:`column`).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, ValuesView
from functools import partial
from operator import attrgetter
from typing import Any, Generic, NamedTuple, TypeVar, cast, overload

Row = TypeVar("Row", bound=NamedTuple)


Item = TypeVar("Item")


class MadeWhenLookedAt(Sequence[Item], Generic[Item]):
    """A sequence whose items are made from their position when looked at (see :class:`Table`): a
    subclass gives ``__len__`` and :meth:`item_at`, which takes negative positions as a list does."""

    def item_at(self, at: int) -> Item:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> Item: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Item]: ...
    def __getitem__(self, index: int | slice) -> Item | Sequence[Item]:
        if isinstance(index, slice):
            return [self.item_at(at) for at in range(*index.indices(len(self)))]
        return self.item_at(index)


class Table(MadeWhenLookedAt[Row], Generic[Row]):
    """Rows of the named tuple ``row``, stored as one column per field (in the tuple's order)."""

    def __init__(self, row: type[Row], columns: Sequence[Sequence[Any]]) -> None:
        if len(columns) != len(row._fields):
            raise ValueError(f"{row.__name__} has {len(row._fields)} fields, not {len(columns)}")
        if len({len(c) for c in columns}) > 1:
            raise ValueError("the columns differ in length")
        self.row = row
        self._columns = list(columns)
        self._by_name = dict(zip(row._fields, self._columns, strict=True))
        # tuple.__new__ through partial: a row is made in C, with no Python-level __init__ call.
        self._make: Callable[[Iterable[Any]], Row] = partial(tuple.__new__, row)
        self.row_at: Callable[[int], Row] = _row_getter(row, self._columns)
        # The same, None for a negative position (FREE in the matcher's arrays): one call, not two.
        self.row_at_or_none: Callable[[int], Row | None] = _row_getter(row, self._columns, none_below_zero=True)
        self.ids = self._by_name["id"]
        self._first_id = self.ids[0] if self.ids else 0
        # Loaded in id order: where the ids have no gaps a row's position is its id's offset.
        self._dense = bool(self.ids) and self.ids[-1] - self._first_id == len(self.ids) - 1

    @classmethod
    def of(cls, row: type[Row], rows: Iterable[Row]) -> Table[Row]:
        """A table of ``rows`` (sorted by id), for tests and small data."""
        ordered = sorted(rows, key=attrgetter("id"))
        return cls(row, [list(values) for values in zip(*ordered, strict=True)] if ordered
                   else [[] for _ in row._fields])

    def column(self, name: str) -> Sequence[Any]:
        return self._by_name[name]

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[Row]:
        return map(self._make, zip(*self._columns, strict=True))

    def item_at(self, at: int) -> Row:
        return self.row_at(at)

    def position(self, record_id: int) -> int | None:
        """The position of the row with this id, or ``None``."""
        if self._dense:
            at = record_id - self._first_id
            return at if 0 <= at < len(self.ids) else None
        at = bisect_left(self.ids, record_id)
        return at if at < len(self.ids) and self.ids[at] == record_id else None

    def by_id(self) -> ById[Row]:
        return ById(self)


class ById(Mapping[int, Row], Generic[Row]):
    """A table's rows by id, without a dictionary of them."""

    def __init__(self, table: Table[Row]) -> None:
        self.table = table

    def __getitem__(self, record_id: int) -> Row:
        at = self.table.position(record_id)
        if at is None:
            raise KeyError(record_id)
        return self.table.row_at(at)

    def get(self, record_id: int, default: Any = None) -> Any:
        at = self.table.position(record_id)
        return default if at is None else self.table.row_at(at)

    def __contains__(self, record_id: object) -> bool:
        return isinstance(record_id, int) and self.table.position(record_id) is not None

    def __iter__(self) -> Iterator[int]:
        return iter(self.table.ids)

    def __len__(self) -> int:
        return len(self.table)

    def values(self) -> ValuesView[Row]:
        return _Values(self)


class _Values(ValuesView[Row]):
    """The rows in table order, made straight from the columns."""

    _mapping: ById[Row] | ByKey[Row]

    def __iter__(self) -> Iterator[Row]:
        return iter(self._mapping.table)


class ByKey(Mapping[str, Row], Generic[Row]):
    """A table's rows by a unique text column (e.g. ``nomor_registrasi``), through the positions
    sorted by that column: four bytes a row instead of a dictionary entry, and made on first use."""

    def __init__(self, table: Table[Row], name: str) -> None:
        self.table = table
        self._keys = table.column(name)
        self._order: array[int] | None = None

    def _sorted(self) -> array[int]:
        if self._order is None:
            self._order = array("i", sorted(range(len(self._keys)), key=self._keys.__getitem__))
        return self._order

    def _position(self, key: object) -> int | None:
        if not isinstance(key, str):
            return None
        order = self._sorted()
        keys = self._keys
        at = bisect_left(order, key, key=keys.__getitem__)
        return order[at] if at < len(order) and keys[order[at]] == key else None

    def __getitem__(self, key: str) -> Row:
        at = self._position(key)
        if at is None:
            raise KeyError(key)
        return self.table[at]

    def get(self, key: str, default: Any = None) -> Any:
        at = self._position(key)
        return default if at is None else self.table[at]

    def __contains__(self, key: object) -> bool:
        return self._position(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def values(self) -> ValuesView[Row]:
        return _Values(self)


def _row_getter(
    row: type[Row], columns: Sequence[Sequence[Any]], none_below_zero: bool = False
) -> Callable[[int], Any]:
    """``lambda i: row(columns[0][i], columns[1][i], ...)`` written out for this table's columns (with
    ``none_below_zero``, ``None`` for a negative ``i`` instead of counting from the end): one
    tuple display instead of a loop over the columns, a third faster (rules look rows up by id
    millions of times). The code is generated from the field count only, like ``namedtuple``'s."""
    names = [f"c{n}" for n in range(len(columns))]
    scope: dict[str, Any] = dict(zip(names, columns, strict=True))
    scope.update(new=tuple.__new__, row=row)
    items = "".join(f"{name}[i], " for name in names)
    guard = "    if i < 0:\n        return None\n" if none_below_zero else ""
    exec(f"def row_at(i):\n{guard}    return new(row, ({items}))", scope)
    return cast(Callable[[int], Any], scope["row_at"])


def column(records: Sequence[Any], name: str) -> Sequence[Any]:
    """One field of every record: the column itself for a :class:`Table`, else gathered."""
    if isinstance(records, Table):
        return records.column(name)
    return list(map(attrgetter(name), records))


def int_column(values: Iterable[int] = ()) -> array[int]:
    return array("q", values)


def array_from_bytes(typecode: str, data: bytes) -> array[Any]:
    """An array of ``typecode`` from the bytes of one (``array.tobytes``): how arrays come back from
    a forked process."""
    values: array[Any] = array(typecode)
    values.frombytes(data)
    return values
