"""Every kind of file imports as its real exports write it, with its own date-order rules."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.ingest import KINDS, ingest_file
from monitor.ingest.kinds import HeaderMatcher, normalize_header, validate_registry
from monitor.models import Addendum, Agreement, KampungActivity, Payment, Registration

from .conftest import write_csv, write_xlsx_openpyxl, write_xlsx_xlsxwriter

BPJS_HEADER = ["NO", "NO REGISTRASI", "NPP", "NO KONTRAK", "NAMA PROYEK", "NAMA PERUSAHAAN", "NPWP", "NILAI PROYEK",
               "IURAN", "TGL DAFTAR", "MASA KONTRAK AWAL", "MASA KONTRAK AKHIR", "STATUS"]


def test_the_registry_is_consistent() -> None:
    validate_registry()
    assert set(KINDS) == {"contracts", "addenda", "registrations", "payments", "agreements", "kampung"}
    assert KINDS["contracts"].identity == ("opd", "nomor_kontrak")
    assert KINDS["addenda"].identity == ("opd", "nomor_kontrak", "nomor_adendum")
    assert KINDS["registrations"].identity == ("nomor_registrasi",)
    assert KINDS["payments"].identity == ("nomor_sp2d",)
    assert KINDS["agreements"].identity == ("nomor",)
    assert KINDS["kampung"].identity == ("kode_kegiatan",)


@pytest.mark.parametrize(
    ("written", "column"),
    [("NOMOR REGISTRASI", "nomor_registrasi"), ("nomor_registrasi", "nomor_registrasi"),
     ("Nomor.Registrasi", "nomor_registrasi"), ("  No.  Registrasi ", "nomor_registrasi"),
     ("NOMOR PROYEK", "nomor_registrasi"), ("NAMA KONTRAKTOR", "penyedia"), ("Tgl. Daftar", "tanggal_daftar"),
     ("MASA KONTRAK AKHIR", "masa_akhir"), ("Iuran (Rp)", "iuran_dibayar"), ("NO", None)],
)
def test_headers_match_ignoring_case_spaces_dots_and_underscores(written: str, column: str | None) -> None:
    assert HeaderMatcher(KINDS["registrations"]).match(written) == column


def test_the_canonical_name_wins_over_an_alias_for_the_same_column() -> None:
    mapping, ignored = HeaderMatcher(KINDS["registrations"]).map(["NOMOR PROYEK", "nomor_registrasi", "X"])
    assert mapping["nomor_registrasi"] == 1
    assert ignored == ["NOMOR PROYEK", "X"]
    assert normalize_header("Nilai Kontrak (Rp)") == "nilai_kontrak_rp"


def test_bpjs_registrations_from_excel_with_title_rows(app: App, tmp_path: Path) -> None:
    rows = [
        BPJS_HEADER,
        [1, "JK2603000123", "NN123456", "027/14/SPK-PUPR/III/2026", "REHAB MASJID SYARA’", "KARYA ABADI, CV",
         "01.234.567.8-901.000", 1_250_000_000, 2_350_000, datetime(2026, 3, 20), datetime(2026, 3, 9),
         datetime(2026, 8, 25), "AKTIF"],
        [2, "JK2603000124", None, None, "JALAN RT 05", "BUMI JAYA, PT", None, "Rp 98.765.432,00", "237.037",
         "25 Maret 2026", "25/03/2026", "25/02/2026", None],
        [3, "JK2603000125", None, "-", "DRAINASE", "SINAR, CV", None, 100_000_000, 240_000, 46106, 46106, 46300,
         "Batal"],
    ]
    path = write_xlsx_xlsxwriter(tmp_path / "Laporan Jakon.xlsx", rows, sheet="Jakon",
                                 title=["LAPORAN KEPESERTAAN JASA KONSTRUKSI", "KANTOR CABANG JAMBI", ""])
    report = ingest_file(app, "registrations", path)
    assert (report.rows, report.inserted, report.rejected) == (3, 2, 1)
    assert [(e.line, e.column) for e in report.errors] == [(6, "MASA KONTRAK AKHIR")]
    assert "lebih awal dari MASA KONTRAK AWAL" in report.errors[0].message
    assert report.notes["sheet"] == "Jakon" and report.notes["header_line"] == 4
    with app.sessions() as session:
        first, third = session.scalars(select(Registration).order_by(Registration.nomor_registrasi))
    assert first.source_line == 5
    assert (first.penyedia, first.nomor_kontrak, first.npwp_penyedia) == (
        "KARYA ABADI, CV", "027/14/SPK-PUPR/III/2026", "012345678901000")
    assert (first.nilai_kontrak_terdaftar, first.iuran_dibayar) == (1_250_000_000, 2_350_000)
    assert (first.tanggal_daftar, first.masa_awal, first.masa_akhir) == (date(2026, 3, 20), date(2026, 3, 9),
                                                                        date(2026, 8, 25))
    assert first.status == "aktif"
    assert (third.nomor_kontrak, third.status, third.tanggal_daftar, third.masa_akhir) == (
        None, "batal", date(2026, 3, 25), date(2026, 10, 5))


def test_addenda_belong_to_a_contract_of_an_opd(app: App, tmp_path: Path) -> None:
    rows = [["No. Kontrak", "Satker", "No. Adendum", "Tgl Adendum", "Nilai Kontrak Baru", "Tgl Selesai Baru"],
            ["027/14", "Dinas PUPR", "ADD-1", "01/06/2026", "1.300.000.000", "30/09/2026"],
            ["027/14", "Dinas PUPR", "ADD-2", "01/08/2026", "", "31/10/2026"],
            ["027/14", "Disdik", "ADD-1", "01/08/2026", "", ""],
            ["027/14", "PUPR", "ADD-1", "02/08/2026", "", ""]]
    report = ingest_file(app, "addenda", write_csv(tmp_path / "adendum.csv", rows, delimiter=";"))
    assert (report.inserted, report.rejected) == (3, 1)
    assert report.errors[0].line == 5 and "baris 2" in report.errors[0].message
    with app.sessions() as session:
        found = {(a.opd, a.nomor_adendum, a.nilai_kontrak_baru, a.tanggal_selesai_baru)
                 for a in session.scalars(select(Addendum))}
    assert found == {("PUPR", "ADD-1", 1_300_000_000, date(2026, 9, 30)), ("PUPR", "ADD-2", None, date(2026, 10, 31)),
                     ("DISDIK", "ADD-1", None, None)}


def test_payments_are_sp2d_with_a_contract_and_an_amount(app: App, tmp_path: Path) -> None:
    rows = [["No. SP2D", "Tgl SP2D", "No. Kontrak", "SKPD", "Nilai SP2D (Rp)", "Keterangan"],
            ["0012/SP2D/LS/2026", "15 Apr 2026", "027/14", "PUPR", "Rp. 375.000.000,-", "Termin I (30%)"],
            ["0013/SP2D/LS/2026", "16 Apr 2026", "027/15", "PUPR", "-1", ""]]
    report = ingest_file(app, "payments", write_csv(tmp_path / "sp2d.csv", rows))
    assert (report.inserted, report.rejected) == (1, 1)
    assert (report.errors[0].line, report.errors[0].column) == (3, "Nilai SP2D (Rp)")
    with app.sessions() as session:
        payment = session.scalars(select(Payment)).one()
    assert (payment.nilai, payment.tanggal_sp2d, payment.opd, payment.uraian) == (
        375_000_000, date(2026, 4, 15), "PUPR", "Termin I (30%)")


def test_agreements_end_after_they_start_and_have_a_known_status(app: App, tmp_path: Path) -> None:
    rows = [["Nomor", "Jenis", "Judul", "Pihak", "OPD", "Tanggal Mulai", "Tanggal Berakhir", "Status",
             "Nomor Pengganti"],
            ["MoU/01/2023", "MoU", "Perlindungan Jaminan Sosial", "BPJS Ketenagakerjaan", "", "25/05/2023",
             "25/05/2025", "Diperpanjang", "MoU/07/2025"],
            ["MoU/07/2025", "MoU", "Perpanjangan", "BPJS Ketenagakerjaan", "Bagian Kerja Sama", "28/05/2025",
             "28/05/2027", "", ""],
            ["PKS/02/2025", "PKS", "Terbalik", "BPJS", "", "01/06/2025", "01/01/2025", "berlaku", ""],
            ["PKS/03/2025", "PKS", "Status aneh", "BPJS", "", "", "01/01/2026", "hilang", ""]]
    report = ingest_file(app, "agreements", write_xlsx_openpyxl(tmp_path / "mou.xlsx", rows))
    assert (report.inserted, report.rejected) == (2, 2)
    assert [(e.line, e.column) for e in report.errors] == [(4, "Tanggal Berakhir"), (5, "Status")]
    assert report.notes["unknown_opd"] == {"Bagian Kerja Sama": 1}
    with app.sessions() as session:
        found = {a.nomor: (a.status, a.nomor_pengganti, a.opd) for a in session.scalars(select(Agreement))}
    assert found == {"MoU/01/2023": ("diperpanjang", "MoU/07/2025", None),
                     "MoU/07/2025": ("berlaku", None, "Bagian Kerja Sama")}


def test_kampung_activities_from_rt_level_sheets(app: App, tmp_path: Path) -> None:
    rows = [["Kode Kegiatan", "Kecamatan", "Kelurahan", "RT", "Nama Kegiatan", "Nilai Kegiatan", "Tanggal Mulai",
             "Tanggal Selesai", "Nomor SK RT", "Tanggal SK RT", "Jumlah Peserta", "Nomor Registrasi"],
            ["KB-2025-001", "Kota Baru", "Kenali Asam Bawah", 14, "Gotong royong drainase", 100_000_000,
             datetime(2025, 9, 24), datetime(2025, 10, 24), "SK/RT14/2025", datetime(2025, 9, 20), 25, None],
            ["KB-2025-002", "Kota Baru", "Kenali Asam Bawah", "15", "Pavingisasi", "Rp 95.000.000,-",
             "01/10/2025", "", "", "", "banyak", ""]]
    report = ingest_file(app, "kampung", write_xlsx_xlsxwriter(tmp_path / "kampung.xlsx", rows))
    assert (report.inserted, report.rejected) == (1, 1)
    assert (report.errors[0].line, report.errors[0].column) == (3, "Jumlah Peserta")
    with app.sessions() as session:
        activity = session.scalars(select(KampungActivity)).one()
    assert (activity.rt, activity.nilai_kegiatan, activity.jumlah_peserta, activity.tanggal_sk_rt) == (
        "14", 100_000_000, 25, date(2025, 9, 20))
