"""Working days and the registration deadline, on the real ``holidays`` data for Indonesia."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest

from monitor.records import ContractState
from monitor.regulation.workdays import WorkingCalendar, deadline_function, registration_deadline
from monitor.settings import CalendarSettings, DeadlineSettings, SettingsError, load_settings

CONTRACT = ContractState(
    id=1, opd="PUPR", opd_known=True, nomor_kontrak="027/14/SPK-PUPR/III/2026", nama_paket="Drainase",
    penyedia="PT Karya Abadi", npwp_penyedia=None, tanggal_kontrak=date(2026, 3, 10),
    tanggal_mulai=date(2026, 3, 16), nilai_awal=1_500_000_000, nilai=1_500_000_000,
    tanggal_selesai_awal=date(2026, 9, 30), tanggal_selesai=date(2026, 9, 30),
)


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def test_the_package_lists_idul_fitri_2026_with_its_cuti_bersama(calendar: WorkingCalendar) -> None:
    # 18–24 March 2026: Nyepi and its cuti bersama, Idul Fitri (21–22) and its cuti bersama.
    for day in range(18, 25):
        assert not calendar.is_working_day(date(2026, 3, day)), day
    assert calendar.holiday_name(date(2026, 3, 23)) == "Cuti Bersama Hari Raya Idul Fitri"
    assert calendar.is_working_day(date(2026, 3, 17))
    assert calendar.is_working_day(date(2026, 3, 25))


def test_weekends_are_not_working_days(calendar: WorkingCalendar) -> None:
    assert calendar.is_working_day(date(2026, 3, 13))  # Friday
    assert not calendar.is_working_day(date(2026, 3, 14))  # Saturday
    assert not calendar.is_working_day(date(2026, 3, 15))  # Sunday
    assert calendar.is_working_day(date(2026, 3, 16))  # Monday


def test_fourteen_working_days_across_idul_fitri_and_good_friday(calendar: WorkingCalendar) -> None:
    counted = [
        date(2026, 3, 11), date(2026, 3, 12), date(2026, 3, 13), date(2026, 3, 16), date(2026, 3, 17),
        # 18–24 March off (cuti bersama, Nyepi, Idul Fitri, weekend)
        date(2026, 3, 25), date(2026, 3, 26), date(2026, 3, 27), date(2026, 3, 30), date(2026, 3, 31),
        date(2026, 4, 1), date(2026, 4, 2),
        # 3 April Good Friday, 4–5 April weekend
        date(2026, 4, 6), date(2026, 4, 7),
    ]
    start = date(2026, 3, 10)
    for n, day in enumerate(counted, start=1):
        assert calendar.add_working_days(start, n) == day
    assert calendar.add_working_days(start, 14) == date(2026, 4, 7)


def test_day_one_is_the_first_working_day_after_the_start_whatever_the_start_is(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(date(2026, 3, 13), 1) == date(2026, 3, 16)  # from a Friday
    assert calendar.add_working_days(date(2026, 3, 14), 1) == date(2026, 3, 16)  # from a Saturday
    assert calendar.add_working_days(date(2026, 3, 21), 1) == date(2026, 3, 25)  # from Idul Fitri itself
    assert calendar.add_working_days(date(2026, 3, 14), 0) == date(2026, 3, 14)
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2026, 3, 14), -1)


def test_the_count_crosses_the_new_year(calendar: WorkingCalendar) -> None:
    # 25–26 Dec 2025 (Natal and its cuti bersama) and 1 Jan 2026 are off.
    assert calendar.add_working_days(date(2025, 12, 23), 1) == date(2025, 12, 24)
    assert calendar.add_working_days(date(2025, 12, 23), 2) == date(2025, 12, 29)
    assert calendar.add_working_days(date(2025, 12, 23), 4) == date(2025, 12, 31)
    assert calendar.add_working_days(date(2025, 12, 23), 5) == date(2026, 1, 2)


def test_working_days_between_counts_the_days_after_the_first_up_to_the_second(calendar: WorkingCalendar) -> None:
    start = date(2026, 3, 10)
    for n in range(0, 40):
        assert calendar.working_days_between(start, calendar.add_working_days(start, n)) == n
    assert calendar.working_days_between(date(2026, 4, 7), date(2026, 3, 10)) == -14
    assert calendar.working_days_between(date(2026, 3, 18), date(2026, 3, 24)) == 0
    assert calendar.working_days_between(date(2026, 3, 10), date(2026, 3, 10)) == 0


def test_extra_and_removed_holidays_move_the_deadline() -> None:
    start = date(2026, 3, 10)
    extra = WorkingCalendar(extra_holidays=[date(2026, 3, 12)])
    assert not extra.is_working_day(date(2026, 3, 12))
    assert extra.add_working_days(start, 14) == date(2026, 4, 8)
    removed = WorkingCalendar(removed_holidays=[date(2026, 3, 24)])
    assert removed.is_working_day(date(2026, 3, 24))
    assert removed.add_working_days(start, 14) == date(2026, 4, 6)


def test_holidays_are_loaded_once_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = holidays.country_holidays

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("years"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(holidays, "country_holidays", counting)
    calendar = WorkingCalendar()
    for offset in range(0, 400):
        calendar.add_working_days(date(2026, 1, 1) + timedelta(days=offset), 14)
    assert sorted(calls) == [2026, 2027]  # type: ignore[type-var]


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pantau.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_calendar_reads_the_settings_and_the_holidays_file(tmp_path: Path) -> None:
    (tmp_path / "libur.toml").write_text(
        'extra_holidays = [2026-03-11, "2026-03-12"]\nremoved_holidays = [2026-03-24]\n', encoding="utf-8"
    )
    settings = load_settings(
        _config(tmp_path, '[calendar]\nextra_holidays = [2026-03-13]\nholidays_file = "libur.toml"\n'),
        environ={}, required=True,
    )
    calendar = WorkingCalendar.from_settings(settings.calendar)
    assert {date(2026, 3, 11), date(2026, 3, 12), date(2026, 3, 13)} <= set(calendar.extra_holidays)
    assert calendar.is_working_day(date(2026, 3, 24))
    assert calendar.holiday_name(date(2026, 3, 11)) == "Hari libur tambahan (konfigurasi)"
    # 3 extra days off, 1 day back: the deadline moves two working days, from 7 to 9 April.
    assert calendar.add_working_days(date(2026, 3, 10), 14) == date(2026, 4, 9)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("extra_holidays = [2026-02-30]", "bukan TOML yang sah"),
        ('extra_holidays = ["30/03/2026"]', "extra_holidays[0]: '30/03/2026' bukan tanggal"),
        ("removed_holidays = 2026-03-24", "removed_holidays: harus daftar tanggal"),
        ("extra_holiday = [2026-03-24]", "extra_holiday: kunci tidak dikenal"),
        ("extra_holidays = [2026-03-24T08:00:00]", "extra_holidays[0]"),
    ],
)
def test_a_bad_holidays_file_is_an_error_naming_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "libur.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError, match=r"libur\.toml") as caught:
        WorkingCalendar.from_settings(CalendarSettings(holidays_file=path))
    assert message in str(caught.value)


def test_a_missing_holidays_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"calendar.holidays_file: berkas tidak ditemukan: .*nope.toml"):
        WorkingCalendar.from_settings(CalendarSettings(holidays_file=tmp_path / "nope.toml"))


def test_a_date_both_added_and_removed_is_an_error() -> None:
    with pytest.raises(SettingsError, match="2026-03-24 tercantum sebagai hari libur tambahan sekaligus yang dihapus"):
        WorkingCalendar.from_settings(
            CalendarSettings(extra_holidays=(date(2026, 3, 24),), removed_holidays=(date(2026, 3, 24),))
        )


def test_the_deadline_counts_from_the_contract_date_by_default(calendar: WorkingCalendar) -> None:
    assert registration_deadline(CONTRACT, calendar, DeadlineSettings()) == date(2026, 4, 7)
    assert registration_deadline(CONTRACT, calendar, DeadlineSettings(working_days=5)) == date(2026, 3, 17)


def test_the_deadline_can_count_from_the_spmk_falling_back_to_the_contract_date(calendar: WorkingCalendar) -> None:
    spmk = DeadlineSettings(start_field="tanggal_mulai")
    # From Monday 16 March: 17, 25, 26, 27, 30, 31, 1, 2, 6, 7, 8, 9, 10, 13 April.
    assert registration_deadline(CONTRACT, calendar, spmk) == date(2026, 4, 13)
    assert registration_deadline(CONTRACT._replace(tanggal_mulai=None), calendar, spmk) == date(2026, 4, 7)


def test_the_deadline_function_serves_the_check_context(calendar: WorkingCalendar) -> None:
    deadline = deadline_function(calendar, DeadlineSettings())
    assert deadline(CONTRACT) == date(2026, 4, 7)
    assert deadline(CONTRACT._replace(id=2, tanggal_kontrak=date(2026, 3, 11))) == date(2026, 4, 8)
