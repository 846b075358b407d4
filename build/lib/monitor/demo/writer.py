"""Write the demo year in the formats people really have.

- contracts: CSV saved by Excel-Indonesia (``;``, Windows-1252, ``Rp 1.250.000.000,00``, dd/mm/yyyy);
- registrations: the BPJS Jakon export (XLSX, title rows above an UPPER-CASE header, real date cells);
- addenda: ``,``-separated UTF-8 with a BOM, dates written ``25 Maret 2026``;
- payments: ``;``-separated UTF-8, dates ``25-03-2026``, ``Rp. 61.000.000,-``;
- agreements: XLSX with a title row; kampung: ``;`` Windows-1252 like the contracts.

``fmt="csv"`` writes every kind as its CSV style, ``"xlsx"`` every kind as XLSX, ``"auto"`` the mix
above, or all CSV for large years (XLSX is slow to write and to read).
"""

from __future__ import annotations

import csv
import io
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

Format = Literal["auto", "csv", "xlsx"]
FORMATS: tuple[str, ...] = ("auto", "csv", "xlsx")
AUTO_CSV_ABOVE = 20_000  # contracts; above this "auto" writes CSV only

BULAN = ("", "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
         "November", "Desember")
DATE_COLUMNS = frozenset({"tanggal_kontrak", "tanggal_mulai", "tanggal_selesai", "tanggal_adendum",
                          "tanggal_selesai_baru", "tanggal_daftar", "masa_awal", "masa_akhir", "tanggal_sp2d",
                          "tanggal_berakhir", "tanggal_sk_rt"})
MONEY_COLUMNS = frozenset({"nilai_kontrak", "nilai_kontrak_baru", "nilai_kontrak_terdaftar", "iuran_dibayar",
                           "nilai", "nilai_kegiatan"})


def _rupiah_excel(value: int) -> str:
    return f"Rp {value:,}".replace(",", ".") + ",00"


def _rupiah_dots(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _rupiah_dash(value: int) -> str:
    return f"Rp. {value:,}".replace(",", ".") + ",-"


def _rupiah_kampung(value: int) -> str:
    return f"Rp {value:,}".replace(",", ".") + ",-"


def _tanggal(value: date) -> str:
    return f"{value.day} {BULAN[value.month]} {value.year}"


@dataclass(frozen=True)
class Layout:
    """How one kind is written: its headers (canonical column -> header text) and cell styles."""

    kind: str
    stem: str
    headers: tuple[tuple[str, str], ...]
    delimiter: str
    encoding: str
    date_text: Callable[[date], str]
    money_text: Callable[[int], str]
    xlsx_default: bool = False  # "auto" writes it as XLSX for small years
    title_rows: tuple[str, ...] = ()  # above the header, XLSX only
    row_number: bool = False  # a leading "No" column, as people number their rows
    sheet: str = "Sheet1"
    enum_text: Callable[[str, str], str] = lambda column, value: value


def _contract_enum(column: str, value: str) -> str:
    if column == "jenis_pekerjaan":
        return "Pekerjaan Konstruksi" if value == "konstruksi" else "Jasa Konsultansi"
    return value


LAYOUTS: dict[str, Layout] = {
    "contracts": Layout(
        "contracts", "contracts",
        (("kode_paket", "Kode RUP"), ("nomor_kontrak", "Nomor Kontrak"), ("tanggal_kontrak", "Tgl. Kontrak"),
         ("opd", "Satuan Kerja"), ("nama_paket", "Nama Paket"), ("penyedia", "Nama Penyedia"),
         ("npwp_penyedia", "NPWP Penyedia"), ("nilai_kontrak", "Nilai Kontrak (Rp)"),
         ("tanggal_mulai", "Tanggal SPMK"), ("tanggal_selesai", "Tanggal Akhir Kontrak"),
         ("sumber_dana", "Sumber Dana"), ("jenis_pekerjaan", "Jenis Pengadaan"), ("tahun_anggaran", "TA"),
         ("kecamatan", "Kecamatan"), ("kelurahan", "Kelurahan")),
        ";", "cp1252", lambda d: d.strftime("%d/%m/%Y"), _rupiah_excel, row_number=True,
        sheet="Kontrak", enum_text=_contract_enum,
    ),
    "registrations": Layout(
        "registrations", "registrations",
        (("nomor_registrasi", "NO. REGISTRASI PROYEK"), ("npp", "NPP"), ("nomor_kontrak", "NO. KONTRAK"),
         ("nama_proyek", "NAMA PROYEK"), ("penyedia", "NAMA PERUSAHAAN"), ("npwp_penyedia", "NPWP"),
         ("nilai_kontrak_terdaftar", "NILAI PROYEK (RP)"), ("iuran_dibayar", "IURAN DIBAYAR (RP)"),
         ("tanggal_daftar", "TGL. DAFTAR"), ("masa_awal", "MASA KONTRAK AWAL"),
         ("masa_akhir", "MASA KONTRAK AKHIR"), ("status", "STATUS")),
        ",", "utf-8", lambda d: d.strftime("%d/%m/%Y"), str, xlsx_default=True,
        title_rows=("BPJS KETENAGAKERJAAN", "KANTOR CABANG JAMBI",
                    "DAFTAR KEPESERTAAN PROYEK JASA KONSTRUKSI", "{period}", ""),
        sheet="Data Proyek",
        enum_text=lambda column, value: value.upper(),
    ),
    "addenda": Layout(
        "addenda", "addenda",
        (("nomor_kontrak", "Nomor Kontrak"), ("opd", "Perangkat Daerah"), ("nomor_adendum", "Nomor Adendum"),
         ("tanggal_adendum", "Tanggal Adendum"), ("nilai_kontrak_baru", "Nilai Setelah Adendum"),
         ("tanggal_selesai_baru", "Tanggal Selesai Setelah Adendum")),
        ",", "utf-8-sig", _tanggal, _rupiah_dots, sheet="Adendum",
    ),
    "payments": Layout(
        "payments", "payments",
        (("nomor_sp2d", "No. SP2D"), ("tanggal_sp2d", "Tgl SP2D"), ("nomor_kontrak", "No. Kontrak"),
         ("opd", "SKPD"), ("nilai", "Nilai SP2D (Rp)"), ("uraian", "Uraian")),
        ";", "utf-8", lambda d: d.strftime("%d-%m-%Y"), _rupiah_dash, sheet="SP2D",
    ),
    "agreements": Layout(
        "agreements", "agreements",
        (("nomor", "Nomor Perjanjian"), ("jenis", "Jenis Perjanjian"), ("judul", "Judul"),
         ("pihak", "Para Pihak"), ("opd", "OPD"), ("tanggal_mulai", "Tanggal Mulai"),
         ("tanggal_berakhir", "Tanggal Berakhir"), ("status", "Status"), ("nomor_pengganti", "Nomor Pengganti")),
        ",", "utf-8", date.isoformat, str, xlsx_default=True,
        title_rows=("DAFTAR NASKAH KERJA SAMA PEMERINTAH KOTA JAMBI DENGAN BPJS KETENAGAKERJAAN", "{state}", ""),
        sheet="Kerja Sama", enum_text=lambda column, value: value.capitalize(),
    ),
    "kampung": Layout(
        "kampung", "kampung",
        (("kode_kegiatan", "Kode Kegiatan"), ("kecamatan", "Kecamatan"), ("kelurahan", "Kelurahan"),
         ("rt", "RT"), ("nama_kegiatan", "Nama Kegiatan"), ("nilai_kegiatan", "Nilai Kegiatan (Rp)"),
         ("tanggal_mulai", "Tanggal Mulai"), ("tanggal_selesai", "Tanggal Selesai"),
         ("nomor_sk_rt", "Nomor SK RT"), ("tanggal_sk_rt", "Tanggal SK RT"), ("jumlah_peserta", "Jumlah Peserta"),
         ("nomor_registrasi", "Nomor Registrasi BPJS")),
        ";", "cp1252", lambda d: d.strftime("%d/%m/%Y"), _rupiah_kampung, row_number=True, sheet="Kegiatan RT",
    ),
}
ENUM_COLUMNS = frozenset({"status", "jenis_pekerjaan"})


class _Texts(dict[Any, Any]):
    """value -> its text in the file's style (a date, an enum), computed once per distinct value;
    raw text (a malformed cell) and None pass through."""

    def __init__(self, text: Callable[[Any], str]) -> None:
        super().__init__({None: None})
        self.text = text

    def __missing__(self, value: Any) -> Any:
        result = self[value] = value if isinstance(value, str) else self.text(value)
        return result


def file_format(kind: str, fmt: Format, contracts: int) -> Literal["csv", "xlsx"]:
    if fmt == "csv" or (fmt == "auto" and (contracts > AUTO_CSV_ABOVE or not LAYOUTS[kind].xlsx_default)):
        return "csv"
    return "xlsx"


class _Table:
    """One output file; malformed rows are slotted in at their planned lines (header = line 1)."""

    def __init__(self, layout: Layout, path: Path | None, context: dict[str, str]) -> None:
        self.layout = layout
        self.path = path
        self.columns = [column for column, _ in layout.headers]
        self.header = (["No"] if layout.row_number else []) + [header for _, header in layout.headers]
        self.written = 0  # data rows so far, malformed included
        self.pending: list[dict[str, Any]] = []
        self.context = context

    def plan_malformed(self, malformed: Iterable[dict[str, Any]]) -> None:
        self.pending = sorted(malformed, key=lambda item: item["line"])

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        start = 0
        while self.pending and start <= len(rows):
            take = self.pending[0]["line"] - 2 - self.written
            if take > len(rows) - start:
                break
            self._emit(rows[start:start + take])
            self._emit([self.pending.pop(0)["row"]])
            start += take
        self._emit(rows[start:])

    def close(self) -> None:
        for item in self.pending:
            self._emit([item["row"]])
        self.pending = []

    def _emit(self, rows: Sequence[dict[str, Any]]) -> None:
        raise NotImplementedError


class _CsvTable(_Table):
    """A CSV file, or (``path`` None) a piece of one rendered in memory by a worker process."""

    def __init__(self, layout: Layout, path: Path | None, context: dict[str, str]) -> None:
        super().__init__(layout, path, context)
        self.file: IO[str] = io.StringIO() if path is None else path.open("w", encoding=layout.encoding, newline="")
        self.writer = csv.writer(self.file, delimiter=layout.delimiter, lineterminator="\r\n")
        if path is not None:
            self.writer.writerow(self.header)
        # Fast path for a million rows: each column is a C-level map over the rows (dates and
        # enums through lookup tables), zipped into lines; csv writes None as "" and ints as digits.
        self.columns_out = [(operator.itemgetter(column), self._formatter(column)) for column in self.columns]

    def _formatter(self, column: str) -> Callable[[Any], Any] | None:
        layout = self.layout
        if column in DATE_COLUMNS:
            return _Texts(layout.date_text).__getitem__
        if column in ENUM_COLUMNS:
            enum = layout.enum_text
            return _Texts(lambda value: enum(column, value)).__getitem__
        if column in MONEY_COLUMNS:
            money = layout.money_text
            return lambda value: value if value is None or isinstance(value, str) else money(value)
        return None

    def _emit(self, rows: Sequence[dict[str, Any]]) -> None:
        columns: list[Iterable[Any]] = [
            map(cell, rows) if formatter is None else map(formatter, map(cell, rows))
            for cell, formatter in self.columns_out
        ]
        if self.layout.row_number:
            columns.insert(0, range(self.written + 1, self.written + 1 + len(rows)))
        self.writer.writerows(zip(*columns, strict=True))
        self.written += len(rows)

    def append_text(self, text: str, rows: int) -> None:
        """Append rows a worker rendered (see :func:`render_csv`)."""
        self.file.write(text)
        self.written += rows

    def text(self) -> str:
        assert isinstance(self.file, io.StringIO)
        return self.file.getvalue()

    def close(self) -> None:
        super().close()
        self.file.close()


def render_csv(kind: str, rows: Sequence[dict[str, Any]], written_before: int,
               malformed: Iterable[dict[str, Any]] = ()) -> tuple[str, int]:
    """``rows`` (and any malformed rows that fall among them) as the CSV lines of ``kind``'s file,
    continuing after ``written_before`` data rows. Returns the text and how many rows it holds."""
    table = _CsvTable(LAYOUTS[kind], None, {})
    table.written = written_before
    table.plan_malformed(malformed)
    table.write(rows)
    _Table.close(table)  # any malformed rows left, but keep the buffer open to read it
    return table.text(), table.written - written_before


class _XlsxTable(_Table):
    def __init__(self, layout: Layout, path: Path, context: dict[str, str]) -> None:
        super().__init__(layout, path, context)
        self.out = path
        self.book = Workbook(write_only=True)
        self.sheet: WriteOnlyWorksheet = self.book.create_sheet(layout.sheet)
        for title in layout.title_rows:
            self.sheet.append([title.format(**context)] if title else [])
        self.sheet.append(self.header)

    def _cell(self, column: str, value: Any) -> Any:
        if value is None or (isinstance(value, str) and column not in ENUM_COLUMNS):
            return value
        if column in DATE_COLUMNS:
            cell = WriteOnlyCell(self.sheet, value=datetime.combine(value, time()))
            cell.number_format = "DD/MM/YYYY"
            return cell
        if column in MONEY_COLUMNS:
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = "#,##0"
            return cell
        if column in ENUM_COLUMNS:
            return self.layout.enum_text(column, value)
        return value

    def _emit(self, rows: Sequence[dict[str, Any]]) -> None:
        numbered = self.layout.row_number
        for row in rows:
            self.written += 1
            cells = [self._cell(column, row[column]) for column in self.columns]
            self.sheet.append([self.written, *cells] if numbered else cells)

    def close(self) -> None:
        super().close()
        stamp = datetime.fromisoformat(self.context["stamp"])
        self.book.properties.created = stamp
        self.book.properties.modified = stamp
        self.book.save(self.out)


class FileSet:
    """The year's data files in ``out_dir``: feed rows kind by kind, chunk by chunk, then close."""

    def __init__(self, out_dir: Path, fmt: Format, contracts: int, as_of: date, year: int) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        out_dir.mkdir(parents=True, exist_ok=True)
        context = {
            "period": f"PERIODE: 01/01/{year} S.D. {as_of:%d/%m/%Y}",
            "state": f"Keadaan per {_tanggal(as_of)}",
            "stamp": datetime.combine(as_of, time(8)).isoformat(),
        }
        self.tables: dict[str, _Table] = {}
        for kind, layout in LAYOUTS.items():
            ext = file_format(kind, fmt, contracts)
            cls = _CsvTable if ext == "csv" else _XlsxTable
            self.tables[kind] = cls(layout, out_dir / f"{layout.stem}.{ext}", context)

    @property
    def paths(self) -> dict[str, Path]:
        return {kind: table.path for kind, table in self.tables.items() if table.path is not None}

    def header_text(self, kind: str, column: str) -> str:
        return dict(self.tables[kind].layout.headers)[column]

    def header_line(self, kind: str) -> int:
        """The line of the file (XLSX: the sheet row) that holds the header."""
        table = self.tables[kind]
        return 1 + (len(table.layout.title_rows) if isinstance(table, _XlsxTable) else 0)

    def plan_malformed(self, malformed: dict[str, list[dict[str, Any]]]) -> None:
        for kind, items in malformed.items():
            self.tables[kind].plan_malformed(items)

    def write(self, kind: str, rows: Sequence[dict[str, Any]]) -> None:
        self.tables[kind].write(rows)

    def is_csv(self) -> bool:
        return all(isinstance(table, _CsvTable) for table in self.tables.values())

    def append_text(self, kind: str, text: str, rows: int) -> None:
        table = self.tables[kind]
        assert isinstance(table, _CsvTable)
        table.append_text(text, rows)

    def close(self) -> None:
        for table in self.tables.values():
            table.close()
