"""Values as SPSE writes them, in the ISB JSON and in INAPROC's XLSX/CSV downloads alike.

The number format is SPSE's, known for the whole source, never guessed per cell: money is a plain
decimal with a point (``1269963504.15``; a JSON number or text), never the ``1.269.963.504,15`` of
hand-made sheets, which is refused rather than misread. Money is kept in sen (an ``int``): the record
keeps the cents, the premium is computed on whole rupiah as for every other source.

Dates: ``2025-03-21T00:00:00.000000Z``, ``Nov 10, 2025, 12:00:00AM``, ``21-03-2025`` (and date cells).
The ISO form's time is midnight of the local date written as UTC; the date written is the date meant.
NPWP: 15 digits with dots (``73.593.405.1-443.000``) or 16 (``0735934051443000``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import orjson

from monitor.ingest.values import MONTHS, BadValue, show
from monitor.ingest.values import parse_npwp as _npwp

# What SPSE writes for "no value".
BLANKS = frozenset({"", "-", "null", "none", "tidak ada data", "tidak ada data (null)", "n/a"})

_POINT_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")
_US = re.compile(r"([A-Za-z]{3,9})\.? (\d{1,2}), (\d{4})(?:,? \d{1,2}:\d{2}(?::\d{2})? ?(?:AM|PM)?)?", re.I)
_DMY = re.compile(r"(\d{1,2})[-/](\d{1,2})[-/](\d{4})")
# Members of a consortium in one text: "PT A; CV B", "PT A, CV B", one a line. A comma also ends a name
# whose legal form comes last ("KARYA ABADI, PT"): a piece that is only a form belongs to the one before.
_MEMBER_SEPARATOR = re.compile(r"\s*[;\n]\s*")
_FORM_ONLY = re.compile(r"^(?:pt|cv|fa|firma|ud|pd|koperasi|persero|perum|tbk)\.?$", re.I)
_DAYS = re.compile(r"(\d+)\s*(?:hari)?(?:\s*(kalender|kerja))?\.?", re.I)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and " ".join(value.split()).casefold() in BLANKS)


def parse_text(value: object) -> str | None:
    if type(value) is str:  # the common case, kept fast
        text = " ".join(value.split())
        return None if len(text) <= 21 and text.casefold() in BLANKS else text
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(int(value))
    return " ".join(str(value).split()) or None


def parse_sen(value: object) -> int | None:
    """Rupiah as SPSE writes it -> sen. ``1269963504.15`` -> 126996350415."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise BadValue(f"'{show(value)}' bukan angka rupiah")
    if isinstance(value, int | Decimal):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))  # an XLSX number cell
    else:
        text = str(value).strip()
        if not _POINT_DECIMAL.fullmatch(text):
            raise BadValue(
                f"'{text}' bukan angka SPSE (desimal dengan titik, mis. 1269963504.15); "
                "format angka sumber SPSE tidak ditebak per sel"
            )
        amount = Decimal(text)
    try:
        sen = amount * 100
        if sen != sen.to_integral_value():
            raise BadValue(f"'{show(value)}': lebih dari dua angka di belakang titik (sen)")
        result = int(sen)
    except InvalidOperation:
        raise BadValue(f"'{show(value)}' bukan angka rupiah") from None
    if result < 0:
        raise BadValue(f"nilai negatif ('{show(value)}') tidak diterima")
    return result


def whole_rupiah(sen: int) -> int:
    """Sen -> whole rupiah, half up (the rounding of every other source; BPJS publishes none)."""
    return (sen + 50) // 100


def parse_date(value: object) -> str | None:
    """-> ISO text (how records travel to the database)."""
    if type(value) is str:
        return _date_text(value)
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return _date_text(str(value))


@lru_cache(maxsize=65_536)
def _date_text(value: str) -> str | None:
    # Cached: a million rows hold a few hundred distinct dates. Errors are not cached (they raise).
    if is_blank(value):
        return None
    text = " ".join(value.split())
    try:
        if match := _ISO.fullmatch(text):
            year, month, day = (int(g) for g in match.groups())
        elif match := _US.fullmatch(text):
            month = MONTHS.get(match.group(1).casefold(), 0)
            if not month:
                raise BadValue(f"'{text}': nama bulan '{match.group(1)}' tidak dikenal")
            day, year = int(match.group(2)), int(match.group(3))
        elif match := _DMY.fullmatch(text):
            day, month, year = (int(g) for g in match.groups())
        else:
            raise BadValue(
                f"'{text}' bukan tanggal SPSE (2025-03-21T00:00:00.000000Z, Nov 10, 2025, 12:00:00AM atau 21-03-2025)"
            )
        found = date(year, month, day)
    except ValueError as exc:
        if isinstance(exc, BadValue):
            raise
        raise BadValue(f"tanggal '{text}' tidak ada di kalender") from None
    if not 1990 <= found.year <= 2100:
        raise BadValue(f"tanggal '{text}' di luar rentang wajar (1990–2100)")
    return found.isoformat()


def parse_npwp(value: object) -> str | None:
    """15 or 16 digits, punctuation dropped (``73.593.405.1-443.000`` -> ``735934051443000``)."""
    if is_blank(value):
        return None
    if isinstance(value, Decimal):
        value = int(value)
    return _npwp(value)


def parse_code(value: object) -> str | None:
    """Identifiers (kd_tender, kd_rup, kd_satker_str): JSON numbers and XLSX number cells as digits."""
    return parse_text(value)


def parse_int(value: object) -> int | None:
    text = parse_text(value)
    if text is None:
        return None
    if not text.isdigit():
        raise BadValue(f"'{text}' bukan bilangan bulat")
    return int(text)


def parse_days(value: object) -> int | None:
    """``90 Hari Kalender`` -> 90 (the completion period, in calendar days)."""
    text = parse_text(value)
    if text is None:
        return None
    match = _DAYS.fullmatch(text)
    if match is None:
        raise BadValue(f"'{text}' bukan jangka waktu (contoh: 90 Hari Kalender)")
    if (match.group(2) or "kalender").casefold() == "kerja":
        raise BadValue(f"'{text}': jangka waktu dalam hari kerja tidak dihitung; tulis dalam hari kalender")
    days = int(match.group(1))
    if not 1 <= days <= 3650:
        raise BadValue(f"jangka waktu {days} hari di luar rentang wajar (1–3650)")
    return days


def parse_members(value: object) -> list[str] | None:
    """``anggota_kso`` -> the consortium's member firms, in order: a JSON list (or its text) of names,
    or a text of names separated by semicolons, lines or commas. ``None`` where there are none."""
    if is_blank(value):
        return None
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise BadValue(f"'{show(value)}' bukan daftar JSON anggota KSO yang sah") from None
    if isinstance(value, list):
        if any(not isinstance(item, str | None) for item in value):
            raise BadValue(f"'{show(value)}': anggota KSO harus berupa nama (teks)")
        names = [parse_text(item) for item in value]
    elif isinstance(value, str):
        pieces = _MEMBER_SEPARATOR.split(value.strip())
        names = [name for piece in pieces for name in _comma_names(piece)]
    else:
        raise BadValue(f"'{show(value)}' bukan daftar anggota KSO")
    found = list(dict.fromkeys(name for name in names if name))
    return found or None


def _comma_names(text: str) -> list[str]:
    """The names in a comma-separated text, a trailing legal form kept with its name."""
    names: list[str] = []
    for piece in (" ".join(p.split()) for p in text.split(",")):
        if _FORM_ONLY.match(piece) and names:
            names[-1] = f"{names[-1]}, {piece}"
        elif piece and not is_blank(piece):
            names.append(piece)
    return names
