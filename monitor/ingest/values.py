"""Cell values as Indonesian exports write them, parsed to canonical Python values.

Every parser takes what the reader produced (a CSV string, or an XLSX cell: ``str``, ``int``,
``float``, ``datetime``, ``bool`` or ``None``) and returns the canonical value, ``None`` for a
blank cell, or raises :class:`BadValue` with a plain Indonesian message for the reject list.

Rupiah: ``1250000000``, ``1.250.000.000``, ``1.250.000.000,00``, ``Rp 1.250.000.000,-``,
``Rp. 61.000.000,-``, ``1,250,000,000.00`` and numeric cells. Stored as whole rupiah; sen are
rounded half up (``1.250,50`` -> 1251), the rounding BPJS itself is assumed to use. A single
separator followed by exactly three digits is a thousands separator (``1.250`` is Rp1.250):
money never has three decimals.

Dates: ``2026-03-25``, ``25/03/2026``, ``25-03-2026``, ``25.03.2026``, ``25 Maret 2026``,
``25-Mar-26``, ``Rabu, 25 Maret 2026``, Excel serial numbers and date cells. Day comes first
(Indonesian order); a two-digit year means 20yy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from monitor.regulation.wording import rupiah

# Cells that mean "nothing here" in Indonesian spreadsheets.
_BLANKS = frozenset({"", "-", "--", "–", "—", "#N/A", "N/A", "n/a"})
_EXCEL_EPOCH = date(1899, 12, 30)  # the 1900 date system, with Lotus's phantom 29 Feb 1900 absorbed
# Dates outside this window are typos (0226 for 2026) or numbers that are not dates.
MIN_YEAR, MAX_YEAR = 1950, 2100

MONTHS: Mapping[str, int] = {
    **{name: i for i, name in enumerate(
        ("januari", "februari", "maret", "april", "mei", "juni", "juli", "agustus", "september",
         "oktober", "november", "desember"), start=1)},
    **{name: i for i, name in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august", "september",
         "october", "november", "december"), start=1)},
    "jan": 1, "feb": 2, "peb": 2, "mar": 3, "apr": 4, "mei": 5, "may": 5, "jun": 6, "jul": 7,
    "agu": 8, "agt": 8, "ags": 8, "agus": 8, "aug": 8, "sep": 9, "sept": 9, "okt": 10, "oct": 10,
    "nop": 11, "nov": 11, "des": 12, "dec": 12, "pebruari": 2, "nopember": 11,
}
_WEEKDAYS = r"(?:senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad|mon|tue|wed|thu|fri|sat|sun)[a-z]*"

_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?)?")
_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:\s+\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)?")
_D_MONTH_Y = re.compile(rf"(?:{_WEEKDAYS},?\s*)?(\d{{1,2}})[\s\-/.]*([a-z]+)\.?[\s\-/.,]*(\d{{4}}|\d{{2}})", re.I)
_SERIAL = re.compile(r"\d{4,6}(?:[.,]\d+)?")

# Indonesian style, the common case: optional "Rp"/"Rp.", dot thousands, comma decimals, ",-".
_MONEY_ID = re.compile(r"(?:rp\.?\s*)?(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d{1,2}))?(?:,-+|-+)?", re.I)
_MONEY_PREFIX = re.compile(r"^(?:rp\.?|idr)", re.I)
_MONEY_SUFFIX = re.compile(r"[.,]?-+$")
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?e[+-]?\d+", re.I)
_NON_DIGITS = re.compile(r"\D")


# Rp 1.000 triliun: no APBD contract of a city comes near it (Kota Jambi's whole budget is about Rp 2 triliun),
# and a hundred million such amounts still sum inside a 64-bit integer per row of SQL arithmetic.
DEFAULT_MAX_RUPIAH = 1_000_000_000_000_000
# A text cell longer than this is a paste accident (a whole document in a title), not data.
DEFAULT_MAX_TEXT_CHARS = 10_000
# How much of an over-long cell a message or the reject list keeps.
_SHOWN_CHARS = 200


@dataclass(frozen=True)
class ValueLimits:
    """What a cell may hold, whatever the file's format (``[ingest] max_rupiah``, ``max_text_chars``)."""

    max_rupiah: int = DEFAULT_MAX_RUPIAH
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS


DEFAULT_LIMITS = ValueLimits()


class BadValue(ValueError):
    """A cell that cannot be read as its column's type; the message is shown to the user."""


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in _BLANKS)


def show(value: object) -> str:
    """A cell as the user typed it, for messages (an over-long one cut, saying how long it was)."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return shortened(str(value).strip())


def shortened(text: str) -> str:
    """``text``, or its start and its length when it is longer than a message should quote."""
    if len(text) <= _SHOWN_CHARS:
        return text
    return f"{text[:_SHOWN_CHARS]}… ({len(text)} karakter)"


# --- text --------------------------------------------------------------------------------------


def parse_text(value: object) -> str | None:
    """Free text with runs of whitespace (line breaks inside cells) collapsed to one space."""
    if type(value) is str:
        text = " ".join(value.split())
        return None if text in _BLANKS else text
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        # Excel stores numbers typed into a text column (kode RUP, RT) as floats.
        return str(int(value))
    if isinstance(value, datetime):
        return show(value)
    return str(value)


def text_parser(max_length: int | None) -> Callable[[object], str | None]:
    """Free text of at most ``max_length`` characters (after collapsing whitespace)."""
    if max_length is None:
        return parse_text

    def parse(value: object) -> str | None:
        if type(value) is str:  # inlined parse_text: the hot path of every import
            text: str | None = " ".join(value.split())
            if text in _BLANKS:
                return None
        else:
            text = parse_text(value)
        if text is not None and len(text) > max_length:
            raise BadValue(f"terlalu panjang ({len(text)} karakter; paling banyak {max_length})")
        return text

    return parse


# --- money -------------------------------------------------------------------------------------


def parse_money(value: object) -> int | None:
    """Whole rupiah; negative amounts are refused (no source has a reason to write one)."""
    if isinstance(value, str):
        if value.isdigit() and value.isascii():  # the common case, kept fast
            return int(value)
        if match := _MONEY_ID.fullmatch(value.strip()):
            integer, fraction = match.groups()
            if not fraction or not fraction.strip("0"):
                return int(integer.replace(".", ""))
        if is_blank(value):
            return None
        amount = _money_from_text(value)
    elif value is None:
        return None
    elif isinstance(value, bool):
        raise BadValue(f"'{show(value)}' bukan angka rupiah")
    elif isinstance(value, int):
        amount = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise BadValue(f"'{show(value)}' bukan angka rupiah")
        amount = _round_half_up(Decimal(repr(value)))
    elif isinstance(value, Decimal):
        amount = _round_half_up(value)
    else:
        raise BadValue(f"'{show(value)}' bukan angka rupiah")
    if amount < 0:
        raise BadValue(f"nilai negatif ({rupiah(amount)}) tidak diterima")
    return amount


def money_parser(maximum: int) -> Callable[[object], int | None]:
    """:func:`parse_money` refusing amounts above ``maximum`` (an inclusive ceiling)."""

    def parse(value: object) -> int | None:
        # parse_money's fast path inlined: a million-row file has one or two amounts per row.
        amount = int(value) if type(value) is str and value.isdigit() and value.isascii() else parse_money(value)
        if amount is not None and amount > maximum:
            raise BadValue(f"nilai {rupiah(amount)} di luar rentang wajar (paling besar {rupiah(maximum)})")
        return amount

    return parse


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _money_from_text(value: str) -> int:
    original = value.strip()
    text = original.replace("\xa0", "").replace(" ", "")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.startswith("-"):
        negative, text = True, text[1:]
    text = _MONEY_PREFIX.sub("", text)
    if text.startswith("-"):
        negative, text = True, text[1:]
    text = _MONEY_SUFFIX.sub("", text)
    if _SCIENTIFIC.fullmatch(text):
        raise BadValue(
            f"'{original}' ditulis dalam notasi ilmiah, angka aslinya hilang; "
            "format kolom sebagai angka sebelum menyimpan"
        )
    if not text or not text[0].isdigit() or not all(c.isdigit() or c in ".," for c in text) or not text.isascii():
        raise BadValue(f"'{original}' bukan angka rupiah")
    integer, fraction = _split_decimal(text, original)
    amount = Decimal(f"{integer}.{fraction or 0}")
    return -_round_half_up(amount) if negative else _round_half_up(amount)


def _split_decimal(text: str, original: str) -> tuple[str, str]:
    """Split into (integer digits, decimal digits) from the separators' positions."""
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
    elif dots == 1 and len(text) - text.rfind(".") - 1 != 3:
        decimal_sep = "."
    elif commas == 1 and len(text) - text.rfind(",") - 1 != 3:
        decimal_sep = ","
    else:
        decimal_sep = ""
    if decimal_sep:
        head, _, fraction = text.rpartition(decimal_sep)
        if not fraction.isdigit():
            raise BadValue(f"'{original}' bukan angka rupiah")
    else:
        head, fraction = text, ""
    thousands = {".": ",", ",": "."}.get(decimal_sep) or ("," if "," in head else ".")
    if thousands in head:
        groups = head.split(thousands)
        if not (1 <= len(groups[0]) <= 3) or any(len(g) != 3 for g in groups[1:]) or not all(
            g.isdigit() for g in groups
        ):
            raise BadValue(f"'{original}': pemisah ribuan tidak beraturan")
        head = "".join(groups)
    if not head.isdigit():
        raise BadValue(f"'{original}' bukan angka rupiah")
    return head, fraction


# --- dates -------------------------------------------------------------------------------------


def parse_date(value: object) -> date | None:
    if isinstance(value, str):
        return _date_from_text(value)
    if value is None:
        return None
    if isinstance(value, datetime):
        return _plausible(value.date(), show(value))
    if isinstance(value, date):
        return _plausible(value, show(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(float(value), show(value))
    raise BadValue(f"'{show(value)}' bukan tanggal")


@lru_cache(maxsize=65_536)
def _date_from_text(value: str) -> date | None:
    # Cached: a file of a million rows holds a few hundred distinct dates.
    text = " ".join(value.split())
    if text in _BLANKS:
        return None
    if match := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
        return _make_date(year, month, day, text)
    if match := _DMY.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
        return _make_date(_full_year(year, match.group(3)), month, day, text)
    if match := _D_MONTH_Y.fullmatch(text):
        named = MONTHS.get(match.group(2).casefold())
        if named is None:
            raise BadValue(f"'{text}': nama bulan '{match.group(2)}' tidak dikenal")
        return _make_date(_full_year(int(match.group(3)), match.group(3)), named, int(match.group(1)), text)
    if _SERIAL.fullmatch(text):
        return _from_serial(float(text.replace(",", ".")), text)
    raise BadValue(f"'{text}' bukan tanggal yang dikenali (contoh: 25/03/2026 atau 25 Maret 2026)")


def _full_year(year: int, written: str) -> int:
    return 2000 + year if len(written) == 2 else year


def _make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        result = date(year, month, day)
    except ValueError:
        raise BadValue(f"tanggal '{text}' tidak ada di kalender") from None
    return _plausible(result, text)


def _plausible(value: date, text: str) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise BadValue(f"tanggal '{text}' di luar rentang wajar ({MIN_YEAR}–{MAX_YEAR})")
    return value


def _from_serial(serial: float, text: str) -> date:
    if not math.isfinite(serial) or serial < 1:
        raise BadValue(f"'{text}' bukan tanggal")
    try:
        result = _EXCEL_EPOCH + timedelta(days=int(serial))
    except OverflowError:
        raise BadValue(f"'{text}' bukan tanggal") from None
    return _plausible(result, text)


# --- identifiers and small numbers ---------------------------------------------------------------


def parse_npwp(value: object) -> str | None:
    """NPWP as its digits: 15 (old format) or 16 (NIK-based, since 2024)."""
    if type(value) is str and len(value) in (15, 16) and value.isdigit() and value.isascii():
        return value
    if is_blank(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = str(int(value))
        # A numeric cell drops the leading zero(s) of NPWPs starting with 0.
        if 13 <= len(digits) < 15:
            digits = digits.zfill(15)
    else:
        digits = _NON_DIGITS.sub("", str(value))
    if len(digits) not in (15, 16):
        raise BadValue(f"NPWP '{show(value)}' berisi {len(digits)} digit; seharusnya 15 atau 16 digit")
    return digits


def count_parser(low: int, high: int, what: str) -> Callable[[object], int | None]:
    """Whole numbers such as the budget year or the number of participants."""

    def parse(value: object) -> int | None:
        if type(value) is str and value.isdigit() and value.isascii() and low <= int(value) <= high:
            return int(value)
        if is_blank(value):
            return None
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str):
            text = value.strip()
            if text.isascii() and text.isdigit():
                number = int(text)
        if number is None:
            raise BadValue(f"'{show(value)}' bukan {what} yang sah (harus bilangan bulat)")
        if not low <= number <= high:
            raise BadValue(f"{what} {number} di luar rentang {low}–{high}")
        return number

    return parse


def enum_parser(choices: Mapping[str, str], what: str) -> Callable[[object], str | None]:
    """One of a fixed set of values, matched ignoring case and spacing; ``choices`` maps each
    accepted spelling (already lower-case) to the stored value."""
    allowed = ", ".join(sorted(set(choices.values())))

    def parse(value: object) -> str | None:
        if is_blank(value):
            return None
        key = " ".join(str(value).replace("_", " ").split()).casefold()
        try:
            return choices[key]
        except KeyError:
            raise BadValue(f"{what} '{show(value)}' tidak dikenal; pilihan: {allowed}") from None

    return parse


__all__ = [
    "DEFAULT_LIMITS",
    "MONTHS",
    "BadValue",
    "ValueLimits",
    "count_parser",
    "enum_parser",
    "is_blank",
    "money_parser",
    "parse_date",
    "parse_money",
    "parse_npwp",
    "parse_text",
    "shortened",
    "show",
    "text_parser",
]
