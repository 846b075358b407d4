"""Working days (hari kerja) and the Jakon registration deadline.

A working day is a Monday to Friday that is neither an Indonesian public holiday nor a cuti
bersama day, as the ``holidays`` package lists them (country ID, categories ``public`` and
``government``), with dates added or removed by configuration for decrees the package lacks
(one-off holidays such as 18 Aug 2025 appear late; Islamic dates far ahead are estimates).

Counting rule: "14 working days after the SPK" means the 14th working day strictly after the start
date. Day 1 is the first working day after the start date, whatever kind of day the start date is;
the deadline is day ``n`` and registering on it is on time. With ``n = 0`` the deadline is the start
date itself.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import holidays

from monitor.records import ContractState
from monitor.settings import CalendarSettings, DeadlineSettings, SettingsError

_ONE_DAY = timedelta(days=1)
EXTRA_HOLIDAY_NAME = "Hari libur tambahan (konfigurasi)"


class WorkingCalendar:
    """Weekends, the package's ID holidays and cuti bersama, plus configured edits.

    Holidays are loaded once per year on first use; deadlines are memoized per (start, n), so a
    million contracts cost one computation per distinct start date."""

    def __init__(self, extra_holidays: Iterable[date] = (), removed_holidays: Iterable[date] = ()) -> None:
        self.extra_holidays = frozenset(extra_holidays)
        self.removed_holidays = frozenset(removed_holidays)
        self._years: dict[int, dict[date, str]] = {}
        self._deadlines: dict[tuple[date, int], date] = {}

    @classmethod
    def from_settings(cls, calendar: CalendarSettings) -> WorkingCalendar:
        """The calendar from ``[calendar]``, merged with its ``holidays_file`` if one is named."""
        extra = set(calendar.extra_holidays)
        removed = set(calendar.removed_holidays)
        if calendar.holidays_file is not None:
            file_extra, file_removed = read_holidays_file(calendar.holidays_file)
            extra.update(file_extra)
            removed.update(file_removed)
        both = extra & removed
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise SettingsError(f"calendar: {listed} tercantum sebagai hari libur tambahan sekaligus yang dihapus")
        return cls(extra, removed)

    def holidays_in(self, year: int) -> dict[date, str]:
        """The days off of ``year`` (weekends aside), with their Indonesian names."""
        days = self._years.get(year)
        if days is None:
            listed = holidays.country_holidays(
                "ID", categories=("public", "government"), years=year, language="id"
            )
            days = {day: name for day, name in listed.items() if day not in self.removed_holidays}
            days.update((day, EXTRA_HOLIDAY_NAME) for day in self.extra_holidays if day.year == year)
            self._years[year] = days
        return days

    def holiday_name(self, day: date) -> str | None:
        return self.holidays_in(day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays_in(day.year)

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (day 1 is the first working day after it)."""
        if n < 0:
            raise ValueError(f"working days must not be negative: {n}")
        key = (start, n)
        found = self._deadlines.get(key)
        if found is None:
            found = start
            remaining = n
            while remaining:
                found += _ONE_DAY
                if self.is_working_day(found):
                    remaining -= 1
            self._deadlines[key] = found
        return found

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in ``(a, b]``: how many working days after ``a`` day ``b`` is
        (``add_working_days(a, n) == b`` gives ``n``). Negative when ``b`` is before ``a``."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a
        while day < b:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count


def read_holidays_file(path: Path) -> tuple[tuple[date, ...], tuple[date, ...]]:
    """Read ``extra_holidays`` and ``removed_holidays`` (lists of dates) from a TOML file."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise SettingsError(f"calendar.holidays_file: berkas tidak ditemukan: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: bukan TOML yang sah: {exc}") from exc
    except OSError as exc:
        raise SettingsError(f"calendar.holidays_file: {path} tidak dapat dibaca: {exc.strerror or exc}") from exc
    unknown = sorted(set(data) - {"extra_holidays", "removed_holidays"})
    if unknown:
        raise SettingsError(f"{path}: {unknown[0]}: kunci tidak dikenal (dikenal: extra_holidays, removed_holidays)")
    return _dates(path, "extra_holidays", data.get("extra_holidays", [])), _dates(
        path, "removed_holidays", data.get("removed_holidays", [])
    )


def _dates(path: Path, key: str, raw: Any) -> tuple[date, ...]:
    if not isinstance(raw, list):
        raise SettingsError(f"{path}: {key}: harus daftar tanggal")
    days = []
    for index, item in enumerate(raw):
        if isinstance(item, date) and not isinstance(item, datetime):
            days.append(item)
            continue
        if isinstance(item, str):
            try:
                days.append(date.fromisoformat(item))
                continue
            except ValueError:
                pass
        raise SettingsError(f"{path}: {key}[{index}]: {item!r} bukan tanggal (YYYY-MM-DD)")
    return tuple(days)


def deadline_start(contract: ContractState, deadline: DeadlineSettings) -> date:
    """The date the deadline counts from: ``tanggal_mulai`` (SPMK) only when configured and known,
    else ``tanggal_kontrak`` (BPJS counts from the SPK/contract signing)."""
    if deadline.start_field == "tanggal_mulai" and contract.tanggal_mulai is not None:
        return contract.tanggal_mulai
    return contract.tanggal_kontrak


def registration_deadline(contract: ContractState, calendar: WorkingCalendar, deadline: DeadlineSettings) -> date:
    """The last day to register the contract with BPJS: ``deadline.working_days`` working days after
    its start date (Permenaker 44/2015; BPJS applies the same under Permenaker 5/2021)."""
    return calendar.add_working_days(deadline_start(contract, deadline), deadline.working_days)


def deadline_function(calendar: WorkingCalendar, deadline: DeadlineSettings) -> Callable[[ContractState], date]:
    """``CheckContext.deadline`` for these settings: :func:`registration_deadline`, memoized per start
    date (a million contracts share a few hundred start dates; this runs for every one of them)."""
    by_start: dict[date, date] = {}
    from_spmk = deadline.start_field == "tanggal_mulai"
    days = deadline.working_days

    def contract_deadline(contract: ContractState) -> date:
        start = contract.tanggal_mulai if from_spmk and contract.tanggal_mulai is not None else contract.tanggal_kontrak
        found = by_start.get(start)
        if found is None:
            found = by_start[start] = calendar.add_working_days(start, days)
        return found

    return contract_deadline
