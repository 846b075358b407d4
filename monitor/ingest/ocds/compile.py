"""Releases of one contracting process (``ocid``) compiled into one release, by OCDS 1.1's merge rules.

The releases are taken in ``date`` order (the file order between equal dates), and each one's fields
laid over the ones before (https://standard.open-contracting.org/1.1/en/schema/merging/):

- an object is merged field by field, recursively; a field given as ``null`` is removed;
- an array of objects that all have an ``id`` is merged by ``id`` (identifier merge): an object of a
  later release with the same ``id`` is merged into the earlier one, a new ``id`` is appended;
- any other array (of strings, or of objects without ``id``) replaces the earlier one whole;
- the release's own ``id``, ``date`` and ``tag`` are not merged (omitWhenMerged): the compiled release
  takes ``tag: ["compiled"]``, the latest ``date`` and ``id`` ``<ocid>-<date>``, as ``ocdsmerge`` does.

So a contract's value from a later amendment release supersedes the earlier one, and an
implementation release adds its transactions to the contract an earlier release told of.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

OMITTED = frozenset({"id", "date", "tag"})


def release_time(value: object) -> datetime | None:
    """A release's ``date`` as an aware datetime (a date alone is midnight UTC); ``None`` if unreadable."""
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _by_id(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and i.get("id") is not None for i in items)


def _merge_list(earlier: Any, later: list[Any]) -> list[Any]:
    if not (isinstance(earlier, list) and _by_id(earlier) and _by_id(later)):
        return later
    merged: dict[str, Any] = {str(item["id"]): item for item in earlier}
    for item in later:
        key = str(item["id"])
        merged[key] = _merge_object(merged[key], item) if key in merged else item
    return list(merged.values())


def _merge_object(earlier: Mapping[str, Any], later: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(earlier)
    for key, value in later.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict):
            before = merged.get(key)
            merged[key] = _merge_object(before if isinstance(before, dict) else {}, value)
        elif isinstance(value, list):
            merged[key] = _merge_list(merged.get(key), value)
        else:
            merged[key] = value
    return merged


def compile_releases(releases: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One compiled release from releases of one ``ocid`` (each with a readable ``date``), in any order."""
    ordered = sorted(enumerate(releases), key=lambda pair: (release_time(pair[1].get("date")), pair[0]))
    compiled: dict[str, Any] = {}
    for _, release in ordered:
        compiled = _merge_object(compiled, {k: v for k, v in release.items() if k not in OMITTED})
    latest = ordered[-1][1]
    return {"ocid": latest.get("ocid"), "id": f"{latest.get('ocid')}-{latest.get('date')}",
            "date": latest.get("date"), "tag": ["compiled"], **compiled}
