"""Rupiah and dates written the Indonesian way, for messages, findings and exports.

The alerts (:mod:`alerts.i18n`) format through Babel per configured language; everything that is
always Indonesian (import reports, finding titles) uses these two.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date

# A contract's end of works while it is not known yet (an SPSE contract whose SPMK has not arrived): in the
# rules' messages and in the details the e-mails and pages show.
END_UNKNOWN = "belum diketahui (SPMK belum diimpor)"

def rupiah(amount: int | Decimal) -> str:
    """Rupiah the Indonesian way: ``Rp1.250.000`` (a fraction, if any, after a comma)."""
    sign = "-" if amount < 0 else ""
    size = -amount if amount < 0 else amount
    whole = int(size)
    text = f"{whole:,}".replace(",", ".")
    if isinstance(size, Decimal) and size != whole:
        text += "," + format((size - whole).normalize(), "f")[2:]
    return f"{sign}Rp{text}"


@lru_cache(maxsize=8192)
def tanggal(day: date) -> str:
    """A date the Indonesian way: ``24 September 2026``."""
    return format_date(day, format="d MMMM y", locale="id_ID")


def percent(fraction: Decimal) -> str:
    """``Decimal("0.0021")`` → ``0,21%``; at least two decimals, as the regulations write rates."""
    value = fraction * 100
    text = f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else format(value.normalize(), "f")
    return text.replace(".", ",") + "%"
