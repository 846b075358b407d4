"""Micro-benchmark of the matcher alone: N contracts × N registrations, with the noise contractors
add at BPJS, and ground truth to measure precision and recall.

    .venv/bin/python bench/matching.py [--contracts 1000000] [--seed 1] [--fuzzy-share 0.08] [--registered 0.92]
                                       [--shuffled] [--noise normal|high]

Prints generation time, matching time (wall and CPU, per stage), peak RSS and precision/recall.
``--noise high`` adds the demo's high noise level (monitor.demo.plan.NOISES, the same shares): contracts
won by a consortium (KSO) registered by the consortium, its lead or its partner, registrations under
another firm's name, more blank NPWPs and numbers, more OPDs numbering per PPK per month (numbers
shared between OPDs). Its draws come from a stream of their own: the normal year stays the same.
Not a test. The generated records are laid out in memory as monitor.check.context loads them (rows in
id order, vendor names, NPWPs and dates interned), since at this size memory traffic is the cost.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.demo.plan import NOISES, Noise
from monitor.matching.matcher import _Matcher
from monitor.records import ContractState, RegistrationState

ROMAN = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
OPDS = [f"OPD{i:02d}" for i in range(30)]
WORDS_A = ("Karya", "Jambi", "Sinar", "Cahaya", "Bumi", "Putra", "Mitra", "Bina", "Tunas", "Anugerah", "Berkah",
           "Harapan", "Mega", "Surya", "Bintang", "Prima", "Graha", "Citra", "Duta", "Sumber", "Cipta", "Pilar")
WORDS_B = ("Abadi", "Jaya", "Mandiri", "Sejahtera", "Persada", "Perkasa", "Utama", "Lestari", "Makmur", "Sentosa",
           "Konstruksi", "Bangun", "Teknik", "Nusantara", "Gemilang", "Bersama", "Permai", "Raya", "Agung")
WORKS = ("Peningkatan Jalan", "Rehabilitasi Drainase", "Pembangunan Turap", "Rehabilitasi Ruang Kelas",
         "Pembangunan Pagar", "Pemeliharaan Gedung", "Pembangunan Jembatan", "Penataan Kawasan")
PLACES = ("Kel. Kenali Asam", "Kel. Legok", "Kel. Murni", "Kel. Beringin", "Kel. Kasang", "Kel. Sijenjang",
          "Jl. Sultan Thaha", "Jl. Gatot Subroto", "SD Negeri 12/IV", "Kel. Pasir Putih", "Kel. The Hok")


@dataclass
class Year:
    contracts: list[ContractState]
    registrations: list[RegistrationState]
    truth: set[tuple[int, int]]  # (contract id, registration id)


def generate(n: int, seed: int, fuzzy_share: float = 0.08, registered: float = 0.92, shuffled: bool = False,
             noise: Noise = NOISES["normal"]) -> Year:
    """A year of ``n`` contracts, signed through the year in order (so imported in date order), and
    their registrations listed as BPJS numbers them, by date; ``shuffled`` lists them at random."""
    rng = random.Random(seed)
    noisy = random.Random(f"{seed}:noise")  # the high noise's own draws (see the module docstring)
    year = 2026
    vendors = []
    for i in range(max(50, n // 15)):
        name = f"{rng.choice(WORDS_A)} {rng.choice(WORDS_B)} {i}"
        vendors.append((rng.choice(("PT", "CV")), name, f"{rng.randrange(10**14, 10**15 - 1):015d}"))
    per_ppk = {opd for opd in OPDS if int(opd[3:]) % 3 == 1 or noisy.random() < noise.shared_numbers}
    counters: dict[str, int] = {}
    contracts: list[ContractState] = []
    partners: dict[int, tuple[str, str, str]] = {}  # contract id -> the KSO partner of its vendor
    for ci in range(n):
        opd = OPDS[int(rng.random() ** 2 * len(OPDS))]
        month = 1 + ci * 12 // n
        seq = counters[opd] = counters.get(opd, 0) + 1
        style = 1 if opd in per_ppk else int(opd[3:]) % 3
        if style == 0:
            nomor = f"{seq:03d}/{1 + int(rng.random() * 20):02d}/SPK-{opd}/{ROMAN[month]}/{year}"
        elif style == 1:
            nomor = f"{seq}/SPK/PPK.{1 + int(rng.random() * 3):02d}/{month:02d}/{year}"
        else:
            nomor = f"027/{seq:03d}/SPK/{opd}/{year}"
        form, name, npwp = vendors[int(rng.random() * len(vendors))]
        nilai = int(10 ** (7.7 + rng.random() * 2.3)) // 1000 * 1000
        signed = date(year, month, 1 + int(rng.random() * 28))
        start = signed + timedelta(days=int(rng.random() * 10))
        end = start + timedelta(days=60 + int(rng.random() * 150))
        amended = rng.random() < 0.1
        nama_paket = f"{rng.choice(WORKS)} {rng.choice(PLACES)}"
        penyedia, npwp_penyedia = f"{form}. {name}", None if rng.random() < 0.04 else npwp
        if noise.consortium and noisy.random() < noise.consortium:
            partner = partners[ci] = vendors[int(noisy.random() * len(vendors))]
            if noisy.random() < 0.6:  # SPSE names the consortium (else only its lead)
                penyedia = f"KSO {penyedia} - {partner[0]}. {partner[1]}"
                npwp_penyedia = None if noisy.random() < 0.5 else npwp_penyedia
        contracts.append(ContractState(
            id=ci, opd=opd, opd_known=True, nomor_kontrak=nomor,
            nama_paket=nama_paket, penyedia=sys.intern(penyedia),
            npwp_penyedia=npwp_penyedia, tanggal_kontrak=signed, tanggal_mulai=start,
            nilai_awal=nilai, nilai=int(nilai * 1.08) if amended else nilai, tanggal_selesai_awal=end,
            tanggal_selesai=end + timedelta(days=30) if amended else end,
        ))
    registrations: list[RegistrationState] = []
    truth: set[tuple[int, int]] = set()

    def register(c: ContractState, number: str | None, day: int, status: str = "aktif") -> None:
        # Like monitor.check.context, which interns what repeats (vendor names, NPWPs) when it loads rows.
        form, name = c.penyedia.removeprefix("KSO ").split(" - ")[0].split(". ", 1)
        vendor = f"{name.upper()}, {form}" if rng.random() < 0.5 else f"{form} {name.upper()}"
        if rng.random() < 0.06:
            vendor = vendor[:3] + vendor[4:]
        npwp = None if rng.random() < 0.12 else c.npwp_penyedia
        if noise.name != "normal":
            vendor, npwp, number = _under_another_name(c, vendor, npwp, number)
        registrations.append(RegistrationState(
            id=len(registrations), nomor_registrasi=f"JK{year}{len(registrations):08d}", nomor_kontrak=number,
            nama_proyek=c.nama_paket.upper(), penyedia=sys.intern(vendor), npwp_penyedia=npwp,
            nilai_kontrak_terdaftar=c.nilai_awal, iuran_dibayar=c.nilai_awal * 24 // 10000,
            tanggal_daftar=c.tanggal_kontrak + timedelta(days=day), masa_awal=c.tanggal_mulai or c.tanggal_kontrak,
            masa_akhir=c.tanggal_selesai_awal, status=status,
        ))
        truth.add((c.id, registrations[-1].id))

    def _under_another_name(c: ContractState, vendor: str, npwp: str | None,
                            number: str | None) -> tuple[str, str | None, str | None]:
        """Who registered, at the high noise level: the consortium under its own name, its lead or its
        partner alone, or an unrelated firm; more NPWPs and exactly typed numbers left blank."""
        # Drawn per contract: a registration made again after a batal is made by the same firm.
        draws = random.Random(f"{seed}:noise:{c.id}").random
        partner = partners.get(c.id)
        if partner is not None:
            r = draws()
            if r < 0.4:
                vendor = f"KSO {vendor} - {partner[0]} {partner[1].upper()}"
                npwp = None if draws() < 0.7 else npwp
            elif r >= 0.7:
                vendor, npwp = f"{partner[1].upper()}, {partner[0]}", partner[2]
        elif draws() < noise.other_name:
            form, name, npwp = vendors[int(draws() * len(vendors))]
            vendor = f"{form} {name.upper()}"
        if npwp is not None and draws() < noise.blank_npwp:
            npwp = None
        if number == c.nomor_kontrak and draws() < noise.blank_number:
            number = None
        return vendor, npwp, number

    for c in contracts:
        if rng.random() >= registered:
            continue
        r = rng.random()
        if r < fuzzy_share * 0.4:
            number = _mistype(c.nomor_kontrak, rng)
        elif r < fuzzy_share * 0.7:
            number = None
        elif r < fuzzy_share:
            number = c.nomor_kontrak.split("/")[0] + " TA " + str(year)
        elif r < 0.45:
            number = _reformat(c.nomor_kontrak, rng)
        else:
            number = c.nomor_kontrak
        if rng.random() < 0.01:  # registered, cancelled, registered again
            register(c, number, 3, status="batal")
            truth.discard((c.id, registrations[-1].id))
            register(c, number, 9)
        else:
            register(c, number, int(rng.random() * 20))
    # Registrations of projects that are not APBD contracts (orphans).
    for _ in range(n // 50):
        form, name, npwp = vendors[int(rng.random() * len(vendors))]
        registrations.append(RegistrationState(
            id=len(registrations), nomor_registrasi=f"JK{year}{len(registrations):08d}",
            nomor_kontrak=f"{int(rng.random() * 900)}/SPK/SWASTA/{year}", nama_proyek="PEMBANGUNAN RUKO",
            penyedia=f"{name.upper()}, {form}", npwp_penyedia=npwp,
            nilai_kontrak_terdaftar=int(10 ** (7.7 + rng.random() * 2.3)) // 1000 * 1000, iuran_dibayar=0,
            tanggal_daftar=date(year, 6, 1), masa_awal=date(year, 6, 1), masa_akhir=date(year, 9, 1),
        ))
    # The export lists registrations in BPJS's order, not the contracts'. Rebuild the objects in
    # that order so that, as when the engine loads rows from the database, list order is memory order.
    rng.shuffle(registrations)
    if not shuffled:
        registrations.sort(key=lambda r: r.tanggal_daftar)
    renumbered = {r.id: i for i, r in enumerate(registrations)}
    # Text the export gives each row anew (registration number, title); monitor.check.context interns
    # vendor names, NPWPs and dates and shares a typed contract number with the contract's when they
    # are equal; so does this generator.
    dates: dict[date, date] = {}
    registrations = [
        r._replace(
            id=i, nomor_registrasi=_fresh(r.nomor_registrasi), nama_proyek=_fresh(r.nama_proyek),
            tanggal_daftar=dates.setdefault(r.tanggal_daftar, r.tanggal_daftar),
            masa_awal=dates.setdefault(r.masa_awal, r.masa_awal),
            masa_akhir=dates.setdefault(r.masa_akhir, r.masa_akhir),
        )
        for i, r in enumerate(registrations)
    ]
    truth = {(c, renumbered[r]) for c, r in truth}
    return Year(contracts, registrations, truth)


def _fresh(text: str) -> str:
    """A new copy of ``text``, allocated now (str() and slicing would return the same object)."""
    return text.encode().decode()


def _reformat(number: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        text = number.replace("/", " / ")
    elif r < 0.5:
        text = number.replace("/", "-").lower()
    elif r < 0.7:
        text = "/".join(str(ROMAN.index(p)) if p in ROMAN[1:] else p.lstrip("0") for p in number.split("/"))
    else:
        text = number.replace("/", ".")
    return ("No. " if rng.random() < 0.3 else "") + text


def _mistype(number: str, rng: random.Random) -> str:
    positions = [i for i, ch in enumerate(number) if ch.isdigit()]
    i = rng.choice(positions)
    return number[:i] + str((int(number[i]) + 1 + rng.randrange(9)) % 10) + number[i + 1:]


def quality(links: Sequence[tuple[int, int]], truth: set[tuple[int, int]]) -> tuple[float, float]:
    found = set(links)
    right = len(found & truth)
    return right / max(1, len(found)), right / max(1, len(truth))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fuzzy-share", type=float, default=0.08,
                        help="share of registrations whose number is mistyped, garbled or blank")
    parser.add_argument("--registered", type=float, default=0.92, help="share of contracts registered at BPJS")
    parser.add_argument("--shuffled", action="store_true",
                        help="list registrations in random order, not by date (the worst case for memory)")
    parser.add_argument("--noise", choices=sorted(NOISES), default="normal",
                        help="high: registrations under a KSO's, its partner's or another firm's name, and more")
    args = parser.parse_args()
    started = time.perf_counter()
    year = generate(args.contracts, args.seed, args.fuzzy_share, args.registered, args.shuffled, NOISES[args.noise])
    generated = time.perf_counter()
    print(f"generated {len(year.contracts):,} contracts, {len(year.registrations):,} registrations "
          f"in {generated - started:.1f} s; peak RSS {_rss_mb():,.0f} MB")
    gc.collect()
    gc.freeze()  # the generated year is long-lived: keep the collector from rescanning it
    before = _rss_mb()
    # match(), with its stages timed one by one.
    gc.disable()
    wall, cpu = time.perf_counter(), time.process_time()
    timings = []
    matcher = _Matcher(year.contracts, year.registrations)
    timings.append(("features", time.perf_counter() - wall))
    for stage in _Matcher.STAGES:
        started = time.perf_counter()
        getattr(matcher, stage)()
        timings.append((stage, time.perf_counter() - started))
    result = matcher.result()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    gc.enable()
    methods: dict[str, int] = {}
    for link in result.links:
        methods[link.method] = methods.get(link.method, 0) + 1
    precision, recall = quality([(link.contract_id, link.registration_id) for link in result.links], year.truth)
    print(f"matched in {wall:.1f} s wall, {cpu:.1f} s CPU (load average {os.getloadavg()[0]:.1f}): "
          + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings))
    print(f"{len(result.links):,} links {methods}, {len(result.ambiguous):,} ambiguous, "
          f"{len(result.superseded):,} superseded")
    print(f"peak RSS {_rss_mb():,.0f} MB (before matching {before:,.0f} MB)")
    print(f"precision {precision:.4%}  recall {recall:.4%}")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
