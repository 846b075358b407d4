"""Importing the data people actually have: CSV and Excel exports of contracts, addenda, BPJS
Jakon registrations, SP2D payments, MoU/PKS agreements and Kampung Bahagia activities.

Public API (the CLI and the daemon's inbox job use only these)::

    report = ingest_file(app, "contracts", Path("kontrak.xlsx"), sheet=None, progress=None)
    guess_kind(Path("export_jakon.xlsx"))  # -> "registrations" | ... | None (the name, else the header)
    kind_from_name("kontrak_maret.csv")      # -> "contracts" (the name's first word only)
    KINDS["contracts"].required               # the kind registry
    report = SOURCES["spse"].ingest(app, Path("kontrak.json"))  # the real sources: SPSE, OCDS

``ingest_file`` raises :class:`IngestError` when the file as a whole cannot be imported.
"""

from __future__ import annotations

from monitor.ingest.importer import guess_kind, ingest_file
from monitor.ingest.kinds import KINDS, KindSpec, kind_from_name
from monitor.ingest.report import ImportReport, IngestError, RowError
from monitor.ingest.sourcelist import SOURCES, Source

__all__ = ["KINDS", "SOURCES", "ImportReport", "IngestError", "KindSpec", "RowError", "Source", "guess_kind",
           "ingest_file", "kind_from_name"]
