"""SPSE (LKPP): each stage of a procurement as its own dataset, joined into contracts
(:func:`monitor.ingest.spse.importer.ingest_spse`)."""
