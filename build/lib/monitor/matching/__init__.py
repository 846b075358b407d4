"""Linking APBD contracts to the BPJS Jakon registrations contractors typed by hand.

The matcher (:func:`match`) is pure; :mod:`.decisions` keeps human decisions and :mod:`.store`
persists links in ``match_link``.
"""

from __future__ import annotations

from monitor.matching.decisions import Decision, DecisionError, load_decisions, record_decision
from monitor.matching.kampung import link_kampung
from monitor.matching.matcher import MatchResult, match
from monitor.matching.store import load_links, save_links

__all__ = [
    "Decision",
    "DecisionError",
    "MatchResult",
    "link_kampung",
    "load_decisions",
    "load_links",
    "match",
    "record_decision",
    "save_links",
]
