"""Is a contract in Jakon's scope? Construction works and construction consultancy are; goods and
other services are not (PP 44/2015 art. 53: the obligation is on construction employers).

Where the source says the procurement type (SPSE's ``jenis_pengadaan``, OCDS's
``mainProcurementCategory``), that decides. Where it does not (SPSE's contract dataset alone), a keyword
classifier on the package name guesses, and the contract records that it was guessed, so the monev can
review those (``pantau contracts --scope out``). The words are configurable (``[scope]``).
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.settings import ScopeSettings


@dataclass(frozen=True, slots=True)
class Scope:
    in_scope: bool
    jenis_pekerjaan: str  # konstruksi|konsultansi (out of scope: the closest, konstruksi)
    reason: str  # Indonesian, for `pantau contracts`
    guessed: bool


class ScopeClassifier:
    def __init__(self, settings: ScopeSettings) -> None:
        self._jenis = {" ".join(k.casefold().split()): v for k, v in settings.jenis_pengadaan.items()}
        self._words = (
            [(w.casefold(), None) for w in settings.out_keywords]
            + [(w.casefold(), "konsultansi") for w in settings.konsultansi_keywords]
            + [(w.casefold(), "konstruksi") for w in settings.konstruksi_keywords]
        )

    def by_type(self, jenis_pengadaan: str) -> Scope:
        """From the source's procurement type (SPSE's jenis_pengadaan)."""
        found = self._jenis.get(" ".join(jenis_pengadaan.casefold().split()))
        if found is None:
            return Scope(False, "konstruksi", f"jenis pengadaan '{jenis_pengadaan}' bukan konstruksi", False)
        return Scope(True, found, f"jenis pengadaan '{jenis_pengadaan}'", False)

    def by_name(self, nama_paket: str) -> Scope:
        """A guess from the package name: the first configured word found decides (out-of-scope words
        first); no word found is out of scope."""
        # Padded so a word list entry like "rehab " also matches at the end of the name.
        text = f" {' '.join(nama_paket.casefold().split())} "
        for word, jenis in self._words:
            if word in text:
                if jenis is None:
                    return Scope(False, "konstruksi", f"tebakan dari nama paket: '{word.strip()}' bukan konstruksi",
                                 True)
                return Scope(True, jenis, f"tebakan dari nama paket: '{word.strip()}'", True)
        return Scope(False, "konstruksi", "tebakan dari nama paket: tidak ada kata kunci konstruksi", True)
