"""Normalization of the fields contractors type by hand at BPJS: contract numbers, vendor names,
NPWP and project titles. Every function is deterministic and applied to both sides alike, so a
normalized form is a *key*, not a correction: two numbers match when their keys are equal.
"""

from __future__ import annotations

import re

# --- contract numbers ---------------------------------------------------------------------------

# "Nomor Kontrak:", "No. SPK :" — the word after "No" is only a label when a colon/dot follows it,
# otherwise "No. SPK/10/2021" would lose the "SPK" that belongs to the number.
_LABELLED_PREFIX = re.compile(
    r"^\s*(?:NO|NOMOR|NOMER|NMR)\s*\.?\s*"
    r"(?:(?:KONTRAK|SURAT\s+PERJANJIAN)\s*[:.]?\s*|(?:SPK|SP)\s*[:.]\s*)"
)
# "No.", "No :", "Nomor:", "Nomor 027/...", "No 10/..."
_PLAIN_PREFIX = re.compile(r"^\s*(?:(?:NO|NOMOR|NOMER|NMR)\s*[:.]+\s*|(?:NOMOR|NOMER)\s+|NO\s+(?=\d))")
# Every ASCII punctuation character separates segments.
_SEPARATORS = {ord(ch): " " for ch in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\t\r\n"}
_TOKEN = re.compile(r"[A-Z]+|[0-9]+")
# A run of digits in which an O, I or L was typed for 0 or 1 ("2O26", "1O/SPK").
_DIGITISH = re.compile(r"(?=[0-9OIL]*[0-9])[0-9OIL]+")
_DIGIT_LOOKALIKES = str.maketrans("OIL", "011")
_ROMAN_MONTHS = {
    "I": "1", "II": "2", "III": "3", "IV": "4", "V": "5", "VI": "6",
    "VII": "7", "VIII": "8", "IX": "9", "X": "10", "XI": "11", "XII": "12",
}
# What people type when they have no number.
_PLACEHOLDERS = frozenset({"0", "NA", "N/A", "TIDAK/ADA", "BELUM/ADA", "KOSONG", "NIHIL", "TANPA/NOMOR"})


def contract_number_key(raw: str | None) -> str | None:
    """The comparable key of a contract number, or None when blank.

    ``"No. 027/14/SPK-PUPR/III/2026"``, ``"027-14-spk.pupr-3-2026"`` and ``"27 / 14 / SPK PUPR / 03 /
    2026"`` all give ``"27/14/SPK/PUPR/3/2026"``: case is folded; ``No.``/``Nomor:`` labels dropped;
    every run of separators (``/ - . , : _`` and spaces) and every letter↔digit boundary becomes one
    ``/``; leading zeros are dropped inside numeric segments and Roman months (I–XII) become digits,
    because people write the same segment as ``03``, ``3`` or ``III``. A letter O/I/L inside a digit
    run is read as 0/1. Keys can collide (``027`` and ``27`` in one OPD), which is why the matcher
    never links by the number alone.
    """
    if raw is None:
        return None
    text = raw.upper()
    if "NO" in text[:12]:
        for prefix in (_LABELLED_PREFIX, _PLAIN_PREFIX):
            text = prefix.sub("", text, count=1)
    tokens: list[str] = []
    # A million numbers per run: plain segments take the quick string-method path, and only a
    # segment mixing letters and digits ("PPK05", "SPK-PUPR" is two) goes through the regex.
    for segment in text.translate(_SEPARATORS).split():
        if segment.isdigit():
            tokens.append(segment.lstrip("0") or "0")
        elif segment.isalpha():
            tokens.append(_ROMAN_MONTHS.get(segment, segment))
        else:
            if _DIGITISH.fullmatch(segment):
                segment = segment.translate(_DIGIT_LOOKALIKES)
            for token in _TOKEN.findall(segment):
                tokens.append((token.lstrip("0") or "0") if token.isdigit() else _ROMAN_MONTHS.get(token, token))
    key = "/".join(tokens)
    if not key or key in _PLACEHOLDERS:
        return None
    return key


def deletion_keys(key: str) -> list[str]:
    """The key and every string one character shorter: two keys within edit distance 1 share at
    least one of these (symmetric-delete), so typos are found by dictionary lookups, not by
    comparing all pairs."""
    return [key, *[key[:i] + key[i + 1:] for i in range(len(key))]]


# --- vendor names -------------------------------------------------------------------------------

_DOTTED_FORM = re.compile(r"\b(P|C|U)\s*\.\s*(T|V|D)\b\.?")
_NON_ALNUM = re.compile(r"[^0-9A-Z]+")
# Legal forms, stripped only at either end of the name ("PT. Karya Abadi", "KARYA ABADI, PT",
# "Karya Abadi (Persero) Tbk").
_LEGAL_FORMS = frozenset({
    "PT", "CV", "UD", "FA", "FIRMA", "TBK", "PERSERO", "PERSEROAN", "TERBATAS",
    "PERSEKUTUAN", "KOMANDITER", "KSO", "PD",
})


def vendor_key(raw: str | None) -> str:
    """The comparable form of a vendor name: upper case, punctuation gone, legal forms (PT, CV,
    ``P.T.``, ``, PT``, ``Tbk``, ...) stripped at either end. ``""`` when nothing is left."""
    if not raw:
        return ""
    text = raw.upper()
    if _DOTTED_FORM.search(text):  # rare: search first, a sub() with a template costs more
        text = _DOTTED_FORM.sub(r"\1\2", text)
    tokens = _NON_ALNUM.sub(" ", text).split()
    start, end = 0, len(tokens)
    while start < end and tokens[start] in _LEGAL_FORMS:
        start += 1
    while end > start and tokens[end - 1] in _LEGAL_FORMS:
        end -= 1
    return " ".join(tokens[start:end])


# --- NPWP ---------------------------------------------------------------------------------------

_NOT_DIGIT = re.compile(r"\D+")


def npwp_key(raw: str | None) -> str | None:
    """NPWP digits in the 15-digit form, or None when missing or unusable.

    Since 2024 companies use a 16-digit NPWP that is the old 15 digits with a leading 0, so
    ``0012345678901000`` and ``01.234.567.8-901.000`` are one taxpayer. Other 16-digit NPWP
    (a person's NIK) stay as they are. All-zero placeholders and wrong lengths count as missing.
    """
    if not raw:
        return None
    digits = _NOT_DIGIT.sub("", raw)
    if len(digits) == 16 and digits[0] == "0":
        digits = digits[1:]
    if len(digits) not in (15, 16) or not digits.strip("0"):
        return None
    return digits


# --- project titles -----------------------------------------------------------------------------

_TITLE_ABBREVIATIONS = {
    "KEL": "KELURAHAN", "KEC": "KECAMATAN", "JL": "JALAN", "JLN": "JALAN", "LRG": "LORONG", "GG": "GANG",
    "PEMB": "PEMBANGUNAN", "REHAB": "REHABILITASI", "PENINGKT": "PENINGKATAN", "PEMELIHARAN": "PEMELIHARAAN",
    "N": "NEGERI", "KONSULTAN": "JASA KONSULTANSI",
}
# Words contractors add around a title at BPJS ("PEKERJAAN ...", "... TA 2026", "... KOTA JAMBI").
_TITLE_NOISE = frozenset({"PEKERJAAN", "PAKET", "KEGIATAN", "TA", "TAHUN", "ANGGARAN", "KOTA", "JAMBI"})
_YEAR = re.compile(r"(?:19|20)\d\d")


def title_key(raw: str | None) -> str:
    """A project title for fuzzy comparison: upper case, punctuation gone, common abbreviations
    (``Kel.``, ``Jl.``, ``Rehab``) spelled out, and the words people add around it (``PEKERJAAN``,
    ``TA 2026``, ``KOTA JAMBI``) dropped."""
    if not raw:
        return ""
    tokens = _NON_ALNUM.sub(" ", raw.upper()).split()
    words = (_TITLE_ABBREVIATIONS.get(token, token) for token in tokens)
    return " ".join(w for w in words if w not in _TITLE_NOISE and not _YEAR.fullmatch(w))
