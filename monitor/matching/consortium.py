"""Consortia (KSO, joint operations) in vendor names: who the members are.

Larger APBD construction contracts go to a *kerja sama operasi* (KSO): SPSE names the consortium
(``KSO PT. Karya Abadi - CV. Mitra Jaya``) or only its lead member, and the registration at BPJS is
made by the consortium under its own name, by the lead member, or by a partner alone. A vendor on
one side agrees with a vendor on the other when any member agrees with any member; this module says
who the members are. It does not normalise them (the matcher does, for each member).
"""

from __future__ import annotations

import re

# "KSO", "K.S.O.", "JO", "J.O.", "Joint Operation(s)", "Konsorsium", "Kerja Sama Operasi", as a
# whole word, at the start or at the end (optionally in parentheses).
_MARK = r"(?:k\.?\s?s\.?\s?o\.?|j\.?\s?o\.?|joint\s+operations?|konsorsium|kerja\s*sama\s+operasi)"
_LEADING = re.compile(rf"^\s*\(?{_MARK}\)?(?:\s*[:.\-–—]\s*|\s+)", re.IGNORECASE)
_TRAILING = re.compile(rf"(?:\s*[,\-–—]\s*|\s+)\(?{_MARK}\)?\s*$", re.IGNORECASE)
# Members are separated by a dash or an ampersand between spaces ("Tiga-Putra" is one name), a
# slash, a semicolon, or " dan " / " and " / "+".
_ONLY_MARK = re.compile(rf"^\s*\(?{_MARK}\)?\s*$", re.IGNORECASE)
_SEPARATOR = re.compile(r"(\s+[-–—&+]\s+|\s*[–—&;/+]\s*|\s+(?:dan|and)\s+)", re.IGNORECASE)
# A member is a firm, and a firm has a legal form: a piece without one is part of a firm's name that
# holds a separator itself ("CV. Maju & Jaya Bersama").
_FORM = re.compile(r"\b(?:pt|cv|fa|firma|ud|pd|koperasi|kop|persero|perum|tbk)\b\.?", re.IGNORECASE)
_FORM_FIRST = re.compile(rf"^\s*{_FORM.pattern}", re.IGNORECASE)


def is_consortium(name: str) -> bool:
    """Whether ``name`` says it is a consortium (a KSO/JO/Konsorsium mark at its start or end)."""
    return bool(_LEADING.search(name) or _TRAILING.search(name) or _ONLY_MARK.match(name))


def members(name: str) -> tuple[str, ...]:
    """The member firms named in a consortium's name, in order; a single firm's name (no consortium
    mark) is its only member. A consortium named by its mark alone (``KSO``) has no members.

    >>> members("KSO PT. Karya Abadi - CV. Mitra Jaya")
    ('PT. Karya Abadi', 'CV. Mitra Jaya')
    >>> members("KARYA ABADI, PT & MITRA JAYA, CV (KSO)")
    ('KARYA ABADI, PT', 'MITRA JAYA, CV')
    >>> members("CV. Tiga-Putra")
    ('CV. Tiga-Putra',)
    """
    stripped = name.strip()
    if not is_consortium(stripped):
        return (stripped,) if stripped else ()
    if _ONLY_MARK.match(stripped):
        return ()
    rest = _TRAILING.sub("", _LEADING.sub("", stripped, count=1), count=1)
    pieces = _SEPARATOR.split(rest)
    parts, separators = pieces[0::2], pieces[1::2]
    if any(_FORM.search(part) for part in parts):
        parts = _firms(parts, separators)
    return tuple(part.strip(" ,.:") for part in parts if part.strip(" ,.:"))


def _firms(parts: list[str], separators: list[str]) -> list[str]:
    """Glue the pieces without a legal form to the firm they belong to: a firm whose form comes first
    (``CV. Maju & Jaya``) takes the pieces after it, one whose form comes last (``MAJU & JAYA, CV``)
    the pieces before it."""
    firms: list[str] = []
    pending = ""  # pieces waiting for the firm they begin
    takes_more = False  # the last firm's form came first: what follows without a form is its name
    for i, part in enumerate(parts):
        joined = separators[i - 1] if i else ""
        if _FORM_FIRST.search(part):
            if pending:
                firms.append(pending)
            firms.append(part)
            pending, takes_more = "", True
        elif _FORM.search(part):
            firms.append(pending + joined + part if pending else part)
            pending, takes_more = "", False
        elif takes_more and firms:
            firms[-1] += joined + part
        else:
            pending = pending + joined + part if pending else part
    if pending:
        if firms:
            firms[-1] += separators[-1] + pending
        else:
            firms.append(pending)
    return firms
