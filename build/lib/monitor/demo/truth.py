"""``ground_truth.json``, written as the chunks stream by: each list goes to a spool file first,
so a million links never sit in memory, and the pieces are joined at the end.

Layout (one item per line, so a diff or ``grep`` works on it)::

    {"seed": 2026, "as_of": "2026-11-22", "fiscal_year": 2026, "contracts": 600,
     "links": [{"opd", "nomor_kontrak", "nomor_registrasi"}, ...],   true contract <-> registration pairs
     "orphans": [nomor_registrasi, ...],                              registrations of no contract/activity
     "superseded": [{"nomor_registrasi", "opd", "nomor_kontrak", "superseded_by"}, ...],
     "ambiguous": [{"nomor_registrasi", "opd", "nomor_kontrak"}, ...], true pairs no evidence can decide
     "kampung_links": [{"kode_kegiatan", "nomor_registrasi"}, ...],
     "scenarios": {subject: [label, ...]},                            what was planted, per subject
     "expected": {rule id: [subject, ...]},                           findings a correct engine reports
     "malformed": {kind: [{"line", "column", "reason"}]},
     "rows": {kind: good rows written}, "files": {kind: file name}, "counts": {label: n}}
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

LIST_SECTIONS = ("links", "orphans", "superseded", "ambiguous", "kampung_links")
def _quote(text: str) -> str:
    # The common case (no quote, backslash or control character) skips the JSON encoder.
    if '"' not in text and "\\" not in text and text.isprintable():
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)


def dump(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False)``, faster for the strings, flat dicts and lists of
    strings the truth is made of (a million-contract year writes millions of them)."""
    kind = type(value)
    if kind is str:
        return _quote(value)
    if kind is dict:
        return "{" + ", ".join(
            f"{_quote(k)}: {_quote(v) if type(v) is str else dump(v)}" for k, v in value.items()) + "}"
    if kind is list:
        return "[" + ", ".join(_quote(v) if type(v) is str else dump(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def truth_blocks(
    sections: Mapping[str, Iterable[Any]],
    scenarios: Iterable[tuple[str, list[str]]],
    expected: Iterable[tuple[str, str]],
) -> dict[str, tuple[str, int]]:
    """The JSON text of a piece of the truth, per spool: (items joined by ",\\n", how many)."""
    blocks: dict[str, tuple[str, int]] = {}

    def add(name: str, lines: list[str]) -> None:
        if lines:
            blocks[name] = (",\n".join(lines), len(lines))

    for section, items in sections.items():
        add(section, [dump(item) for item in items])
    add("scenarios", [f"{dump(subject)}: {dump(labels)}" for subject, labels in scenarios])
    by_rule: dict[str, list[str]] = {}
    for rule, subject in expected:
        by_rule.setdefault(rule, []).append(dump(subject))
    for rule, lines in by_rule.items():
        add(f"expected:{rule}", lines)
    return blocks


class TruthWriter:
    def __init__(self, path: Path, head: Mapping[str, Any], rules: Iterable[str]) -> None:
        self.path = path
        self.head = dict(head)
        self.rules = tuple(rules)
        self._spool_dir = Path(tempfile.mkdtemp(prefix=".truth-", dir=path.parent))
        self._spools: dict[str, IO[str]] = {}
        self._counts: dict[str, int] = {}

    def add(self, blocks: Mapping[str, tuple[str, int]]) -> None:
        for name, (text, count) in blocks.items():
            spool = self._spools.get(name)
            if spool is None:
                spool = self._spools[name] = (self._spool_dir / f"{len(self._spools)}.part").open(
                    "w+", encoding="utf-8")
            spool.write(",\n" if self._counts.get(name) else "\n")
            spool.write(text)
            self._counts[name] = self._counts.get(name, 0) + count

    def close(self, tail: Mapping[str, Any]) -> None:
        try:
            with self.path.open("w", encoding="utf-8") as out:
                out.write("{\n")
                for key, value in self.head.items():
                    out.write(f"{dump(key)}: {dump(value)},\n")
                for section in LIST_SECTIONS:
                    out.write(f"{dump(section)}: [")
                    self._copy(section, out)
                    out.write("\n],\n")
                out.write('"scenarios": {')
                self._copy("scenarios", out)
                out.write("\n},\n")
                out.write('"expected": {')
                for i, rule in enumerate(self.rules):
                    out.write(f"{',' if i else ''}\n{dump(rule)}: [")
                    self._copy(f"expected:{rule}", out)
                    out.write("\n]")
                out.write("\n}")
                for key, value in tail.items():
                    out.write(f",\n{dump(key)}: {json.dumps(value, ensure_ascii=False)}")
                out.write("\n}\n")
        finally:
            self.discard()

    def _copy(self, name: str, out: IO[str]) -> None:
        spool = self._spools.get(name)
        if spool is not None:
            spool.seek(0)
            shutil.copyfileobj(spool, out)

    def discard(self) -> None:
        for spool in self._spools.values():
            spool.close()
        self._spools = {}
        shutil.rmtree(self._spool_dir, ignore_errors=True)
