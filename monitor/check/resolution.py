"""Why findings were resolved, in words the monev meeting can read ("registrasi ditemukan: ...").

Each rule says what a resolution of it means (:meth:`checks.base.Rule.explain`), from the facts of
the run that resolves it (:class:`checks.facts.ResolutionFacts`, gathered once per batch for the
subjects being resolved). Where no fact is clear the reason is "tidak lagi terdeteksi pada
pemeriksaan <tanggal>", which is always true.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

from checks import REGISTRY
from checks.base import CheckContext, Rule
from checks.facts import ResolutionFacts
from monitor.regulation.wording import tanggal


def resolution_reasons(
    ctx: CheckContext, *, known_rules: Collection[str], enabled_rules: Collection[str],
    registry: Mapping[str, type[Rule]] = REGISTRY,
) -> Callable[[Sequence[tuple[str, str]]], list[str]]:
    """``reasons([(rule, subject), ...]) -> [reason, ...]`` for the findings a run resolves."""
    generic = f"tidak lagi terdeteksi pada pemeriksaan {tanggal(ctx.as_of)}"
    rules = {rule_id: registry[rule_id]() for rule_id in enabled_rules if rule_id in registry}

    def reasons(items: Sequence[tuple[str, str]]) -> list[str]:
        subjects: dict[str, set[str]] = {}
        for rule_id, subject in items:
            if rule_id in rules:
                subjects.setdefault(rules[rule_id].subject_kind, set()).add(subject)
        facts = ResolutionFacts.gather(ctx, subjects)
        found = []
        for rule_id, subject in items:
            if rule_id not in known_rules:
                found.append(f"aturan {rule_id} tidak lagi ada")
            elif rule_id not in enabled_rules:
                found.append(f"aturan {rule_id} dinonaktifkan dalam konfigurasi")
            else:
                rule = rules.get(rule_id)
                fact = None if rule is None else rule.explain(facts, subject)
                found.append(generic if fact is None else f"{fact}; {generic}")
        return found

    return reasons
