"""A contract whose end of works is not known yet (an SPSE contract whose SPMK has not arrived): checked
by the rules that do not need the end date, skipped by those that do; no message invents an end."""

from __future__ import annotations

from datetime import date

import pytest
from rule_fixtures import DEADLINE_DAY, context, contract, payment, registration, run, subjects

from checks import REGISTRY
from checks.jakon_coverage_gap import CoverageGap
from checks.jakon_premium_shortfall import PremiumShortfall
from checks.jakon_unregistered import Unregistered
from monitor.records import ContractState

UNKNOWN = "belum diketahui (SPMK belum diimpor)"
LATE = date(2026, 10, 15)  # after the end the contract would have had (30 September)
NEED_ONLY_DATE_AND_VALUE = ("jakon.unregistered", "jakon.late_registration", "jakon.payment_unregistered",
                            "jakon.premium_shortfall", "jakon.deadline_near", "data.ambiguous_match")


def open_ended(id: int = 1) -> ContractState:
    return contract(id, tanggal_selesai=None, tanggal_selesai_awal=None)


def test_every_rule_reading_contracts_declares_whether_it_needs_the_end_date() -> None:
    declared = {rule_id: rule.needs_end_date for rule_id, rule in REGISTRY.items() if "contracts" in rule.reads}
    assert declared == {**dict.fromkeys(NEED_ONLY_DATE_AND_VALUE, False), "jakon.coverage_gap": True}


@pytest.mark.parametrize("rule_id", sorted(r for r in REGISTRY if "contracts" in REGISTRY[r].reads))
def test_no_rule_trips_over_an_unknown_end(rule_id: str) -> None:
    contracts = [open_ended(1), open_ended(2), open_ended(3)]
    registrations = [registration(102, tanggal_daftar=date(2026, 5, 20), iuran_dibayar=100_000,
                                  masa_akhir=date(2026, 6, 30)),
                      registration(103, tanggal_daftar=date(2026, 3, 12), masa_akhir=date(2026, 6, 30))]
    payments = [payment(501, contract_id=1, tanggal_sp2d=date(2026, 5, 2))]
    for as_of in (date(2026, 4, 1), LATE):
        ctx = context(as_of, contracts=contracts, registrations=registrations, links=[(2, 102), (3, 103)],
                      payments=payments)
        run(REGISTRY[rule_id], ctx)


def test_an_unregistered_contract_without_its_end_is_reported_and_says_the_end_is_not_known() -> None:
    [finding] = run(Unregistered, context(LATE, contracts=[open_ended()]))
    assert finding.details["deadline"] == DEADLINE_DAY.isoformat() and finding.details["tanggal_selesai"] is None
    # Not known to have ended: the instalment rule stands (50% on registration).
    assert finding.details["minimum_payment"] == -(-finding.details["required"] // 2)
    assert f"lunas sebelum pekerjaan selesai (tanggal selesai {UNKNOWN})" in finding.details["tindakan"]


def test_coverage_gap_needs_the_end_and_skips_a_contract_without_it() -> None:
    short = [registration(101, masa_akhir=date(2026, 6, 30))]
    assert run(CoverageGap, context(date(2026, 5, 1), contracts=[open_ended()], registrations=short,
                                    links=[(1, 101)])) == []
    known = run(CoverageGap, context(date(2026, 5, 1), contracts=[contract(1)], registrations=short,
                                     links=[(1, 101)]))
    assert subjects(known) == ["PUPR|027/1/SPK-PUPR/III/2026"]


def test_a_premium_shortfall_without_the_end_is_judged_as_not_ended() -> None:
    required = 2_350_000  # the premium on Rp1.5 billion
    low = [registration(101, iuran_dibayar=required // 4)]
    [finding] = run(PremiumShortfall, context(LATE, contracts=[open_ended()], registrations=low, links=[(1, 101)]))
    assert finding.details["tanggal_selesai"] is None and "kurang dari 50%" in finding.title
    half = [registration(101, iuran_dibayar=required // 2)]
    assert run(PremiumShortfall, context(LATE, contracts=[open_ended()], registrations=half, links=[(1, 101)])) == []
    ended = run(PremiumShortfall, context(LATE, contracts=[contract(1)], registrations=half, links=[(1, 101)]))
    assert "setelah masa pelaksanaan berakhir" in ended[0].title
