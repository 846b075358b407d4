"""How well one registration fits one contract: the evidence the matcher weighs.

Each piece of evidence is a similarity in 0..1; the *score* is their weighted mean over the pieces
that exist (a blank NPWP is no evidence either way) and ranks candidates. A *contradiction* vetoes a
pair whatever its score: a different NPWP, a clearly different vendor, a value far off, or periods
months apart. This is what stops a typo that turns one contract's number into another's from
linking the wrong contract. Who registered (NPWP, vendor) is the one contradiction that is weighed
instead where the project's own evidence is strong — the number and the value to the rupiah
(:meth:`Evaluator.despite_vendor`), or without a number the value, dates and title of the only
contract that fits (:func:`fits_by_project`): a consortium's partner registers under its own name.

Without a matching number, NPWP and vendor name only say *who* registered, not *which* project:
a contractor with an unregistered APBD contract may well have registered a private project of a
similar size. So the NPWP and fuzzy stages also count *project points* — the number one or two
characters off, the same value, the coverage starting when the contract did, the same title —
and a different number typed counts against (:func:`project_points`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import LCSseq, Levenshtein

from monitor.compute.columns import column
from monitor.matching.features import NO_KEY, NO_VENDOR, ContractSide, Features
from monitor.matching.normalize import title_key
from monitor.records import ContractState, RegistrationState

# Number relations, strongest first.
EXACT, NORMALIZED, NEAR, SIMILAR, DIFFERENT = "exact", "normalized", "near", "similar", "different"
UNKNOWN = "?"  # the caller has not compared the numbers yet
_NUMBER_SIMILARITY = {EXACT: 1.0, NORMALIZED: 0.97, NEAR: 0.85, SIMILAR: 0.6, DIFFERENT: 0.0}
_NUMBER_POINTS = {EXACT: 3, NORMALIZED: 3, NEAR: 2, SIMILAR: 1, DIFFERENT: -1, None: 0}
# How much each piece of evidence weighs in the score (they need not sum to 1: the score is a mean).
_W_NUMBER, _W_NPWP, _W_VENDOR, _W_VALUE, _W_DATES, _W_TITLE = 0.30, 0.25, 0.15, 0.15, 0.10, 0.05

# Below this two vendor names belong to different companies (unless the NPWP agrees): company names
# share a small vocabulary (KARYA, JAYA, MANDIRI...), so unrelated names often score 0.5-0.6.
VENDOR_CONTRADICTS = 0.7
VALUE_CONTRADICTS = 0.6  # registered value below 60% (or above 1/0.6) of the contract's: another project
# Between this and VALUE_CONTRADICTS the value disagrees without ruling the pair out: a number
# match is then only trusted if no contract fits better (see the matcher's last stage).
VALUE_AGREES = 0.85
DATES_CONTRADICT = 180  # days between the coverage period and the contract period

# Who registered (the NPWP, the vendor's name) is weaker evidence than which project: a KSO's partner,
# the consortium itself or a firm lending its name registers under its own name and NPWP. A pair the
# number names and the value confirms to the rupiah is not vetoed for these alone (see
# :func:`despite_vendor`); it links with a score of at most OTHER_NAME_SCORE, for a human to review.
WHO = frozenset({"npwp", "penyedia"})
VALUE_ROUNDING = 1  # rupiah: a registered value this close to the contract's is the same value
OTHER_NAME_SCORE = 0.75
OTHER_NAME_TEXT = "penyedia berbeda: kemungkinan anggota KSO / nama lain"
# The same, where the vendor's name agrees and only the NPWP is another firm's (a member's own NPWP).
OTHER_NPWP_TEXT = "NPWP pendaftar berbeda: kemungkinan anggota KSO / nama lain"
# Without a number, a project fits by value alone only with coverage starting this close to the
# contract's start and a title at least this similar (stage 6).
FITTING_START_DAYS = 14
FITTING_TITLE = 0.8


@dataclass(slots=True)  # not frozen: a frozen dataclass is slower to build, and there are millions
class Assessment:
    score: float
    number: str | None  # exact|normalized|near|different, None when the registration has no number
    npwp: str | None  # same|different, None when either side lacks one
    vendor: float | None  # None when not compared (the NPWP agrees) or a name is blank
    value_ratio: float | None
    date_gap: int  # days between the periods, 0 when they overlap
    start_diff: int  # days between the coverage start and the contract's start
    date_similarity: float
    title: float | None
    contradictions: tuple[str, ...]
    consortium: bool = False  # the vendor agrees as a consortium's member (one side names a KSO)
    other_name: bool = False  # linked despite who registered (see WHO): the project's evidence decided
    shared: bool = False  # one of the few assessments shared by every pair on which everything agrees


class Evaluator:
    """Computes :class:`Assessment`s from the :class:`~monitor.matching.features.Features` of both
    sides. The vendor name is compared only when the NPWP cannot tell (missing on either side):
    an agreeing NPWP identifies the contractor better than any spelling of its name."""

    def __init__(self, contracts: Sequence[ContractState], registrations: Sequence[RegistrationState],
                 contract_side: ContractSide | None = None) -> None:
        self.contracts = contracts
        self.registrations = registrations
        # The columns the comparisons read (a table's own: see monitor.compute.columns).
        self.c_title, self.r_title = column(contracts, "nama_paket"), column(registrations, "nama_proyek")
        self.f = Features(contracts, registrations, contract_side)
        self._title: dict[str, str] = {}
        self._details: dict[tuple[Any, ...], Mapping[str, Any]] = {}

    def vendor_similarity(self, a: int, b: int) -> float | None:
        """Similarity of two vendor ids (see :meth:`vendor_evidence`)."""
        return self.vendor_evidence(a, b)[0]

    def contract_vendor_evidence(self, ci: int, b: int) -> tuple[float | None, bool]:
        """:meth:`vendor_evidence` of contract ``ci``'s vendor and vendor id ``b``, the contract's
        members being those its source names too (:meth:`Features.contract_members`)."""
        f = self.f
        return self.vendor_evidence(f.contract_vendor(ci), b, f.contract_members(ci))

    def vendor_evidence(self, a: int, b: int, members_a: tuple[str, ...] | None = None) -> tuple[float | None, bool]:
        """Similarity of two vendor ids — of their names, or where they do not agree whole and either
        is a consortium, the best of any member with any member (a KSO registered by its lead, a
        partner registering for the KSO) — and whether the members decided; ``members_a``, where
        given, are ``a``'s members instead of those its name gives. Not cached: pairs of
        distinct names seldom meet twice (under one in ten), and a cache of them grew by a hundred
        megabytes at a million records."""
        if a == NO_VENDOR or b == NO_VENDOR:
            return None, False
        if a == b:
            return 1.0, False
        f = self.f
        names = f.vendor_names
        whole = vendor_similarity(names[a], names[b])
        if whole >= VENDOR_CONTRADICTS:
            return round(whole, 2), False
        firms_a = f.vendor_members(a) if members_a is None else members_a
        firms_b = f.vendor_members(b)
        if not firms_a and not firms_b:
            return round(whole, 2), False
        best = max(vendor_similarity(x, y) for x in firms_a or (names[a],) for y in firms_b or (names[b],))
        if round(best, 2) >= VENDOR_CONTRADICTS:
            return round(best, 2), True
        return round(max(whole, best), 2), False

    def same_value(self, ci: int, ri: int) -> bool:
        """Is the registered value the contract's, current or original, to within a rupiah's rounding?"""
        f = self.f
        registered = f.r_value[ri]
        return registered > 0 and (abs(registered - f.c_nilai[ci]) <= VALUE_ROUNDING
                                   or abs(registered - f.c_nilai_awal[ci]) <= VALUE_ROUNDING)

    def despite_vendor(self, ci: int, ri: int, a: Assessment) -> Assessment | None:
        """``a`` (assessed in full: not ``discard_contradicted``) weighed instead of vetoed where only
        who registered contradicts it and the number (the same, or the same normalized) and the value
        (:meth:`same_value`) say which project; ``None`` where that is not so."""
        if a.number not in (EXACT, NORMALIZED) or not only_who_contradicts(a) or not self.same_value(ci, ri):
            return None
        return as_other_name(a)

    def title(self, raw: str) -> str:
        key = self._title.get(raw)
        if key is None:
            key = self._title[raw] = title_key(raw)
        return key

    def number_relation(self, ci: int, ri: int) -> str | None:
        f = self.f
        rhash = f.r_hash[ri]
        if rhash == NO_KEY:
            return None
        chash = f.c_hash[ci]
        if chash == NO_KEY:
            return DIFFERENT
        if chash == rhash and f.typed_exactly(ci, ri):
            return EXACT
        ckey, rkey = f.contract_key(ci), f.registration_key(ri)
        assert ckey is not None and rkey is not None
        return NORMALIZED if ckey == rkey else number_relation(ckey, rkey)

    def assess(
        self, ci: int, ri: int, number: str | None = UNKNOWN, with_title: bool = False,
        discard_contradicted: bool = False,
    ) -> Assessment:
        """The evidence for contract ``ci`` and registration ``ri`` (indices). Pass ``number`` when
        the caller already knows the number relation; ``with_title`` adds the (slower) title
        comparison, used where several contracts of one vendor compete. A caller that throws a
        contradicted pair away says ``discard_contradicted``: the evidence is then weighed only up
        to the first contradiction, and the title not compared (three in four contested pairs are
        contradicted). Written flat: it runs once per candidate
        pair, a million times a run."""
        f = self.f
        if number == UNKNOWN:
            number = self.number_relation(ci, ri)
        c_npwp, r_npwp, registered = f.c_npwp[ci], f.r_npwp[ri], f.r_value[ri]
        start, masa_awal = f.c_start[ci], f.r_masa_awal[ri]
        if (
            # The usual case, decided without building anything: every piece of evidence agrees.
            not with_title and number is not None and c_npwp and c_npwp == r_npwp and start == masa_awal
            and (registered == f.c_nilai[ci] or registered == f.c_nilai_awal[ci])
            and f.r_masa_akhir[ri] >= start and masa_awal <= f.c_end[ci]
            and f.r_daftar[ri] >= f.c_signed[ci] - _GRACE_DAYS
        ):
            return _AGREEING[number]
        contradictions: tuple[str, ...] = ()
        if number is None:
            total = weight = 0.0
        else:
            total, weight = _W_NUMBER * _NUMBER_SIMILARITY[number], _W_NUMBER

        npwp = vendor = None
        consortium = False
        if c_npwp and r_npwp:
            weight += _W_NPWP
            if c_npwp == r_npwp:
                npwp = "same"
                total += _W_NPWP
            else:
                npwp = "different"
                contradictions += ("npwp",)
                if discard_contradicted:  # the caller throws the pair away: weigh nothing more
                    return Assessment(0.0, number, npwp, None, None, 0, 0, 0.0, None, contradictions)
        if npwp != "same":
            vendor, consortium = self.contract_vendor_evidence(ci, f.registration_vendor(ri))
            if vendor is not None:
                total += _W_VENDOR * vendor
                weight += _W_VENDOR
                if vendor < VENDOR_CONTRADICTS:
                    contradictions += ("penyedia",)
                    if discard_contradicted:
                        return Assessment(0.0, number, npwp, vendor, None, 0, 0, 0.0, None, contradictions)

        nilai, nilai_awal = f.c_nilai[ci], f.c_nilai_awal[ci]
        ratio = ratio_of_values(nilai, nilai_awal, registered)
        if ratio is not None:
            # Only an equal value scores 1: among a vendor's contracts the exact one must win.
            equal = registered in (nilai, nilai_awal)
            total += _W_VALUE * (1.0 if equal else max(0.0, min(0.99, (ratio - 0.5) / 0.5)))
            weight += _W_VALUE
            if ratio < VALUE_CONTRADICTS:
                contradictions += ("nilai",)

        # Days: the gap between the contract period and the coverage period (0 when they overlap
        # and the registration was not made long before the contract), and between their starts.
        end, masa_akhir = f.c_end[ci], f.r_masa_akhir[ri]
        gap = 0
        if masa_awal > end:
            gap = masa_awal - end
        elif start > masa_akhir:
            gap = start - masa_akhir
        early = f.c_signed[ci] - f.r_daftar[ri] - _GRACE_DAYS
        if early > gap:
            gap = early
        start_diff = masa_awal - start if masa_awal >= start else start - masa_awal
        if gap == 0 and start_diff == 0:
            dates = 1.0
        else:
            dates = round(0.5 * max(0.0, 1 - gap / DATES_CONTRADICT) + 0.5 * max(0.0, 1 - start_diff / 90), 3)
        total += _W_DATES * dates
        weight += _W_DATES
        if gap > DATES_CONTRADICT:
            contradictions += ("tanggal",)

        title = None
        if with_title and not (discard_contradicted and contradictions):
            c_title = self.title(self.c_title[ci])
            r_title = self.title(self.r_title[ri])
            if c_title and r_title:
                title = round(fuzz.token_sort_ratio(c_title, r_title) / 100, 2)
                total += _W_TITLE * title
                weight += _W_TITLE

        return Assessment(
            round(total / weight, 3), number, npwp, vendor, ratio, gap, start_diff, dates, title, contradictions,
            consortium,
        )

    def details(self, assessment: Assessment, method: str) -> Mapping[str, Any]:
        """The link's explanation. Shared between links with the same evidence: a million links must
        not carry a million dictionaries."""
        a = assessment
        key = (method, a.number, a.npwp, a.vendor, a.value_ratio, a.date_gap, a.title, a.consortium, a.other_name)
        found = self._details.get(key)
        if found is None:
            _, number, npwp, vendor, ratio, gap, title, consortium, other_name = key
            values: dict[str, Any] = {"number": number, "npwp": npwp, "vendor": vendor, "value_ratio": ratio,
                                      "date_gap_days": gap}
            if title is not None:
                values["title"] = title
            if consortium:
                values["consortium"] = True
            if other_name:
                values["other_name"] = True
            values["evidence"] = decided_by(a)
            values["reason"] = explain(method, number, npwp, vendor, ratio, gap, title, consortium, other_name)
            found = self._details[key] = MappingProxyType(values)
        return found


def vendor_similarity(a: str, b: str, cutoff: float = 0) -> float:
    """0..1 for two vendor keys: the better of the plain and the word-order-blind ratio, so both
    ``ABADI KARYA`` for ``KARYA ABADI`` and a dropped first letter (``ARAPAN`` for ``HARAPAN``,
    which moves the word when sorted) score high. Below ``cutoff`` (0..100) it returns 0."""
    return max(fuzz.ratio(a, b, score_cutoff=cutoff), fuzz.token_sort_ratio(a, b, score_cutoff=cutoff)) / 100


def ratio_of_values(nilai: int, nilai_awal: int, registered: int) -> float | None:
    """min/max of the registered value and the contract's value, current or original (contractors
    register the value they signed; an addendum may change it later), to 3 decimals."""
    if registered <= 0:
        return None
    best = 0.0
    for value in (nilai, nilai_awal):
        if value > 0:
            ratio = value / registered if value < registered else registered / value
            if ratio > best:
                best = ratio
    return round(best, 3) if best else None


def number_relation(ckey: str, rkey: str) -> str:
    """How two different number keys relate: NEAR is one edit apart (a typo); SIMILAR is two edits
    apart, or all but one of the shorter key's segments in order in the longer, with the same
    leading number or at least four segments (``027/2026``, ``027/14/SPK/PUPR/3/TA/2026``, ``SPMK``
    for ``SPK``, ``14/SPK/PUPR/7/TA/2026`` for ``3324/14/SPK/PUPR/7/2026``)."""
    distance = Levenshtein.distance(ckey, rkey, score_cutoff=2)
    if distance <= 1:
        return NEAR
    if distance == 2:
        return SIMILAR
    ctokens, rtokens = ckey.split("/"), rkey.split("/")
    shorter = min(len(ctokens), len(rtokens))
    common = LCSseq.similarity(ctokens, rtokens)
    if shorter >= 2 and ctokens[0] == rtokens[0] and common >= max(2, shorter - 1):
        return SIMILAR
    if shorter >= 4 and common >= shorter - 1:  # "14 SPK-PUPR VII TA 2026" for 3324/14/SPK-PUPR/VII/2026
        return SIMILAR
    return DIFFERENT


def project_points(a: Assessment) -> int:
    """Evidence that the pair is the same *project* (not just the same contractor)."""
    points = _NUMBER_POINTS[a.number]
    ratio = a.value_ratio
    if ratio is not None:
        points += 2 if ratio >= 0.999 else 1 if ratio >= 0.97 else -1 if ratio < 0.85 else 0
    if a.date_gap == 0 and a.start_diff <= 14:
        points += 1
    elif a.date_gap > 60:
        points -= 1
    if a.title is not None and a.title >= 0.9:
        points += 1
    return points


def acceptable_by_npwp(a: Assessment) -> bool:
    """Stage 2: the NPWP agrees (the caller checked); does the project?"""
    return not a.contradictions and project_points(a) >= 2


def decided_by(a: Assessment) -> list[str]:
    """The evidence that agreed, for a reviewer to read at a glance: ``number`` (the same, normalized
    or a typo), ``value`` (within 15%), ``dates`` (coverage within the contract's period),
    ``vendor`` or ``consortium_member``, ``npwp``, ``title`` (80% alike)."""
    agreed = []
    if a.number in (EXACT, NORMALIZED, NEAR):
        agreed.append("number")
    if a.value_ratio is not None and a.value_ratio >= VALUE_AGREES:
        agreed.append("value")
    if a.date_gap == 0:
        agreed.append("dates")
    if a.vendor is not None and a.vendor >= VENDOR_CONTRADICTS:
        agreed.append("consortium_member" if a.consortium else "vendor")
    if a.npwp == "same":
        agreed.append("npwp")
    if a.title is not None and a.title >= FITTING_TITLE:
        agreed.append("title")
    return agreed


def only_who_contradicts(a: Assessment) -> bool:
    """Whether ``a`` is contradicted, and only by who registered (NPWP, vendor name)."""
    return bool(a.contradictions) and WHO.issuperset(a.contradictions)


def as_other_name(a: Assessment) -> Assessment:
    """``a`` linked despite who registered: flagged, and scored below the links whose vendor agrees."""
    return replace(a, score=min(a.score, OTHER_NAME_SCORE), other_name=True, shared=False)


def fits_by_project(a: Assessment) -> bool:
    """Stage 6: with no number naming the contract and who registered unknown or other, the project
    alone must fit — the value (the caller checked it to the rupiah), coverage within the contract's
    period and starting with it, and the same title (assessed ``with_title``)."""
    return (
        (not a.contradictions or only_who_contradicts(a))
        and a.date_gap == 0 and a.start_diff <= FITTING_START_DAYS
        and a.title is not None and a.title >= FITTING_TITLE
    )


def acceptable_by_fuzzy(a: Assessment) -> bool:
    """Stage 3: who (NPWP, vendor name, or a number one edit away) and which project."""
    if a.contradictions:
        return False
    if a.npwp == "same" or (a.vendor or 0.0) >= 0.85 or a.number == NEAR:
        return project_points(a) >= 3
    return False


_GRACE_DAYS = 30  # a registration may precede the signed contract by this much

# Number relation -> the assessment of a pair on which everything else agrees (shared: most pairs).
_AGREEING = {
    number: Assessment(
        round((_W_NUMBER * similarity + _W_NPWP + _W_VALUE + _W_DATES) / (_W_NUMBER + _W_NPWP + _W_VALUE + _W_DATES),
              3),
        number, "same", None, 1.0, 0, 0, 1.0, None, (), shared=True,
    )
    for number, similarity in _NUMBER_SIMILARITY.items()
}


_NUMBER_TEXT = {
    EXACT: "nomor kontrak sama persis",
    NORMALIZED: "nomor kontrak sama setelah penulisan diseragamkan",
    NEAR: "nomor kontrak berbeda satu karakter",
    SIMILAR: "nomor kontrak mirip",
    DIFFERENT: "nomor kontrak berbeda",
    None: "nomor kontrak kosong di BPJS",
}


def explain(
    method: str, number: str | None, npwp: str | None, vendor: float | None, ratio: float | None, gap: int,
    title: float | None, consortium: bool = False, other_name: bool = False,
) -> str:
    """One Indonesian sentence saying why a pair was linked."""
    parts = [_NUMBER_TEXT[number]]
    parts.append({"same": "NPWP sama", "different": "NPWP berbeda", None: "NPWP tidak tersedia"}[npwp])
    if vendor is not None:
        said = "nama penyedia sama" if vendor >= 0.995 else f"nama penyedia mirip {vendor:.0%}"
        parts.append(f"anggota KSO: {said}" if consortium else said)
    if ratio is not None:
        parts.append("nilai sama" if ratio >= 0.999 else f"nilai selisih {1 - ratio:.1%}".replace(".", ","))
    parts.append("masa kepesertaan sesuai masa kontrak" if gap == 0 else f"masa kepesertaan berjarak {gap} hari")
    if title is not None:
        parts.append(f"nama paket mirip {title:.0%}")
    if other_name:
        name_agrees = vendor is not None and vendor >= VENDOR_CONTRADICTS
        parts.append(OTHER_NPWP_TEXT if name_agrees else OTHER_NAME_TEXT)
    return f"{method}: " + "; ".join(parts)
