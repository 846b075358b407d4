"""The demo year's contracts and addenda as SPSE publishes them (``pantau demo-data --format spse``).

Tenders (above Rp200 juta) as ISB JSON, non-tenders (pengadaan langsung) as INAPROC CSV downloads,
each stage its own dataset: paket, e-Kontrak kontrak (a later ``versi_addendum`` row per addendum), and
SPMK/SPP (some with only ``waktu_penyelesaian``, no end date). The shapes are the real ones: dates as
``2026-03-21T00:00:00.000000Z`` (JSON) or ``Nov 10, 2026, 12:00:00AM`` (CSV), money as plain decimals
with a point, NPWP in both forms, ``tgl_kontrak_akhir`` equal to ``tgl_kontrak``, satker names in
capitals. A few goods packages (out of Jakon's scope) are added, and two malformed kontrak rows. The
other kinds (registrations, SP2D, agreements, Kampung Bahagia) are the year's usual files.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from monitor.ingest.values import parse_npwp

TENDER_ABOVE = 200_000_000
_JENIS = {"konstruksi": "Pekerjaan Konstruksi", "konsultansi": "Jasa Konsultansi Badan Usaha Konstruksi"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
GOODS_EVERY = 25  # one goods package per this many contracts
FILES = ("tender_paket.json", "tender_kontrak.json", "tender_spmk.json",
         "nontender_paket.csv", "nontender_kontrak.csv", "nontender_spmk.csv")


def _iso(day: date | None) -> str | None:
    return None if day is None else f"{day.isoformat()}T00:00:00.000000Z"


def _us(day: date | None) -> str | None:
    return None if day is None else f"{_MONTHS[day.month - 1]} {day.day}, {day.year}, 12:00:00AM"


def _money(rupiah: int) -> str:
    return f"{rupiah}.00"


def _npwp_forms(text: str | None) -> tuple[str | None, str | None]:
    try:
        digits = parse_npwp(text)
    except ValueError:
        return text, None
    if digits is None:
        return None, None
    if len(digits) != 15:
        return None, digits  # already the 16-digit form: SPSE leaves the 15-digit field empty
    return f"{digits[:2]}.{digits[2:5]}.{digits[5:8]}.{digits[8]}-{digits[9:12]}.{digits[12:]}", f"0{digits}"


def spse_rows(year: Any) -> dict[str, list[dict[str, Any]]]:
    """The datasets' rows, by file name in :data:`FILES` (dates still ``date``)."""
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in FILES}
    addenda: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for addendum in year.addenda:
        addenda.setdefault((year.opd_code(addendum["opd"]), addendum["nomor_kontrak"]), []).append(addendum)
    opd_names = {opd["code"]: opd["name"] for opd in year.opds}
    for serial, row in enumerate(year.contracts):
        jalur = "tender" if row["nilai_kontrak"] > TENDER_ABOVE else "nontender"
        code_field = "kd_tender" if jalur == "tender" else "kd_nontender"
        kode = f"{10_000_000 + serial}"
        code = year.opd_code(row["opd"])
        # In capitals, as SPSE writes it; an OPD the directory lacks stays as the clerk wrote it.
        satker = opd_names[code].upper() if code in opd_names else row["opd"]
        npwp15, npwp16 = _npwp_forms(row["npwp_penyedia"])
        out[f"{jalur}_paket.{_ext(jalur)}"].append({
            code_field: kode, "kd_rup": row["kode_paket"], "nama_paket": row["nama_paket"],
            "pagu": _money(row["nilai_kontrak"]), "hps": _money(row["nilai_kontrak"]),
            "sumber_dana": row["sumber_dana"], "jenis_pengadaan": _JENIS[row["jenis_pekerjaan"]],
            "nama_satker": satker, "tahun_anggaran": row["tahun_anggaran"],
        })
        base = {
            code_field: kode, "no_kontrak": row["nomor_kontrak"], "tgl_kontrak": row["tanggal_kontrak"],
            "tgl_kontrak_awal": row["tanggal_mulai"] or row["tanggal_kontrak"],
            "tgl_kontrak_akhir": row["tanggal_kontrak"], "nama_satker": satker, "nama_paket": row["nama_paket"],
            "nama_penyedia": row["penyedia"], "npwp_penyedia": npwp15 or "tidak ada data (null)",
            "npwp_16_penyedia": npwp16 or "tidak ada data (null)", "nilai_kontrak": _money(row["nilai_kontrak"]),
            "status_kontrak": "Aktif", "apakah_addendum": "Tidak", "versi_addendum": 0,
            "lingkup_pekerjaan": f"<p>{row['nama_paket']}</p><ul><li>persiapan</li><li>pelaksanaan</li></ul>",
        }
        kontrak = out[f"{jalur}_kontrak.{_ext(jalur)}"]
        kontrak.append(base)
        value = row["nilai_kontrak"]
        for versi, addendum in enumerate(sorted(addenda.get((code, row["nomor_kontrak"]), []),
                                                key=lambda a: a["tanggal_adendum"]), start=1):
            value = addendum["nilai_kontrak_baru"] or value
            kontrak.append({**base, "versi_addendum": versi, "apakah_addendum": "Ya", "alasan_addendum": "adendum",
                            "tgl_kontrak": addendum["tanggal_adendum"], "nilai_kontrak": _money(value),
                            "tgl_kontrak_akhir": addendum["tanggal_selesai_baru"] or addendum["tanggal_adendum"]})
        start = row["tanggal_mulai"]
        spmk: dict[str, Any] = {code_field: kode, "no_kontrak": row["nomor_kontrak"],
                                "no_spmk_spp": f"SPMK/{kode}", "tgl_spmk_spp": start, "tgl_mulai_pekerjaan": start,
                                "tgl_selesai_pekerjaan": row["tanggal_selesai"]}
        if start is not None and serial % 10 == 3:  # the end told only by the completion period
            spmk["tgl_selesai_pekerjaan"] = None
            spmk["waktu_penyelesaian"] = f"{(row['tanggal_selesai'] - start).days + 1} Hari Kalender"
        out[f"{jalur}_spmk.{_ext(jalur)}"].append(spmk)
        if serial % GOODS_EVERY == 7:
            _goods(out, serial, satker, row)
    kontrak = out["tender_kontrak.json"]
    # Malformed: the Indonesian money of hand-made sheets, and a day that does not exist.
    kontrak.append({**kontrak[0], "kd_tender": "99000001", "no_kontrak": "RUSAK/1",
                    "nilai_kontrak": "1.250.000.000,00"})
    kontrak.append({**kontrak[0], "kd_tender": "99000002", "no_kontrak": "RUSAK/2", "tgl_kontrak": "31-02-2026"})
    return out


def _goods(out: dict[str, list[dict[str, Any]]], serial: int, satker: str, row: dict[str, Any]) -> None:
    kode = f"{20_000_000 + serial}"
    nama = f"Pengadaan Komputer dan Printer {satker.title()}"
    out["nontender_paket.csv"].append({"kd_nontender": kode, "nama_paket": nama, "pagu": "150000000.00",
                                       "jenis_pengadaan": "Pengadaan Barang", "nama_satker": satker})
    out["nontender_kontrak.csv"].append({
        "kd_nontender": kode, "no_kontrak": f"BRG/{serial}/{row['tahun_anggaran']}",
        "tgl_kontrak": row["tanggal_kontrak"],
        "nama_satker": satker, "nama_paket": nama, "nama_penyedia": "CV. MITRA KOMPUTER",
        "nilai_kontrak": "148500000.00", "versi_addendum": 0})


def _ext(jalur: str) -> str:
    return "json" if jalur == "tender" else "csv"


def write_spse(year: Any, out_dir: Path) -> dict[str, Path]:
    """Write the datasets into ``out_dir`` as ``spse_<file>``; returns file -> path."""
    paths: dict[str, Path] = {}
    for name, rows in spse_rows(year).items():
        path = out_dir / f"spse_{name}"
        if name.endswith(".json"):
            _write_json(path, rows)
        else:
            _write_csv(path, rows)
        paths[name] = path
    return paths


def _write_json(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump([{k: _iso(v) if isinstance(v, date) else v for k, v in row.items()} for row in rows], fh,
                  ensure_ascii=False)


def _write_csv(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    rows = list(rows)
    header = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if row.get(k) is None else _us(row[k]) if isinstance(row.get(k), date) else row[k]
                             for k in header])


def write_spse_demo(out_dir: Path, contracts: int, seed: int, as_of: date, noise: str = "normal") -> Any:
    """The demo year with its contracts and addenda as SPSE datasets instead of contracts.csv and
    addenda.csv (built in memory: meant for demo sizes, not the million-row benchmark)."""
    from monitor.demo import build_year, write_year
    from monitor.demo.output import Written

    year = build_year(contracts=contracts, seed=seed, as_of=as_of, noise=noise)
    paths = write_year(year, out_dir, "auto")
    for kind in ("contracts", "addenda"):
        paths.pop(kind).unlink()
    spse = write_spse(year, out_dir)
    summary = json.loads((out_dir / "ground_truth.json").read_text(encoding="utf-8"))
    return Written({**paths, **{f"spse:{name}": path for name, path in spse.items()}}, summary)
