from __future__ import annotations

from datetime import date
from typing import Any

from rule_fixtures import context, contract, registration, run, subjects

from checks.base import CheckContext
from checks.jakon_premium_shortfall import PremiumShortfall

END = date(2026, 9, 30)
DURING = date(2026, 6, 1)
REQUIRED = 2_350_000  # on Rp 1.500.000.000


def _ctx(as_of: date, *paid: int, **contract_changes: Any) -> CheckContext:
    contracts = [contract(i, **contract_changes) for i in range(1, len(paid) + 1)]
    registrations = [registration(100 + i, iuran_dibayar=amount) for i, amount in enumerate(paid, start=1)]
    links = [(i, 100 + i) for i in range(1, len(paid) + 1)]
    return context(as_of, contracts=contracts, registrations=registrations, links=links)


def test_during_the_work_half_the_premium_is_enough() -> None:
    findings = run(PremiumShortfall, _ctx(DURING, REQUIRED // 2, REQUIRED // 2 - 1, 0, REQUIRED))
    assert subjects(findings) == ["PUPR|027/2/SPK-PUPR/III/2026", "PUPR|027/3/SPK-PUPR/III/2026"]


def test_exactly_half_of_an_odd_premium_is_judged_without_rounding() -> None:
    # Rp 1.875 owes Rp 5 (4.5 rounded up): 2 is below half, 3 is above; no rupiah is exactly half.
    findings = run(PremiumShortfall, _ctx(DURING, 2, 3, nilai=1875))
    assert subjects(findings) == ["PUPR|027/1/SPK-PUPR/III/2026"]
    assert findings[0].details["due_now"] == 1


def test_on_the_end_date_half_is_still_enough_and_the_day_after_all_is_due() -> None:
    half = REQUIRED // 2
    assert run(PremiumShortfall, _ctx(END, half)) == []
    [finding] = run(PremiumShortfall, _ctx(date(2026, 10, 1), half, REQUIRED))
    assert finding.subject == "PUPR|027/1/SPK-PUPR/III/2026"
    assert finding.amount_at_risk == REQUIRED - half
    assert finding.details["stage"] == "lunas"
    assert finding.title == (
        "Iuran Jakon kontrak 027/1/SPK-PUPR/III/2026 belum lunas setelah masa pelaksanaan berakhir "
        "30 September 2026: kurang Rp1.175.000"
    )


def test_the_finding_says_how_much_to_pay_now_and_by_when() -> None:
    [finding] = run(PremiumShortfall, _ctx(DURING, 1_000_000))
    assert finding.severity == "medium"
    assert finding.amount_at_risk == 1_350_000
    assert finding.title == (
        "Iuran Jakon kontrak 027/1/SPK-PUPR/III/2026 kurang dari 50%: dibayar Rp1.000.000 dari Rp2.350.000"
    )
    details = finding.details
    assert (details["required"], details["paid"], details["shortfall"], details["due_now"]) == (
        REQUIRED, 1_000_000, 1_350_000, 175_000,
    )
    assert details["stage"] == "cicilan_pertama"
    assert "minimal Rp175.000" in details["tindakan"]
    assert "sisa Rp1.350.000 sebelum 30 September 2026" in details["tindakan"]


def test_the_premium_follows_the_latest_addendum_and_asks_to_report_it() -> None:
    # Raised to Rp 2 miliar by addendum (premium Rp 2.950.000); BPJS still has Rp 1,5 miliar.
    ctx = context(
        date(2026, 10, 1),
        contracts=[contract(1, nilai=2_000_000_000, adendum="ADD-01", tanggal_selesai=date(2026, 9, 30))],
        registrations=[registration(101, iuran_dibayar=REQUIRED)],
        links=[(1, 101)],
    )
    [finding] = run(PremiumShortfall, ctx)
    assert finding.amount_at_risk == 2_950_000 - REQUIRED
    assert "laporkan adendum" in finding.details["tindakan"]
    assert "regulasi_adendum" in finding.details


def test_cancelled_registrations_and_unlinked_contracts_are_not_this_rule() -> None:
    ctx = context(
        DURING,
        contracts=[contract(1), contract(2)],
        registrations=[registration(101, iuran_dibayar=0, status="batal")],
        links=[(1, 101)],
    )
    assert run(PremiumShortfall, ctx) == []


def test_share_and_severity_are_configurable() -> None:
    config = {"jakon.premium_shortfall": {"first_instalment_percent": 100, "severity": "high"}}
    ctx = context(
        DURING, contracts=[contract(1)], registrations=[registration(101, iuran_dibayar=REQUIRED - 1)],
        links=[(1, 101)], config=config,
    )
    [finding] = run(PremiumShortfall, ctx)
    assert finding.severity == "high"
    assert finding.amount_at_risk == 1
