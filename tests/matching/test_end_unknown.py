"""A contract whose end of works is not known yet (its SPMK has not arrived): the end is no evidence either
way, so a coverage period starting after the contract's start neither fits nor contradicts it by its end."""

from __future__ import annotations

from datetime import date

from monitor.matching.evidence import Evaluator
from monitor.matching.features import UNKNOWN_END, ContractSide

from .builders import contract, link_of, registration, run

LATE_COVER = {"masa_awal": date(2027, 6, 1), "masa_akhir": date(2027, 12, 31)}  # 244 days after 30 September


def test_an_unknown_end_measures_no_gap_where_a_known_end_contradicts() -> None:
    known = contract()
    unknown = contract("028/14/SPK-PUPR/III/2026", tanggal_selesai=None)
    late = registration(None, **LATE_COVER)
    evaluator = Evaluator([known, unknown], [late])
    by_known, by_unknown = evaluator.assess(0, 0), evaluator.assess(1, 0)
    assert "tanggal" in by_known.contradictions and by_known.date_gap == 244
    assert "tanggal" not in by_unknown.contradictions and by_unknown.date_gap == 0
    # Its start still counts: the cover starts long after the works did.
    assert by_unknown.start_diff == (date(2027, 6, 1) - date(2026, 3, 5)).days


def test_the_end_column_takes_the_known_end_and_marks_only_the_unknown() -> None:
    amended = contract("1/SPK", tanggal_selesai=date(2026, 12, 31))._replace(tanggal_selesai_awal=None)
    side = ContractSide.of([contract("2/SPK"), contract("3/SPK", tanggal_selesai=None), amended])
    assert list(side.end) == [date(2026, 9, 30).toordinal(), UNKNOWN_END, date(2026, 12, 31).toordinal()]


def test_a_contract_without_its_end_links_to_its_registration() -> None:
    c = contract(tanggal_selesai=None)
    r = registration()
    link = link_of(run([c], [r]), c)
    assert link is not None and link.registration_id == r.id and link.method == "exact"
