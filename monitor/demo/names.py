"""Vendors, NPWPs and package titles, and the other ways each is written down.

The contract file and the BPJS export name the same vendor differently (``PT. Karya Abadi`` /
``KARYA ABADI, PT``) and write the NPWP with or without punctuation, or in the 16-digit form
introduced in 2024; titles are retyped upper-case and abbreviated.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from monitor.demo.reference import OpdInfo, Reference

KPP_JAMBI = ("331", "332", "333")  # invented tax-office codes for Jambi
_SUFFIXES = ("", "II", "88", "Sejati", "Prima", "2000", "Sakti", "III", "Indah", "99", "Perdana", "Anugerah")


@dataclass(frozen=True, slots=True)
class Vendor:
    # Kept small: a benchmark year has a hundred thousand of them in every worker process.
    form: str  # PT or CV
    name: str  # "Karya Abadi Jaya"
    npwp: str  # 15 digits
    npp: str  # BPJS company number
    new_npwp: bool  # writes the 16-digit NPWP in contracts since 2024

    @property
    def official(self) -> str:
        return f"{self.form}. {self.name}"

    @property
    def npwp_dotted(self) -> str:
        """01.234.567.8-331.000"""
        n = self.npwp
        return f"{n[:2]}.{n[2:5]}.{n[5:8]}.{n[8]}-{n[9:12]}.{n[12:]}"


def make_vendors(ref: Reference, rng: random.Random, count: int) -> list[Vendor]:
    """``count`` distinct vendors with distinct NPWPs; the reference's special names come first."""
    names: list[tuple[str, str]] = []
    seen: set[str] = set()
    for special in ref.vendor_special:
        form, _, name = special.partition(". ")
        names.append((form, name))
        seen.add(name.casefold())
    first, second, third = ref.vendor_first, ref.vendor_second, ref.vendor_third
    suffixes = (*_SUFFIXES, *(f"{word} {suffix}" for word in first[:12] for suffix in _SUFFIXES[1:]))
    while len(names) < count:
        a = first[int(rng.random() * len(first))]
        b = second[int(rng.random() * len(second))]
        c = third[int(rng.random() * len(third))]
        if a == b or b == c:
            continue
        name = f"{a} {b} {c}".strip()
        # Past the few thousand plain combinations (large benchmark years), add what real
        # firms add to a taken name.
        for suffix in suffixes:
            candidate = f"{name} {suffix}".strip()
            if candidate.casefold() not in seen:
                break
        else:
            candidate = f"{name} {len(names)}"
        seen.add(candidate.casefold())
        names.append(("PT" if rng.random() < 0.38 else "CV", candidate))
    # Distinct serials make distinct NPWPs (and NPPs), however many vendors a benchmark needs.
    serials = rng.sample(range(100_000, 1_000_000), len(names)) if len(names) < 800_000 else list(
        range(100_000, 100_000 + len(names)))
    npps = rng.sample(range(10_000_000, 99_999_999), len(names))
    vendors = []
    for (form, name), serial, npp in zip(names, serials, npps, strict=True):
        kind = "01" if form == "PT" else ("02", "03", "31")[int(rng.random() * 3)]
        check = str(int(rng.random() * 10))
        npwp = f"{kind}{serial:06d}{check}{KPP_JAMBI[int(rng.random() * 3)]}000"
        vendors.append(Vendor(form, name, npwp, str(npp), rng.random() < 0.1))
    return vendors


def contract_npwp(vendor: Vendor, r: float) -> str | None:
    if r < 0.04:
        return None
    if vendor.new_npwp:
        return "0" + vendor.npwp
    return vendor.npwp_dotted if r < 0.65 else vendor.npwp


def bpjs_npwp(vendor: Vendor, r: float) -> str | None:
    if r < 0.12:
        return None
    if vendor.new_npwp and r < 0.5:
        return "0" + vendor.npwp
    return vendor.npwp_dotted if r < 0.62 else vendor.npwp


def contract_vendor_name(vendor: Vendor, r: float) -> str:
    if r < 0.55:
        return f"{vendor.form}. {vendor.name}"
    return f"{vendor.form} {vendor.name}" if r < 0.8 else f"{vendor.form}. {vendor.name.upper()}"


def bpjs_vendor_name(vendor: Vendor, rng: random.Random) -> tuple[str, bool]:
    """The name as typed at BPJS: upper case, the form after a comma, sometimes a letter short
    (the flag says so)."""
    r = rng.random()
    name = vendor.name.upper()
    typo = False
    if rng.random() < 0.06:
        words = name.split()
        i = int(rng.random() * len(words))
        word = words[i]
        if len(word) > 4:
            j = 1 + int(rng.random() * (len(word) - 2))
            words[i] = word[:j] + word[j + 1:]
            name = " ".join(words)
            typo = True
    form = vendor.form
    if r < 0.4:
        return f"{name}, {form}", typo
    if r < 0.65:
        return f"{form}. {name}", typo
    return (f"{form} {name}" if r < 0.88 else f"{name} {form}"), typo


def consortium_name(members: list[str], style: int) -> str:
    """A consortium (KSO) named from its members, in one of the forms clerks write
    (:func:`monitor.matching.consortium.members` reads them all)."""
    forms = (
        ("KSO ", " - ", ""), ("KSO ", " & ", ""), ("", " - ", " (KSO)"), ("KSO ", " – ", ""),
        ("JO ", " - ", ""), ("Konsorsium ", " - ", ""),
    )
    before, between, after = forms[style % len(forms)]
    return f"{before}{between.join(members)}{after}"


# --- package titles -------------------------------------------------------------------------------

class Place(NamedTuple):
    kecamatan: str
    kelurahan: str
    rt: int


Template = Callable[[Reference, random.Random, Place, OpdInfo], str]


def _pick(rng: random.Random, items: tuple[str, ...]) -> str:
    return items[int(rng.random() * len(items))]


def _sd(rng: random.Random) -> int:
    return 1 + int(rng.random() * 220)


def _smp(rng: random.Random) -> int:
    return 1 + int(rng.random() * 25)


TITLES: dict[str, tuple[Template, ...]] = {
    "PUPR": (
        lambda ref, rng, p, o: f"Peningkatan Jalan {_pick(rng, ref.streets)}",
        lambda ref, rng, p, o: f"Pemeliharaan Berkala Jalan {_pick(rng, ref.streets)}",
        lambda ref, rng, p, o: f"Rehabilitasi Drainase {_pick(rng, ref.streets)}",
        lambda ref, rng, p, o: f"Pembangunan Drainase Lrg. {_pick(rng, ref.lorong)} Kel. {p.kelurahan}",
        lambda ref, rng, p, o: f"Pembangunan Turap {_pick(rng, ref.rivers)} Kel. {p.kelurahan}",
        lambda ref, rng, p, o: f"Normalisasi {_pick(rng, ref.rivers)} Segmen {1 + int(rng.random() * 6)}",
        lambda ref, rng, p, o: f"Pembangunan Jembatan Lrg. {_pick(rng, ref.lorong)} Kel. {p.kelurahan}",
        lambda ref, rng, p, o: f"Pembangunan Trotoar {_pick(rng, ref.streets)}",
        lambda ref, rng, p, o: f"Overlay Jalan {_pick(rng, ref.streets)} Segmen {1 + int(rng.random() * 4)}",
    ),
    "PERKIM": (
        lambda ref, rng, p, o: f"Peningkatan Jalan Lingkungan RT {p.rt:02d} Kel. {p.kelurahan}",
        lambda ref, rng, p, o: f"Pembangunan Drainase Lingkungan RT {p.rt:02d} Kel. {p.kelurahan}",
        lambda ref, rng, p, o: f"Penataan Kawasan Permukiman Kumuh Kel. {p.kelurahan}",
        lambda ref, rng, p, o: f"Pembangunan IPAL Komunal RT {p.rt:02d} Kel. {p.kelurahan}",
        lambda ref, rng, p, o: f"Pembangunan Penerangan Jalan Lingkungan Kel. {p.kelurahan}",
        lambda ref, rng, p, o: (f"Rehabilitasi Rumah Tidak Layak Huni Kel. {p.kelurahan} "
                                f"Tahap {1 + int(rng.random() * 3)}"),
        lambda ref, rng, p, o: (f"Pengadaan dan Pemasangan Paving Block Lrg. {_pick(rng, ref.lorong)} "
                                f"Kel. {p.kelurahan}"),
        lambda ref, rng, p, o: f"Penataan {_pick(rng, ref.parks)}",
    ),
    "DISDIK": (
        lambda ref, rng, p, o: f"Rehabilitasi Ruang Kelas SD Negeri {_sd(rng)}/IV Kota Jambi",
        lambda ref, rng, p, o: f"Pembangunan Ruang Kelas Baru SD Negeri {_sd(rng)}/IV Kota Jambi",
        lambda ref, rng, p, o: f"Rehabilitasi Toilet SMP Negeri {_smp(rng)} Kota Jambi",
        lambda ref, rng, p, o: f"Pembangunan Pagar SD Negeri {_sd(rng)}/IV Kota Jambi",
        lambda ref, rng, p, o: f"Rehabilitasi Ruang Guru SMP Negeri {_smp(rng)} Kota Jambi",
        lambda ref, rng, p, o: f"Pembangunan Perpustakaan SD Negeri {_sd(rng)}/IV Kota Jambi",
    ),
    "DINKES": (
        lambda ref, rng, p, o: f"Rehabilitasi Gedung {_pick(rng, ref.puskesmas)}",
        lambda ref, rng, p, o: f"Pembangunan Puskesmas Pembantu Kel. {p.kelurahan}",
        lambda ref, rng, p, o: f"Pembangunan Ruang Farmasi {_pick(rng, ref.puskesmas)}",
        lambda ref, rng, p, o: f"Rehabilitasi Pagar dan Halaman {_pick(rng, ref.puskesmas)}",
    ),
    "RSUD": (
        lambda ref, rng, p, o: (f"Pembangunan Gedung Rawat Inap Kelas III Tahap {1 + int(rng.random() * 3)} "
                                "RSUD H. Abdul Manap"),
        lambda ref, rng, p, o: "Renovasi Ruang IGD RSUD H. Abdul Manap",
        lambda ref, rng, p, o: "Pembangunan Instalasi Pengolahan Air Limbah RSUD H. Abdul Manap",
        lambda ref, rng, p, o: f"Rehabilitasi Ruang Operasi {1 + int(rng.random() * 4)} RSUD H. Abdul Manap",
        lambda ref, rng, p, o: "Pembangunan Gedung Parkir RSUD H. Abdul Manap",
        lambda ref, rng, p, o: f"Pembangunan Selasar Penghubung Gedung {_pick(rng, ('A', 'B', 'C', 'D'))} RSUD",
    ),
    "DISHUB": (
        lambda ref, rng, p, o: f"Pemasangan Lampu Penerangan Jalan Umum {_pick(rng, ref.streets)}",
        lambda ref, rng, p, o: f"Pemasangan Rambu dan Marka Jalan {_pick(rng, ref.streets)}",
        lambda ref, rng, p, o: f"Pembangunan Halte {_pick(rng, ref.streets)}",
        lambda ref, rng, p, o: f"Pemasangan Lampu Lalu Lintas Simpang {_pick(rng, ref.streets)[4:]}",
        lambda ref, rng, p, o: f"Pembangunan Terminal Tipe C Kel. {p.kelurahan}",
    ),
    "DLH": (
        lambda ref, rng, p, o: f"Pembangunan TPS 3R Kel. {p.kelurahan}",
        lambda ref, rng, p, o: f"Penataan {_pick(rng, ref.parks)}",
        lambda ref, rng, p, o: f"Pembangunan Bank Sampah Kel. {p.kelurahan}",
        lambda ref, rng, p, o: "Rehabilitasi Gedung UPTD Laboratorium Lingkungan",
    ),
    "DISDAG": (
        lambda ref, rng, p, o: f"Revitalisasi {_pick(rng, ref.markets)}",
        lambda ref, rng, p, o: f"Rehabilitasi Los {_pick(rng, ref.markets)}",
        lambda ref, rng, p, o: f"Pembangunan Kios {_pick(rng, ref.markets)} Blok {_pick(rng, ('A', 'B', 'C', 'D'))}",
    ),
    "DISPORA": (
        lambda ref, rng, p, o: f"Rehabilitasi Lapangan Sepak Bola Kel. {p.kelurahan}",
        lambda ref, rng, p, o: f"Pembangunan Lapangan Futsal Kel. {p.kelurahan}",
        lambda ref, rng, p, o: "Rehabilitasi GOR Kota Baru",
        lambda ref, rng, p, o: "Pembangunan Tribun Stadion Tri Lomba Juang",
    ),
    "DISBUDPAR": (
        lambda ref, rng, p, o: "Penataan Kawasan Wisata Tanggo Rajo",
        lambda ref, rng, p, o: f"Revitalisasi Kawasan Seberang Kota Jambi Kel. {p.kelurahan}",
        lambda ref, rng, p, o: f"Pembangunan Gapura Kampung Wisata Kel. {p.kelurahan}",
    ),
    "DAMKAR": (
        lambda ref, rng, p, o: f"Pembangunan Pos Pemadam Kebakaran Kec. {p.kecamatan}",
        lambda ref, rng, p, o: "Rehabilitasi Markas Komando Pemadam Kebakaran",
    ),
    "BPBD": (
        lambda ref, rng, p, o: f"Pembangunan Tanggul Penahan Banjir {_pick(rng, ref.rivers)} Kel. {p.kelurahan}",
        lambda ref, rng, p, o: f"Pembangunan Turap Darurat Kel. {p.kelurahan}",
        lambda ref, rng, p, o: f"Rehabilitasi Pascabanjir Saluran Kel. {p.kelurahan}",
    ),
    "DINSOS": (
        lambda ref, rng, p, o: "Rehabilitasi Rumah Singgah Dinas Sosial",
        lambda ref, rng, p, o: f"Pembangunan Rumah Layak Huni Kel. {p.kelurahan}",
    ),
    "SATPOLPP": (
        lambda ref, rng, p, o: f"Rehabilitasi Pos Jaga Satpol PP {_pick(rng, ref.streets)}",
        lambda ref, rng, p, o: "Pembangunan Pagar Markas Satpol PP",
    ),
}
GENERIC: tuple[Template, ...] = (
    lambda ref, rng, p, o: f"Rehabilitasi Gedung Kantor {o.aliases[0] if o.aliases else o.name}",
    lambda ref, rng, p, o: f"Pembangunan Pagar Kantor {o.aliases[0] if o.aliases else o.name}",
    lambda ref, rng, p, o: f"Pemeliharaan Gedung Kantor {o.aliases[0] if o.aliases else o.name}",
    lambda ref, rng, p, o: f"Pembangunan Musala Kantor {o.aliases[0] if o.aliases else o.name}",
    lambda ref, rng, p, o: f"Rehabilitasi Ruang Rapat {o.aliases[0] if o.aliases else o.name}",
    lambda ref, rng, p, o: f"Pembangunan Gedung Arsip {o.aliases[0] if o.aliases else o.name}",
)
CONSULTANCY = ("Jasa Konsultansi Perencanaan Teknis ", "Jasa Konsultansi Pengawasan ", "Perencanaan ",
               "Pengawasan Teknis ")


def package_title(ref: Reference, rng: random.Random, place: Place, opd: OpdInfo, consultancy: bool) -> str:
    templates = TITLES.get(opd.code, GENERIC)
    title = templates[int(rng.random() * len(templates))](ref, rng, place, opd)
    if consultancy:
        title = _pick(rng, CONSULTANCY) + title
    return title


_ABBREVIATIONS = (
    (re.compile(r"\bPembangunan\b", re.I), "PEMB."),
    (re.compile(r"\bRehabilitasi\b", re.I), "REHAB"),
    (re.compile(r"\bPeningkatan\b", re.I), "PENINGKT."),
    (re.compile(r"\bKelurahan\b|\bKel\.", re.I), "KEL"),
    (re.compile(r"\bJasa Konsultansi\b", re.I), "KONSULTAN"),
    (re.compile(r"\bNegeri\b", re.I), "N"),
)


def bpjs_title(title: str, year: int, rng: random.Random) -> str:
    """The project name as typed at BPJS."""
    r = rng.random()
    if r < 0.25:
        for pattern, short in _ABBREVIATIONS:
            title = pattern.sub(short, title)
    if rng.random() < 0.6:
        title = title.upper()
    r = rng.random()
    if r < 0.1:
        title = "PEKERJAAN " + title
    elif r < 0.25:
        title = f"{title} TA {year}"
    elif r < 0.3:
        title = f"{title} KOTA JAMBI"
    return title
