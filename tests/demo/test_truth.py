"""The ground truth's expected findings are exactly what the real rules report when they see the
true links: the truth is the rules' own reading of the planted cases, not a second opinion."""

from __future__ import annotations

from datetime import date

from monitor.demo import DemoYear, build_year
from tests.demo.rules_context import findings_by_rule, truth_context


def test_rules_on_the_true_links_report_exactly_the_expected_findings(seeded_year: DemoYear) -> None:
    found = findings_by_rule(truth_context(seeded_year))
    for rule, expected in seeded_year.truth["expected"].items():
        assert found.get(rule, set()) == set(expected), rule


def test_expected_findings_hold_for_another_demo_date() -> None:
    year = build_year(400, seed=3, as_of=date(2026, 6, 30))
    found = findings_by_rule(truth_context(year))
    for rule, expected in year.truth["expected"].items():
        assert found.get(rule, set()) == set(expected), rule
    assert year.truth["expected"]["agreement.expiring"]  # the PKS windows move with the demo date
