"""Simpulan dan saran: plain Indonesian sentences per party, generated from the report's figures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.report.model import MonevReport


def _pct(value: float) -> str:
    return f"{value:.2f}".replace(".", ",") + "%"


def _addressed(ppk: tuple[str, ...], named: int = 3) -> str:
    """The PPKs by name where the data name them ("PPK Ir. Budi Santoso dan Siti Aminah"), else "PPK"."""
    if not ppk:
        return "PPK"
    shown = list(ppk[:named]) + ([f"{len(ppk) - named} PPK lainnya"] if len(ppk) > named else [])
    return "PPK " + (shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " dan " + shown[-1])


def conclusions(report: MonevReport) -> list[dict[str, Any]]:
    """``[{"party", "points": [...]}]``: what the figures say and what each party should do."""
    fmt, h = report.fmt, report.headline
    points: list[dict[str, Any]] = []
    city = [
        f"Dari {fmt.number(h.contracts)} kontrak konstruksi APBD, {fmt.number(h.registered)} ({_pct(h.pct_count)}) "
        f"telah terdaftar Jakon, atau {_pct(h.pct_value)} dari nilai kontrak {fmt.money(h.value)}.",
    ]
    if report.change_pct_count is not None:
        arah = "naik" if report.change_pct_count > 0 else "turun" if report.change_pct_count < 0 else "tetap"
        city.append(f"Dibanding monev sebelumnya, persentase kontrak terdaftar {arah} "
                    f"{_pct(abs(report.change_pct_count)).removesuffix('%')} poin.")
    if h.overdue:
        city.append(f"{fmt.number(h.overdue)} temuan telah melewati batas waktu tindak lanjut.")
    points.append({"party": "Umum", "points": city})
    for row in report.opds:
        cov = row.coverage
        if not cov.unregistered and not row.findings_open:
            continue
        said = []
        if cov.unregistered:
            said.append(f"{fmt.number(cov.unregistered)} kontrak senilai {fmt.money(cov.unregistered_value)} belum "
                        f"terdaftar melewati batas {report.deadline_days} hari kerja: {_addressed(row.ppk)} agar "
                        "meminta penyedia segera mendaftarkannya dan mensyaratkan bukti pendaftaran sebelum "
                        "pembayaran berikutnya.")
        if cov.premium_gap:
            said.append(f"Iuran yang belum dibayar {fmt.money(cov.premium_gap)} dari {fmt.money(cov.premium_due)}.")
        if said:
            points.append({"party": f"{row.name} (PPK)", "points": said})
        if len(points) > 12:  # the worst OPDs; the rest are in the table
            break
    bpkad = [f"Terdapat {fmt.number(h.sp2d_unregistered)} SP2D senilai {fmt.money(h.sp2d_unregistered_value)} untuk "
             "kontrak tanpa kepesertaan Jakon: BPKAD agar mensyaratkan bukti pendaftaran dan pembayaran iuran "
             "Jakon dalam berkas SPM sebelum SP2D diterbitkan."] if h.sp2d_unregistered else [
        "Tidak ada SP2D untuk kontrak tanpa kepesertaan Jakon; pertahankan pemeriksaan bukti pendaftaran."]
    points.append({"party": "BPKAD", "points": bpkad})
    disnaker = ["Disnaker agar memantau tindak lanjut matriks ini sampai monev berikutnya dan melaporkannya kepada "
                "Wali Kota."]
    if report.kampung_by_kelurahan:
        total = sum(k["no_sk_rt"] + k["unregistered"] + k["underpaid"] for k in report.kampung_by_kelurahan)
        disnaker.append(f"{fmt.number(total)} temuan Kampung Bahagia di {len(report.kampung_by_kelurahan)} kelurahan: "
                        "dampingi Ketua RT menerbitkan SK RT dan mendaftarkan kegiatannya.")
    points.append({"party": "Disnaker", "points": disnaker})
    bpjs = [f"BPJS Ketenagakerjaan Cabang Jambi agar menindaklanjuti {fmt.number(report.ambiguous)} pasangan "
            "kontrak–registrasi yang meragukan dan memutakhirkan data kepesertaan yang dikirim ke Pemkot."
            if report.ambiguous else
            "BPJS Ketenagakerjaan Cabang Jambi agar terus mengirim data kepesertaan terbaru sebelum monev berikutnya."]
    points.append({"party": "BPJS Ketenagakerjaan", "points": bpjs})
    return points
