"""OCDS 1.1 (Open Contracting Data Standard): release packages, record packages and JSON Lines of
releases, mapped to contracts, addenda and SP2D payments (:func:`monitor.ingest.ocds.importer.ingest_ocds`)."""
