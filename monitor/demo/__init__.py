"""A realistic Kota Jambi fiscal year, with the ground truth of every hard case in it.

    year = build_year(contracts=600, seed=2026, as_of=date(2026, 11, 22))
    paths = write_year(year, Path("var/demo"))                 # the files people have + ground_truth.json
    paths = write_demo(Path("var/bench"), contracts=1_000_000)  # the same, streamed, in parallel

:class:`DemoYear` holds the rows as clean Python values (``date``, ``int``, ``str`` or ``None``)
after the clerks' noise is applied to the text (contract numbers, vendor names, NPWPs, titles) but
before file formatting, keyed by the canonical column names of each kind. ``truth`` is the ground
truth (layout in :mod:`monitor.demo.truth`): the true links, orphans, planted scenarios and the
findings a correct engine reports as of ``as_of``. The same seed always gives the same year.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from monitor.demo.output import TRUTH_FILE, Written, gc_paused, head, malformed_summary, write_rows, write_streaming
from monitor.demo.plan import CHUNK_CONTRACTS, chunk_plans, fiscal_year, year_context
from monitor.demo.records import KINDS
from monitor.demo.reference import kota_jambi
from monitor.demo.truth import LIST_SECTIONS
from monitor.demo.writer import FORMATS, Format
from monitor.demo.year import RULES, make_chunk

DEFAULT_CONTRACTS = 600
DEFAULT_SEED = 2026
DEFAULT_AS_OF = date(2026, 11, 22)
OPD_FILE = "opd.toml"

__all__ = [
    "DEFAULT_AS_OF", "DEFAULT_CONTRACTS", "DEFAULT_SEED", "FORMATS", "KINDS", "OPD_FILE", "RULES", "TRUTH_FILE",
    "DemoYear", "Written", "build_year", "fiscal_year", "opd_directory", "opd_directory_toml", "write_demo",
    "write_year",
]


@dataclass
class DemoYear:
    seed: int
    as_of: date
    fiscal_year: int
    contracts: list[dict[str, Any]] = field(default_factory=list)
    addenda: list[dict[str, Any]] = field(default_factory=list)
    registrations: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    agreements: list[dict[str, Any]] = field(default_factory=list)
    kampung: list[dict[str, Any]] = field(default_factory=list)
    # The directory of OPDs: code, name, aliases, email, cc (as the settings' [[opd]] tables).
    opds: list[dict[str, Any]] = field(default_factory=list)
    # Per kind: {"line", "column", "reason", "row"} for each row the import must reject; ``line``
    # counts the header as line 1 (ground_truth.json gives the line in the file as written).
    malformed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    truth: dict[str, Any] = field(default_factory=dict)

    def rows(self, kind: str) -> list[dict[str, Any]]:
        if kind not in KINDS:
            raise KeyError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        rows: list[dict[str, Any]] = getattr(self, kind)
        return rows

    def opd_code(self, label: str) -> str:
        """The directory code an OPD is written as (code, name or alias; any case), or ``label``
        itself for an OPD the directory lacks — as the import stores it."""
        return self._opd_codes.get(label.casefold().strip(), label)

    @cached_property
    def _opd_codes(self) -> dict[str, str]:
        return {text.casefold(): str(opd["code"]) for opd in self.opds
                for text in (opd["code"], opd["name"], *opd["aliases"])}


def opd_directory() -> list[dict[str, Any]]:
    """The Kota Jambi OPD directory, as ``[[opd]]`` tables."""
    return [opd.directory_entry() for opd in kota_jambi().opds]


def opd_directory_toml() -> str:
    """The directory as a TOML file for ``opd_file`` (config/opd.kota-jambi.toml is this text)."""
    lines = [
        "# The OPD directory of Kota Jambi (invented but plausible codes and addresses), written by",
        "# `pantau demo-data`. Each [[opd]] is one agency: `code` is what findings and reports use; the",
        "# import also recognizes the `name` and `aliases`; digests go to `email`, with `cc` copied.",
        "",
    ]
    for opd in opd_directory():
        lines.append("[[opd]]")
        lines.extend(f"{key} = {json.dumps(opd[key], ensure_ascii=False)}"
                     for key in ("code", "name", "aliases", "email", "cc"))
        lines.append("")
    return "\n".join(lines)


def build_year(contracts: int = DEFAULT_CONTRACTS, seed: int = DEFAULT_SEED, as_of: date = DEFAULT_AS_OF,
               noise: str = "normal") -> DemoYear:
    """The whole year in memory (fine up to some tens of thousands of contracts; for more, use
    :func:`write_demo`, which streams). ``noise``: see :class:`monitor.demo.plan.Noise`."""
    ctx = year_context(contracts, seed, as_of, noise)
    year = DemoYear(seed=seed, as_of=as_of, fiscal_year=ctx.year, opds=opd_directory())
    truth: dict[str, Any] = {**head(contracts, seed, as_of, ctx.year, noise), **{s: [] for s in LIST_SECTIONS},
                             "scenarios": {}, "expected": {rule: [] for rule in RULES}}
    counts: Counter[str] = Counter()
    with gc_paused():
        for plan in chunk_plans(ctx, CHUNK_CONTRACTS):
            chunk = make_chunk(ctx, plan)
            for kind in KINDS:
                year.rows(kind).extend(chunk.rows[kind])
            if chunk.malformed:
                year.malformed = chunk.malformed
            for section in LIST_SECTIONS:
                truth[section].extend(getattr(chunk, section))
            truth["scenarios"].update(chunk.scenarios)
            for rule, subject in chunk.expected:
                truth["expected"][rule].append(subject)
            counts.update(chunk.counts)
    truth["malformed"] = malformed_summary(year.malformed)
    truth["rows"] = {kind: len(year.rows(kind)) for kind in KINDS}
    truth["counts"] = dict(sorted(counts.items()))
    year.truth = truth
    return year


def write_year(year: DemoYear, out_dir: Path, fmt: Format = "auto") -> dict[str, Path]:
    """Write ``year``'s files, ``ground_truth.json`` and ``opd.toml`` into ``out_dir``.
    Returns kind -> path, plus ``"truth"`` and ``"opd"``."""
    return _with_directory(out_dir, write_rows(out_dir, year, fmt)).paths


def write_demo(out_dir: Path, contracts: int = DEFAULT_CONTRACTS, seed: int = DEFAULT_SEED,
               as_of: date = DEFAULT_AS_OF, fmt: Format = "auto", *, workers: int | None = None,
               chunk_size: int = CHUNK_CONTRACTS, noise: str = "normal") -> Written:
    """Generate and write a year chunk by chunk in constant memory, in parallel worker processes
    when every file is CSV (``workers``: default one per CPU, at most 4). The files are those of
    ``write_year(build_year(...))``; ``chunk_size`` changes how the year is cut, and so the year.
    Returns the paths (kind -> path, plus ``"truth"`` and ``"opd"``) and the summary."""
    return _with_directory(out_dir, write_streaming(out_dir, contracts, seed, as_of, fmt, workers=workers,
                                                    chunk_size=chunk_size, noise=noise))


def _with_directory(out_dir: Path, written: Written) -> Written:
    opd_path = out_dir / OPD_FILE
    opd_path.write_text(opd_directory_toml(), encoding="utf-8")
    written.paths["opd"] = opd_path
    return written

