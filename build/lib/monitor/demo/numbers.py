"""Contract numbers as each OPD writes them, and as contractors retype them at BPJS.

Every OPD numbers its own SPKs, in its own style, so the same short number exists in several
OPDs (the ``ppk`` style restarts every month at each PPK). Retyping adds the noise real clerks
produce; each kind of noise is a label the ground truth keeps.
"""

from __future__ import annotations

import random
from collections.abc import Callable

ROMAN = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


class Numbering:
    """The SPK counters of every OPD across the year: one object, so numbers stay unique."""

    def __init__(self, rng: random.Random, year: int) -> None:
        self.rng = rng
        self.year = year
        self._seq: dict[tuple[object, ...], int] = {}

    def _next(self, key: tuple[object, ...], step: int = 1, start: int = 0) -> int:
        value = self._seq.get(key, start) + step
        self._seq[key] = value
        return value

    def number(self, code: str, style: str, month: int) -> str:
        return STYLES[style](self, code, month)

    def unknown(self, template: str) -> str:
        return template.format(seq=self._next(("unknown",)), year=self.year)


def _pupr(n: Numbering, code: str, month: int) -> str:
    # 027/14/SPK-PUPR/III/2026: the agenda number, the PPK, the month in Roman numerals.
    seq = n._next((code,))
    ppk = 1 + int(n.rng.random() * 20)
    return f"{seq:03d}/{ppk:02d}/SPK-{code}/{ROMAN[month]}/{n.year}"


def _ppk(n: Numbering, code: str, month: int) -> str:
    # 10/SPK/PPK.05/11/2021: numbered per PPK per month, so small OPDs share their numbers.
    ppk = 1 + int(n.rng.random() * 4)
    seq = n._next((code, month, ppk))
    return f"{seq}/SPK/PPK.{ppk:02d}/{month:02d}/{n.year}"


def _rsud(n: Numbering, code: str, month: int) -> str:
    # 4268/PMK-ADD/RS-AM/12/2023: the hospital's letter register, shared with all its mail.
    seq = n._next((code,), step=1 + int(n.rng.random() * 9), start=4000)
    return f"{seq}/PMK-ADD/RS-AM/{month:02d}/{n.year}"


def _disdik(n: Numbering, code: str, month: int) -> str:
    level = "SD" if n.rng.random() < 0.65 else "SMP"
    seq = n._next((code,))
    return f"{seq:03d}/SPK/PPK-{level}/{code}/{n.year}"


def _dinkes(n: Numbering, code: str, month: int) -> str:
    return f"440/{n._next((code,)):03d}/SPK/{code}/{n.year}"


def _agenda(n: Numbering, code: str, month: int) -> str:
    # 027 is the archive classification for procurement (pengadaan).
    return f"027/{n._next((code,)):03d}/SPK/{code}/{n.year}"


STYLES: dict[str, Callable[[Numbering, str, int], str]] = {
    "pupr": _pupr,
    "ppk": _ppk,
    "rsud": _rsud,
    "disdik": _disdik,
    "dinkes": _dinkes,
    "agenda": _agenda,
}


# --- as retyped at BPJS ---------------------------------------------------------------------------

def reformat(number: str, rng: random.Random) -> str:
    """The same number written differently: case, separators, spacing, a ``No.`` prefix, leading
    zeros or the month spelt in digits. A normalizing matcher must see it as the same number."""
    r = rng.random()
    if r < 0.2:
        text = number.replace("/", " / ")
    elif r < 0.35:
        text = number.replace("/", "-")
    elif r < 0.45:
        text = number.replace("/", ".").replace("-", ".")
    elif r < 0.6:
        text = number.lower()
    elif r < 0.7:
        head, sep, tail = number.partition("/")
        text = (head.lstrip("0") or "0") + sep + tail
    elif r < 0.78:
        parts = number.split("/")
        text = "/".join(str(ROMAN.index(p)) if p in ROMAN[1:] else p for p in parts)
    else:
        text = number
    r = rng.random()
    if r < 0.35:
        prefix = ("No. ", "Nomor: ", "NO.", "No : ", "Nomor ", "NO. KONTRAK: ")[int(rng.random() * 6)]
        text = prefix + text
    elif r < 0.45:
        text = f" {text} "
    return text


def mistype(number: str, rng: random.Random) -> str:
    """One wrong digit: a different number that no normalization can repair."""
    positions = [i for i, c in enumerate(number) if c.isdigit()]
    # Prefer the agenda number (the first segment): that is where people slip.
    first = [i for i in positions if "/" not in number[:i]]
    pool = first if first and rng.random() < 0.7 else positions
    i = pool[int(rng.random() * len(pool))]
    digit = number[i]
    replacement = str((int(digit) + 1 + int(rng.random() * 9)) % 10)
    return number[:i] + replacement + number[i + 1:]


def garble(number: str, rng: random.Random) -> str:
    """Badly typed: only part of the number, another document's number, or several slips."""
    parts = number.split("/")
    r = rng.random()
    if r < 0.3:
        return f"{parts[0]}/{parts[-1]}"
    if r < 0.55:
        return " ".join(p for p in parts if not p.isdigit() or len(p) != 4) + " TA " + parts[-1]
    if r < 0.75:
        return number.replace("SPK", "SPMK").replace("PMK-ADD", "SPMK")
    text = mistype(mistype(number, rng), rng)
    return text if text != number else mistype(number, rng)


BLANK_FORMS = (None, None, None, "-", "0", "BELUM ADA", "")


def blank(rng: random.Random) -> str | None:
    """What a contractor types when the SPK number is not at hand."""
    return BLANK_FORMS[int(rng.random() * len(BLANK_FORMS))]


def one_character_apart(a: str, b: str) -> bool:
    """True when ``b`` is ``a`` with one character substituted, inserted or deleted."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))
