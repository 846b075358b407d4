"""The real sources, beside the kinds of file (:data:`monitor.ingest.kinds.KINDS`): each imports a whole
procurement chain (contracts, and what the source has of addenda and payments) in its own shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from monitor.bootstrap import App
from monitor.ingest.ocds.importer import ingest_ocds
from monitor.ingest.report import ImportReport
from monitor.ingest.spse.importer import ingest_spse


@dataclass(frozen=True)
class Source:
    name: str
    title: str  # Indonesian, for messages
    ingest: Callable[[App, Path], ImportReport]


SOURCES: dict[str, Source] = {
    source.name: source for source in (
        Source("spse", "SPSE (ISB/INAPROC)", ingest_spse),
        Source("ocds", "OCDS", ingest_ocds),
    )
}
