"""Rows every import must reject, a few per file: a missing required value, an impossible date,
a negative amount, an unparseable number, an end before the start.

Each row looks like its neighbours but for the one broken cell, which holds the raw text a person
typed (written to the file as it is). Identities are fresh (PPK "99" never occurs in real numbers),
so an import that wrongly accepted one would add a record, never change a real one.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from monitor.demo.records import BRANCH
from monitor.demo.tariff import required_premium

REASONS = ("missing_required", "impossible_date", "negative_amount", "unparseable_number", "end_before_start")


def _fresh_number(i: int, year: int) -> str:
    return f"{i + 1:03d}/99/SPK-PUPR/VI/{year}"


def _contract(i: int, year: int) -> dict[str, Any]:
    return {
        "kode_paket": str(49_000_000 + i), "nomor_kontrak": _fresh_number(i, year),
        "tanggal_kontrak": date(year, 6, 15), "opd": "Dinas PUPR",
        "nama_paket": "Pembangunan Drainase Lrg. Mawar Kel. Legok", "penyedia": "CV. Karya Abadi",
        "npwp_penyedia": "02.123.456.7-331.000", "nilai_kontrak": 250_000_000,
        "tanggal_mulai": date(year, 6, 18), "tanggal_selesai": date(year, 9, 30), "sumber_dana": "APBD",
        "jenis_pekerjaan": "konstruksi", "tahun_anggaran": year, "kecamatan": "Danau Sipin", "kelurahan": "Legok",
    }


def _registration(i: int, year: int) -> dict[str, Any]:
    return {
        "nomor_registrasi": f"{year % 100:02d}{BRANCH}8{i:06d}", "npp": "19990001",
        "nomor_kontrak": _fresh_number(i, year), "nama_proyek": "PEMB. DRAINASE LRG. MAWAR KEL. LEGOK",
        "penyedia": "KARYA ABADI, CV", "npwp_penyedia": None, "nilai_kontrak_terdaftar": 250_000_000,
        "iuran_dibayar": required_premium(250_000_000), "tanggal_daftar": date(year, 6, 20),
        "masa_awal": date(year, 6, 18), "masa_akhir": date(year, 9, 30), "status": "aktif",
    }


def _addendum(i: int, year: int) -> dict[str, Any]:
    number = _fresh_number(i, year)
    return {
        "nomor_kontrak": number, "opd": "Dinas PUPR", "nomor_adendum": f"ADD-01/{number}",
        "tanggal_adendum": date(year, 8, 1), "nilai_kontrak_baru": 275_000_000,
        "tanggal_selesai_baru": date(year, 10, 30),
    }


def _payment(i: int, year: int) -> dict[str, Any]:
    return {
        "nomor_sp2d": f"{990_000 + i:06d}/SP2D-LS/BPKAD/{year}", "tanggal_sp2d": date(year, 7, 10),
        "nomor_kontrak": _fresh_number(i, year), "opd": "Dinas Pekerjaan Umum dan Penataan Ruang",
        "nilai": 75_000_000, "uraian": "Pembayaran Uang Muka 30% Pembangunan Drainase Lrg. Mawar Kel. Legok",
    }


def _agreement(i: int, year: int) -> dict[str, Any]:
    return {
        "nomor": f"{900 + i}/PKS/BAPPEDA-BPJSTK/{year}", "jenis": "PKS",
        "judul": "Pemanfaatan Data Kepesertaan untuk Perencanaan Pembangunan",
        "pihak": "Badan Perencanaan Pembangunan Daerah; BPJS Ketenagakerjaan Kantor Cabang Jambi",
        "opd": "BAPPEDA", "tanggal_mulai": date(year, 1, 10), "tanggal_berakhir": date(year + 1, 1, 9),
        "status": "berlaku", "nomor_pengganti": None,
    }


def _kampung(i: int, year: int) -> dict[str, Any]:
    return {
        "kode_kegiatan": f"KB-{year}-R{i:03d}", "kecamatan": "Jelutung", "kelurahan": "Payo Lebar", "rt": "007",
        "nama_kegiatan": "Perbaikan Gorong-gorong", "nilai_kegiatan": 45_000_000,
        "tanggal_mulai": date(year, 7, 1), "tanggal_selesai": date(year, 7, 31),
        "nomor_sk_rt": f"01/SK/RT.007/PAYO LEBAR/{year}", "tanggal_sk_rt": date(year, 6, 20),
        "jumlah_peserta": 20, "nomor_registrasi": None,
    }


def _non_leap_after(year: int) -> int:
    year += 1
    while calendar.isleap(year):
        year += 1
    return year


def malformed_rows(year: int) -> dict[str, list[dict[str, Any]]]:
    """Per kind: ``{"column", "reason", "row"}`` (lines are placed by the generator)."""
    y2 = _non_leap_after(year)
    plan: dict[str, tuple[Any, list[tuple[str, str, object]]]] = {
        "contracts": (_contract, [
            ("nomor_kontrak", "missing_required", None),
            ("tanggal_kontrak", "impossible_date", f"31/02/{year}"),
            ("nilai_kontrak", "negative_amount", "-15.750.000,00"),
            ("nilai_kontrak", "unparseable_number", "Rp 1.2OO.000.000,00"),
            ("tanggal_selesai", "end_before_start", date(year, 5, 15)),
        ]),
        "addenda": (_addendum, [
            ("nomor_adendum", "missing_required", None),
            ("tanggal_adendum", "impossible_date", f"31 Juni {year}"),
            ("nilai_kontrak_baru", "negative_amount", "-50.000.000"),
        ]),
        "registrations": (_registration, [
            ("nama_proyek", "missing_required", None),
            ("tanggal_daftar", "impossible_date", f"30/02/{year}"),
            ("iuran_dibayar", "negative_amount", "-250.000"),
            ("nilai_kontrak_terdaftar", "unparseable_number", "tiga ratus juta"),
        ]),
        "payments": (_payment, [
            ("nomor_kontrak", "missing_required", None),
            ("tanggal_sp2d", "impossible_date", f"31-04-{year}"),
            ("nilai", "negative_amount", "-12.500.000"),
            ("nilai", "unparseable_number", "Rp 12,5 jt"),
        ]),
        "agreements": (_agreement, [
            ("judul", "missing_required", None),
            ("tanggal_berakhir", "impossible_date", f"29/02/{y2}"),
        ]),
        "kampung": (_kampung, [
            ("kelurahan", "missing_required", None),
            ("nilai_kegiatan", "negative_amount", "-45.000.000"),
            ("nilai_kegiatan", "unparseable_number", "45 juta"),
            ("tanggal_mulai", "impossible_date", f"31/09/{year}"),
        ]),
    }
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, (base, breaks) in plan.items():
        rows = []
        for i, (column, reason, raw) in enumerate(breaks):
            row = base(i, year)
            row[column] = raw
            rows.append({"column": column, "reason": reason, "row": row})
        out[kind] = rows
    return out
