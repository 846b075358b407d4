"""Cells for spreadsheets people open: text that a spreadsheet must not run as a formula."""

from __future__ import annotations

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection): text starting with
    = + - @ tab or CR gets a leading apostrophe."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
