"""What the year holds beside APBD contracts: registrations of other projects (orphans), the
Kampung Bahagia RT activities and the MoU/PKS agreements between the city and BPJS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from monitor.demo.generator import ChunkGenerator
from monitor.demo.names import bpjs_npwp, bpjs_title, bpjs_vendor_name
from monitor.demo.numbers import ROMAN
from monitor.demo.plan import DAY
from monitor.demo.records import BOGUS_KAMPUNG_IDS, KAMPUNG_IDS, ORPHAN_IDS, Reg, project_number
from monitor.demo.tariff import kampung_premium, required_premium

# --- registrations of projects that are not APBD contracts of this year --------------------------

_OTHER_PROJECTS = (
    "Pembangunan Gedung Kantor Cabang Bank Jambi {street}",
    "Pembangunan Perumahan Griya {lorong} Residence Kel. {kel}",
    "Pembangunan Ruko 3 Lantai {street}",
    "Preservasi Jalan Nasional Lingkar Barat Kota Jambi (APBN)",
    "Pembangunan Gedung Kuliah Bersama Universitas Jambi (APBN)",
    "Rehabilitasi Jaringan Irigasi Kel. {kel} (BWS Sumatera VI)",
    "Peningkatan Jalan Provinsi {street} (APBD Provinsi Jambi)",
    "Pembangunan Gudang Distribusi Kel. {kel}",
    "Pembangunan Masjid Kel. {kel} (Swadaya Masyarakat)",
    "Pembangunan Menara Telekomunikasi Kel. {kel}",
)


def orphan(gen: ChunkGenerator, i: int, values_by_vendor: dict[str, list[int]]) -> tuple[Reg, str]:
    """The chunk's ``i``-th registration that belongs to no contract in the file: another owner's
    project, or an APBD contract of last year still running. Returns it and its label.

    Its vendor may well hold APBD contracts too (a hard negative for the matcher), but its value
    stays 15 % clear of theirs: otherwise nothing would tell it apart from one of them."""
    rng, ref = gen.rng, gen.ref
    vendor = gen.pick_vendor()
    _, kel = gen.places[int(rng.random() * len(gen.places))]
    taken = values_by_vendor.get(vendor.npwp, [])
    value = 0
    for _ in range(20):
        value = int(100e6 * 200 ** rng.random() / 1000) * 1000
        if all(abs(value - other) > 0.15 * other for other in taken):
            break
    if rng.random() < 0.7:
        label = "non_apbd"
        template = _OTHER_PROJECTS[int(rng.random() * len(_OTHER_PROJECTS))]
        title = template.format(street=ref.streets[int(rng.random() * len(ref.streets))],
                                lorong=ref.lorong[int(rng.random() * len(ref.lorong))], kel=kel)
        r = rng.random()
        seq = 1 + int(rng.random() * 300)
        number = (None if r < 0.3 else f"HK.02.03/{seq}/SPK/BWS-VI/{gen.year}" if r < 0.5
                  else f"SPK/{seq:03d}/PRJ/{ROMAN[1 + int(rng.random() * 12)]}/{gen.year}")
        day = date(gen.year, 1, 2) + DAY * int(rng.random() * max((gen.as_of - date(gen.year, 1, 2)).days, 1))
        masa_awal = day
        masa_akhir = day + DAY * (60 + int(rng.random() * 240))
    else:
        # Carried over from last year: the same style of number, the year before's.
        label = "prior_year"
        month = 9 + int(rng.random() * 4)
        title = f"Peningkatan Jalan {ref.streets[int(rng.random() * len(ref.streets))]}"
        number = (f"{1 + int(rng.random() * 400):03d}/{1 + int(rng.random() * 20):02d}/SPK-PUPR/"
                  f"{ROMAN[month]}/{gen.year - 1}")
        masa_awal = date(gen.year - 1, month, 1 + int(rng.random() * 28))
        day = min(masa_awal + DAY * (3 + int(rng.random() * 20)), date(gen.year - 1, 12, 31))
        masa_akhir = masa_awal + DAY * (90 + int(rng.random() * 120))
    name, _ = bpjs_vendor_name(vendor, rng)
    row: dict[str, Any] = {
        "nomor_registrasi": project_number(day.year, ORPHAN_IDS + gen.plan.index * 1000 + i),
        "npp": vendor.npp,
        "nomor_kontrak": number,
        "nama_proyek": bpjs_title(title, gen.year, rng),
        "penyedia": name,
        "npwp_penyedia": bpjs_npwp(vendor, rng.random()),
        "nilai_kontrak_terdaftar": value,
        "iuran_dibayar": required_premium(value),
        "tanggal_daftar": day,
        "masa_awal": masa_awal,
        "masa_akhir": masa_akhir,
        "status": "berakhir" if masa_akhir < gen.as_of and rng.random() < 0.5 else "aktif",
    }
    return Reg(row), label


# --- Kampung Bahagia (Perwal 18/2025) -------------------------------------------------------------

_ACTIVITIES = (
    "Gotong Royong Semenisasi Jalan Setapak",
    "Pembersihan dan Perbaikan Drainase Lingkungan",
    "Pembuatan Sumur Resapan",
    "Perbaikan Gorong-gorong",
    "Pembangunan Pos Kamling",
    "Penghijauan dan Taman Baca Warga",
    "Pengecatan dan Perbaikan Balai Warga",
    "Pembuatan Tempat Pengolahan Sampah RT",
    "Perbaikan Jembatan Kayu Lingkungan",
    "Rehabilitasi Musala Nurul Jama’ah",
)


@dataclass(slots=True)
class Activity:
    row: dict[str, Any]
    reg: Reg | None
    labels: list[str]


def kampung_activities(gen: ChunkGenerator) -> list[Activity]:
    """Activities of the RTs in the programme: up to Rp 100 juta each, most with an SK RT and a
    Jakon registration at 0.24 %; some without, some late, some underpaid."""
    rng, as_of, year = gen.rng, gen.as_of, gen.year
    count = min(3300, max(24, gen.ctx.total // 4))
    first = date(year, 3, 2)
    window = max((min(as_of + 20 * DAY, date(year, 12, 15)) - first).days, 1)
    activities = []
    for i in range(count):
        kec, kel = gen.places[int(rng.random() * len(gen.places))]
        rt = 1 + int(rng.random() * 35)
        value = min(100_000_000, int((20 + 80 * rng.random() ** 0.7) * 10) * 100_000)
        start = gen.clear_of_as_of(first + DAY * int(rng.random() * window))
        end = start + DAY * (14 + int(rng.random() * 32))
        labels: list[str] = []
        r = rng.random()
        sk_number: str | None = f"{1 + int(rng.random() * 9):02d}/SK/RT.{rt:03d}/{kel.upper()}/{year}"
        if r < 0.85:
            sk_date: date | None = start - DAY * (3 + int(rng.random() * 18))
        elif r < 0.92:
            sk_number = sk_date = None
            labels.append("no_sk_rt")
        else:
            sk_date = start + DAY * (2 + int(rng.random() * 9))
            labels.append("sk_rt_after_start")
        row: dict[str, Any] = {
            "kode_kegiatan": f"KB-{year}-{i + 1:04d}",
            "kecamatan": kec if rng.random() > 0.05 else None,
            "kelurahan": kel,
            "rt": f"{rt:03d}",
            "nama_kegiatan": _ACTIVITIES[int(rng.random() * len(_ACTIVITIES))],
            "nilai_kegiatan": value,
            "tanggal_mulai": start,
            "tanggal_selesai": end if rng.random() > 0.1 else None,
            "nomor_sk_rt": sk_number,
            "tanggal_sk_rt": sk_date,
            "jumlah_peserta": 10 + int(rng.random() * 31) if rng.random() > 0.05 else None,
            "nomor_registrasi": None,
        }
        reg = None
        r = rng.random()
        registered_on = start + DAY * (int(rng.random() * 9) - 5)
        if r < 0.8 and registered_on < as_of:
            required = kampung_premium(value)
            paid = required
            if rng.random() < 0.1:
                paid = required // 2 if rng.random() < 0.5 else value * 20 // 10_000
                labels.append("underpaid")
            reg = Reg({
                "nomor_registrasi": project_number(registered_on.year, KAMPUNG_IDS + i),
                "npp": None,
                "nomor_kontrak": sk_number if rng.random() < 0.6 else None,
                "nama_proyek": f"KAMPUNG BAHAGIA RT {rt:03d} KEL. {kel.upper()} - {row['nama_kegiatan'].upper()}",
                "penyedia": f"KETUA RT {rt:03d} KEL. {kel.upper()}",
                "npwp_penyedia": None,
                "nilai_kontrak_terdaftar": value,
                "iuran_dibayar": paid,
                "tanggal_daftar": registered_on,
                "masa_awal": start,
                "masa_akhir": end,
                "status": "aktif",
            })
        elif r < 0.83:
            # A number copied wrong from the BPJS receipt: it names no registration.
            row["nomor_registrasi"] = project_number(year, BOGUS_KAMPUNG_IDS + i)
            labels.append("registration_not_found")
        else:
            labels.append("unregistered")
        activities.append(Activity(row, reg, labels))
    return activities


# --- MoU and PKS ------------------------------------------------------------------------------------

def agreements(gen: ChunkGenerator) -> list[dict[str, Any]]:
    """The city-wide MoU (ended 25 May 2025, renewed 28 May 2025) and PKS with OPDs placed around
    the demo date: inside each warning window, expired without renewal, and renewed."""
    as_of = gen.as_of
    bpjs = "BPJS Ketenagakerjaan Kantor Cabang Jambi"

    def pks(n: int, opd: str, title: str, ends_in: int, status: str = "berlaku", renewed_by: str | None = None,
            start: date | None = None) -> dict[str, Any]:
        end = as_of + timedelta(days=ends_in)
        start = start or end - timedelta(days=730) + DAY
        return {
            "nomor": f"{n:03d}/PKS/{opd}-BPJSTK/{start.year}",
            "jenis": "PKS",
            "judul": title,
            "pihak": f"{gen.ref.opd(opd).name}; {bpjs}",
            "opd": opd,
            "tanggal_mulai": start,
            "tanggal_berakhir": end,
            "status": status,
            "nomor_pengganti": renewed_by,
        }

    mou_title = "Nota Kesepahaman tentang Penyelenggaraan Program Jaminan Sosial Ketenagakerjaan"
    nakes = "Perlindungan Jaminan Sosial Tenaga Kesehatan Non-ASN"
    kebersihan = "Perlindungan Jaminan Sosial Petugas Kebersihan dan Pasukan Kuning"
    # Renewals: the RSUD's signed before the old one ends, the DLH's after a gap.
    rsud_new = pks(41, "RSUD", nakes, 18 + 730, start=as_of + timedelta(days=19))
    dlh_new = pks(19, "DLH", kebersihan, 300, start=as_of - timedelta(days=60))
    return [
        {"nomor": "180/05/MOU-HK/2020", "jenis": "MoU", "judul": mou_title,
         "pihak": f"Pemerintah Kota Jambi; {bpjs}", "opd": "SETDA", "tanggal_mulai": date(2020, 5, 26),
         "tanggal_berakhir": date(2025, 5, 25), "status": "diperpanjang", "nomor_pengganti": "180/07/MOU-HK/2025"},
        # The renewal's end date is not published; three years is this demo's assumption.
        {"nomor": "180/07/MOU-HK/2025", "jenis": "MoU", "judul": mou_title,
         "pihak": f"Pemerintah Kota Jambi; {bpjs}", "opd": "SETDA", "tanggal_mulai": date(2025, 5, 28),
         "tanggal_berakhir": date(2028, 5, 27), "status": "berlaku", "nomor_pengganti": None},
        pks(21, "DISNAKER", "Perlindungan Jaminan Sosial Pekerja Rentan (Perwal 36/2025)", 4),
        pks(14, "PUPR", "Kepatuhan Pendaftaran Jakon Proyek Konstruksi APBD", 22),
        pks(9, "DINSOS", "Perlindungan Jaminan Sosial Pekerja Rentan Penerima Bantuan Sosial", 45),
        pks(33, "DISPORA", "Perlindungan Jaminan Sosial Atlet dan Pelatih Daerah", 58),
        pks(17, "DISDIK", "Perlindungan Jaminan Sosial Guru dan Tenaga Kependidikan Honorer", 80),
        pks(8, "PERKIM", "Perlindungan Pekerja Program Rumah Layak Huni", 150),
        pks(5, "BPKAD", "Integrasi Data SP2D dan Kepesertaan Jasa Konstruksi", -40),
        pks(12, "DISHUB", "Perlindungan Jaminan Sosial Juru Parkir dan Awak Angkutan Kota", -200, status="berakhir"),
        pks(4, "RSUD", nakes, 18, status="diperpanjang", renewed_by=rsud_new["nomor"]),
        rsud_new,
        pks(6, "DLH", kebersihan, -70, status="berakhir", renewed_by=dlh_new["nomor"]),
        dlh_new,
        pks(24, "DISNAKER", "Perlindungan Jaminan Sosial Warga Peserta Kampung Bahagia (Perwal 18/2025)", 200,
            start=min(date(2025, 9, 24), as_of)),
    ]
