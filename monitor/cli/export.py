"""Streaming JSON and CSV exports shared by ``pantau findings`` and ``pantau matches``."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from monitor.cells import neutralize_formula

__all__ = ["neutralize_formula", "write_csv", "write_json"]


def write_json(rows: Iterable[dict[str, Any]]) -> None:
    """A JSON list, streamed: a million rows need not fit in one string."""
    out = sys.stdout
    count = 0
    for row in rows:
        out.write(("[\n  " if count == 0 else ",\n  ") + json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "[]\n")


def write_csv(rows: Iterable[dict[str, Any]], fields: Sequence[str],
              encode: Callable[[str, Any], Any] = lambda _name, value: value) -> None:
    """CSV with a header; ``encode(field, value)`` turns structured values into text first. Text is
    typed by people (contract numbers, titles): none of it may run as a formula."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        cells = []
        for name in fields:
            value = encode(name, row[name])
            cells.append(neutralize_formula(value) if isinstance(value, str) else ("" if value is None else value))
        writer.writerow(cells)
