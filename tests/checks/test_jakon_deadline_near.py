from __future__ import annotations

from datetime import date
from typing import Any

from rule_fixtures import DEADLINE, DEADLINE_DAY, NEXT_WORKING_DAY, context, contract, registration, run, subjects

from checks.facts import ResolutionFacts
from checks.jakon_deadline_near import DeadlineNear
from checks.jakon_unregistered import Unregistered
from monitor.records import ContractState

# Signed 10 March 2026, deadline Tuesday 7 April 2026 (see rule_fixtures). Working days before it:
# Monday 6 April, then Thursday 2 April (Good Friday 3 April and the weekend skipped), Wednesday 1 April.
THREE_LEFT = date(2026, 4, 1)
FOUR_LEFT = date(2026, 3, 31)


def _near(as_of: date, *contracts: ContractState, **kwargs: Any) -> list[str]:
    return subjects(run(DeadlineNear, context(as_of, contracts=contracts or [contract(1)], **kwargs)))


def test_the_deadline_day_itself_is_near_and_says_today() -> None:
    [finding] = run(DeadlineNear, context(DEADLINE_DAY, contracts=[contract(1)]))
    assert finding.subject == "PUPR|027/1/SPK-PUPR/III/2026" and finding.opd == "PUPR"
    assert finding.severity == "medium"
    assert finding.amount_at_risk == 2_350_000  # the required premium on Rp1.500.000.000
    assert finding.title == (
        "Kontrak 027/1/SPK-PUPR/III/2026 belum didaftarkan ke BPJS Ketenagakerjaan: batas pendaftaran "
        "7 April 2026, hari ini"
    )
    assert finding.details["working_days_left"] == 0
    assert finding.details["deadline"] == "2026-04-07"
    assert (finding.details["required"], finding.details["minimum_payment"]) == (2_350_000, 1_175_000)
    assert "paling lambat 7 April 2026" in finding.details["tindakan"]
    assert "Rp1.175.000" in finding.details["tindakan"]


def test_the_window_counts_working_days_not_calendar_days() -> None:
    [finding] = run(DeadlineNear, context(THREE_LEFT, contracts=[contract(1)]))
    # 1 April → 7 April is six calendar days but three working days (2, 6 and 7 April).
    assert finding.details["working_days_left"] == 3
    assert finding.title.endswith("batas pendaftaran 7 April 2026, 3 hari kerja lagi")
    assert _near(date(2026, 4, 2)) == ["PUPR|027/1/SPK-PUPR/III/2026"]  # two left
    assert _near(FOUR_LEFT) == []  # the day before the window: four working days left


def test_the_day_after_the_deadline_is_jakon_unregistered_s_not_this_rule_s() -> None:
    assert _near(NEXT_WORKING_DAY) == []
    assert len(run(Unregistered, context(NEXT_WORKING_DAY, contracts=[contract(1)]))) == 1
    # On the deadline day itself the two rules hand over without a gap or an overlap.
    assert run(Unregistered, context(DEADLINE_DAY, contracts=[contract(1)])) == []


def test_across_the_idul_fitri_cuti_bersama_twelve_calendar_days_are_three_working_days() -> None:
    # Signed 26 February 2026: 14 working days end on Wednesday 25 March, after Nyepi and the Idul Fitri
    # holidays and cuti bersama of 18–24 March.
    signed = contract(1, tanggal_kontrak=date(2026, 2, 26))
    assert DEADLINE(signed) == date(2026, 3, 25)
    [finding] = run(DeadlineNear, context(date(2026, 3, 13), contracts=[signed]))
    assert finding.details["working_days_left"] == 3  # 16, 17 and 25 March
    assert _near(date(2026, 3, 12), signed) == []  # 12 March: four working days left


def test_a_registration_on_the_last_day_ends_the_warning() -> None:
    on_time = registration(101, tanggal_daftar=DEADLINE_DAY)
    links = [(1, 101)]
    # The day before it was made the contract was still unregistered; registered on the deadline day
    # it is protected on that day.
    assert _near(date(2026, 4, 6), registrations=[on_time], links=links) == ["PUPR|027/1/SPK-PUPR/III/2026"]
    assert _near(DEADLINE_DAY, registrations=[on_time], links=links) == []
    cancelled = registration(101, tanggal_daftar=date(2026, 4, 1), status="batal")
    assert _near(DEADLINE_DAY, registrations=[cancelled], links=links) == ["PUPR|027/1/SPK-PUPR/III/2026"]


def test_out_of_scope_contracts_are_not_warned_and_the_window_is_an_option() -> None:
    assert _near(DEADLINE_DAY, contract(1, sumber_dana="APBN"), contract(2, jenis_pekerjaan="barang")) == []
    config = {DeadlineNear.id: {"working_days": 4}}
    assert _near(FOUR_LEFT, config=config) == ["PUPR|027/1/SPK-PUPR/III/2026"]
    config = {DeadlineNear.id: {"working_days": 0}}
    assert _near(date(2026, 4, 6), config=config) == []
    assert _near(DEADLINE_DAY, config=config) == ["PUPR|027/1/SPK-PUPR/III/2026"]


def test_its_resolution_says_whether_the_contract_was_registered_or_the_deadline_passed() -> None:
    subject = contract(1).subject
    on_time = registration(101, tanggal_daftar=DEADLINE_DAY)
    ctx = context(DEADLINE_DAY, contracts=[contract(1)], registrations=[on_time], links=[(1, 101)])
    facts = ResolutionFacts.gather(ctx, {"contract": [subject]})
    assert DeadlineNear().explain(facts, subject) == "registrasi ditemukan: JK-2026-0000101 (didaftarkan 7 April 2026)"

    ctx = context(NEXT_WORKING_DAY, contracts=[contract(1)])
    facts = ResolutionFacts.gather(ctx, {"contract": [subject]})
    assert DeadlineNear().explain(facts, subject) == (
        "batas pendaftaran 7 April 2026 terlewat tanpa registrasi; kontrak kini dilaporkan sebagai "
        "jakon.unregistered"
    )
