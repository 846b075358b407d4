"""What each kind of file holds: canonical columns, the headers real exports use for them,
which values are required, what identifies a record, and the date orders that must hold.

``KINDS`` is the one registry the loader, the CLI and ``guess_kind`` read; adding a kind is
adding an entry here (and its table in :mod:`monitor.models`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, Table

from monitor.ingest import values
from monitor.models import Addendum, Agreement, Base, Contract, KampungActivity, Payment, Registration

_SEPARATORS = re.compile(r"[^0-9a-z]+")
_REPEATING_TYPES = frozenset({"date", "npwp", "year", "count", "enum", "opd"})


def normalize_header(label: object) -> str:
    """``No. Kontrak`` -> ``no_kontrak``: case, spaces, dots, underscores and other punctuation ignored."""
    return _SEPARATORS.sub("_", str(label).casefold()).strip("_")


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    default: Any = None
    # For ``enum``: accepted spellings (lower case) -> stored value.
    choices: Mapping[str, str] | None = None
    # Text whose values repeat across rows (vendors, places): each distinct value is parsed once.
    few_values: bool = False
    # A file without this column says nothing about it: the stored value stays (an older file re-imported
    # does not forget what a newer one said).
    kept_if_absent: bool = False

    @property
    def repeats(self) -> bool:
        return self.few_values or self.type in _REPEATING_TYPES


@dataclass(frozen=True)
class DateOrder:
    """``later`` may not fall before ``earlier`` (checked when both are present)."""

    later: str
    earlier: str


@dataclass(frozen=True)
class KindSpec:
    name: str
    title: str  # Indonesian, for messages: "kontrak"
    model: type[Base]
    columns: tuple[Column, ...]
    identity: tuple[str, ...]
    orders: tuple[DateOrder, ...] = ()
    # Words in a file name that say this kind: a name starting with one names the kind (the inbox's
    # convention, :func:`kind_from_name`); inside a name they break a tie between headers (``guess_kind``).
    file_words: tuple[str, ...] = ()
    # The table records where each row came from (``source``: csv or xlsx for a file of this kind).
    marks_source: bool = False
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})

    @property
    def table(self) -> Table:
        table = self.model.__table__
        assert isinstance(table, Table)
        return table

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def has_opd_known(self) -> bool:
        return "opd_known" in self.table.c

    def max_length(self, column: str) -> int | None:
        sql_type = self.table.c[column].type
        return sql_type.length if isinstance(sql_type, String) else None

    def parser(self, column: Column, limits: values.ValueLimits = values.DEFAULT_LIMITS) -> Callable[[object], Any]:
        """The cell parser for ``column`` (not for ``opd``, which needs the directory)."""
        return _PARSERS[column.type](self, column, limits)


def _enum(spec: KindSpec, column: Column, limits: values.ValueLimits) -> Callable[[object], Any]:
    assert column.choices is not None, f"{spec.name}.{column.name}: enum without choices"
    return values.enum_parser(column.choices, column.name.replace("_", " "))


def _text(spec: KindSpec, column: Column, limits: values.ValueLimits) -> Callable[[object], Any]:
    # One limit for every text cell, whatever the format; a narrower database column narrows it.
    length = spec.max_length(column.name)
    return values.text_parser(limits.max_text_chars if length is None else min(length, limits.max_text_chars))


_Factory = Callable[[KindSpec, Column, values.ValueLimits], Callable[[object], Any]]
_PARSERS: dict[str, _Factory] = {
    "text": _text,
    "money": lambda spec, column, limits: values.money_parser(limits.max_rupiah),
    "date": lambda spec, column, limits: values.parse_date,
    "npwp": lambda spec, column, limits: values.parse_npwp,
    "year": lambda spec, column, limits: values.count_parser(1990, 2100, "tahun"),
    "count": lambda spec, column, limits: values.count_parser(0, 1_000_000, "jumlah"),
    "enum": _enum,
}
# ``opd`` has no plain parser: the loader resolves it against the settings' OPD directory.
TYPES = (*_PARSERS, "opd")


class HeaderMatcher:
    """Maps a file's header cells to a kind's canonical columns.

    A header matches its canonical name, a configured alias (``[ingest.aliases.<kind>]``) or a
    built-in alias. When two headers name the same column, the closer spelling wins (canonical,
    then configured, then built-in in list order) and the other is ignored and noted.
    """

    def __init__(self, spec: KindSpec, configured: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self.spec = spec
        self.configured = dict(configured or {})
        self._ranks: dict[str, tuple[str, int]] = {}
        for column in spec.columns:
            for rank, alias in enumerate(column.aliases, start=1000):
                self._ranks.setdefault(normalize_header(alias), (column.name, rank))
        for name, aliases in (configured or {}).items():
            for rank, alias in enumerate(aliases, start=1):
                self._ranks[normalize_header(alias)] = (name, rank)
        for column in spec.columns:
            self._ranks[normalize_header(column.name)] = (column.name, 0)

    def match(self, label: object) -> str | None:
        if label is None:
            return None
        found = self._ranks.get(normalize_header(label))
        return found[0] if found else None

    def score(self, cells: Sequence[object]) -> int:
        """How many distinct columns of this kind a candidate header row names."""
        return len({name for cell in cells if (name := self.match(cell)) is not None})

    def map(self, header: list[str]) -> tuple[dict[str, int], list[str]]:
        """(canonical column -> index in the row, header cells that were ignored)."""
        best: dict[str, tuple[int, int]] = {}
        for index, label in enumerate(header):
            found = self._ranks.get(normalize_header(label))
            if found is None:
                continue
            name, rank = found
            if name not in best or rank < best[name][1]:
                best[name] = (index, rank)
        mapping = {name: index for name, (index, _) in best.items()}
        used = set(mapping.values())
        ignored = [label for index, label in enumerate(header) if index not in used and label]
        return mapping, ignored


def _choices(**groups: tuple[str, ...]) -> dict[str, str]:
    return {spelling: value for value, spellings in groups.items() for spelling in (value, *spellings)}


_OPD = ("Satker", "Satuan Kerja", "Nama Satker", "Nama Satuan Kerja", "Perangkat Daerah", "Nama OPD", "SKPD",
        "Nama SKPD", "Instansi", "Unit Kerja", "Dinas")
_NOMOR_KONTRAK = ("No. Kontrak", "No Kontrak", "Nomor SPK", "No. SPK", "No SPK", "Nomor SPK/Kontrak",
                  "No. Kontrak/SPK", "Nomor Surat Perjanjian")
_JENIS = _choices(
    konstruksi=("pekerjaan konstruksi", "jasa konstruksi", "fisik"),
    konsultansi=("konsultan", "jasa konsultansi", "konsultansi konstruksi", "jasa konsultansi konstruksi"),
)

CONTRACTS = KindSpec(
    name="contracts",
    title="kontrak",
    model=Contract,
    identity=("opd", "nomor_kontrak"),
    orders=(DateOrder("tanggal_selesai", "tanggal_kontrak"), DateOrder("tanggal_selesai", "tanggal_mulai")),
    file_words=("kontrak", "spk", "paket", "contract", "sirup"),
    marks_source=True,
    columns=(
        Column("kode_paket", aliases=("Kode RUP", "Kode Paket", "ID Paket", "ID RUP", "Kode Paket RUP",
                                      "Kode Tender")),
        Column("nomor_kontrak", required=True, aliases=("Nomor Kontrak", *_NOMOR_KONTRAK)),
        Column("tanggal_kontrak", "date", required=True,
               aliases=("Tgl Kontrak", "Tgl. Kontrak", "Tanggal SPK", "Tgl SPK", "Tanggal Tanda Tangan Kontrak")),
        Column("opd", "opd", required=True, aliases=_OPD),
        Column("nama_paket", required=True, aliases=("Nama Paket", "Paket", "Nama Pekerjaan", "Pekerjaan",
                                                     "Uraian Pekerjaan", "Nama Paket Pekerjaan")),
        Column("penyedia", required=True, aliases=("Nama Penyedia", "Rekanan", "Nama Rekanan", "Kontraktor",
                                                   "Nama Kontraktor", "Nama Perusahaan", "Pelaksana"), few_values=True),
        Column("npwp_penyedia", "npwp", aliases=("NPWP", "NPWP Rekanan", "NPWP Perusahaan")),
        Column("nilai_kontrak", "money", required=True,
               aliases=("Nilai Kontrak (Rp)", "Nilai Kontrak", "Nilai (Rp)", "Nilai", "Nilai SPK", "Harga Kontrak")),
        Column("tanggal_mulai", "date", aliases=("Tgl Mulai", "Tanggal SPMK", "Tgl SPMK", "Mulai",
                                                 "Tanggal Mulai Kerja")),
        Column("tanggal_selesai", "date", required=True,
               aliases=("Tgl Selesai", "Tanggal Akhir Kontrak", "Tgl Akhir Kontrak", "Tanggal Akhir", "Selesai",
                        "Tanggal Berakhir")),
        Column("sumber_dana", aliases=("Sumber Anggaran",), default="APBD", few_values=True),
        Column("jenis_pekerjaan", "enum", aliases=("Jenis Pengadaan", "Jenis"), default="konstruksi",
               choices=_JENIS),
        Column("tahun_anggaran", "year", aliases=("TA", "Tahun", "T.A.")),
        Column("kecamatan", aliases=("Kec", "Kec."), few_values=True),
        Column("kelurahan", aliases=("Kel", "Kel.", "Desa/Kelurahan"), few_values=True),
        # Optional: the PPK, where the file names one (SPSE's e-Kontrak calls them nama_ppk and nip_ppk).
        Column("nama_ppk", aliases=("Nama PPK", "PPK", "Pejabat Pembuat Komitmen"), few_values=True,
               kept_if_absent=True),
        Column("nip_ppk", aliases=("NIP PPK", "NIP Pejabat Pembuat Komitmen"), few_values=True, kept_if_absent=True),
    ),
)

ADDENDA = KindSpec(
    name="addenda",
    title="adendum",
    model=Addendum,
    identity=("opd", "nomor_kontrak", "nomor_adendum"),
    file_words=("adendum", "addendum", "amandemen", "addenda"),
    columns=(
        Column("nomor_kontrak", required=True, aliases=_NOMOR_KONTRAK),
        Column("opd", "opd", required=True, aliases=_OPD),
        Column("nomor_adendum", required=True, aliases=("No. Adendum", "No Adendum", "Nomor Addendum",
                                                        "No. Addendum", "Nomor Amandemen", "Adendum Ke")),
        Column("tanggal_adendum", "date", required=True, aliases=("Tgl Adendum", "Tanggal Addendum",
                                                                  "Tgl Addendum", "Tanggal Amandemen")),
        Column("nilai_kontrak_baru", "money", aliases=("Nilai Kontrak Baru (Rp)", "Nilai Setelah Adendum",
                                                       "Nilai Kontrak Setelah Adendum", "Nilai Baru", "Nilai Adendum")),
        Column("tanggal_selesai_baru", "date", aliases=("Tgl Selesai Baru", "Tanggal Akhir Baru",
                                                        "Tanggal Selesai Setelah Adendum")),
    ),
)

REGISTRATIONS = KindSpec(
    name="registrations",
    title="registrasi BPJS",
    model=Registration,
    identity=("nomor_registrasi",),
    orders=(DateOrder("masa_akhir", "masa_awal"),),
    file_words=("registrasi", "jakon", "bpjs", "kepesertaan", "registration"),
    columns=(
        Column("nomor_registrasi", required=True,
               aliases=("NO REGISTRASI", "NO. REGISTRASI", "NOMOR PROYEK", "NO PROYEK", "NO. PROYEK",
                        "NO KEPESERTAAN", "NOMOR KEPESERTAAN", "KODE PROYEK", "NO REGISTRASI PROYEK")),
        Column("npp", aliases=("NO NPP", "NOMOR NPP", "NPP PERUSAHAAN")),
        Column("nomor_kontrak", aliases=("NO KONTRAK", "NO. KONTRAK", "NOMOR SPK", "NO SPK", "NO. KONTRAK/SPK")),
        Column("nama_proyek", required=True, aliases=("NAMA PROYEK", "PROYEK", "NAMA PEKERJAAN", "NAMA PAKET")),
        Column("penyedia", required=True, aliases=("NAMA PERUSAHAAN", "NAMA KONTRAKTOR", "KONTRAKTOR",
                                                   "PERUSAHAAN", "NAMA PENYEDIA"), few_values=True),
        Column("npwp_penyedia", "npwp", aliases=("NPWP", "NPWP PERUSAHAAN")),
        Column("nilai_kontrak_terdaftar", "money", required=True,
               aliases=("NILAI PROYEK", "NILAI PROYEK (RP)", "NILAI KONTRAK", "NILAI KONTRAK (RP)", "NILAI")),
        Column("iuran_dibayar", "money", required=True,
               aliases=("IURAN", "IURAN (RP)", "JUMLAH IURAN", "TOTAL IURAN", "IURAN DIBAYAR (RP)")),
        Column("tanggal_daftar", "date", required=True,
               aliases=("TGL DAFTAR", "TGL. DAFTAR", "TGL REGISTRASI", "TANGGAL REGISTRASI", "TGL KEPESERTAAN")),
        Column("masa_awal", "date", required=True,
               aliases=("MASA KONTRAK AWAL", "MASA AWAL", "TGL MULAI", "TANGGAL MULAI", "AWAL KONTRAK",
                        "TGL AWAL KONTRAK", "MULAI")),
        Column("masa_akhir", "date", required=True,
               aliases=("MASA KONTRAK AKHIR", "MASA AKHIR", "TGL SELESAI", "TANGGAL SELESAI", "AKHIR KONTRAK",
                        "TGL AKHIR KONTRAK", "SELESAI")),
        Column("status", "enum", aliases=("STATUS KEPESERTAAN", "STATUS PROYEK"), default="aktif",
               choices=_choices(aktif=("active",), berakhir=("selesai", "expired", "tidak aktif", "nonaktif"),
                                batal=("dibatalkan", "cancelled", "canceled"))),
    ),
)

PAYMENTS = KindSpec(
    name="payments",
    title="SP2D",
    model=Payment,
    identity=("nomor_sp2d",),
    file_words=("sp2d", "pembayaran", "payment", "bpkad"),
    columns=(
        Column("nomor_sp2d", required=True, aliases=("No. SP2D", "No SP2D", "Nomor SP2D")),
        Column("tanggal_sp2d", "date", required=True, aliases=("Tgl SP2D", "Tgl. SP2D", "Tanggal")),
        Column("nomor_kontrak", required=True, aliases=_NOMOR_KONTRAK),
        Column("opd", "opd", required=True, aliases=_OPD),
        Column("nilai", "money", required=True, aliases=("Nilai SP2D", "Nilai (Rp)", "Nilai SP2D (Rp)", "Jumlah",
                                                         "Jumlah (Rp)", "Jumlah Dibayar")),
        Column("uraian", aliases=("Keterangan", "Uraian SP2D")),
    ),
)

AGREEMENTS = KindSpec(
    name="agreements",
    title="perjanjian (MoU/PKS)",
    model=Agreement,
    identity=("nomor",),
    orders=(DateOrder("tanggal_berakhir", "tanggal_mulai"),),
    file_words=("mou", "pks", "perjanjian", "kerjasama", "kerja_sama", "agreement"),
    columns=(
        Column("nomor", required=True, aliases=("Nomor Perjanjian", "No. Perjanjian", "No Perjanjian", "Nomor MoU",
                                                "Nomor PKS", "Nomor Naskah")),
        Column("jenis", aliases=("Jenis Perjanjian", "Jenis Naskah"), few_values=True),
        Column("judul", required=True, aliases=("Judul Perjanjian", "Perihal", "Tentang")),
        Column("pihak", aliases=("Para Pihak", "Mitra", "Pihak Kedua"), few_values=True),
        Column("opd", "opd", aliases=_OPD),
        Column("tanggal_mulai", "date", aliases=("Tgl Mulai", "Tanggal Berlaku", "Tanggal Tanda Tangan", "Tgl TTD")),
        Column("tanggal_berakhir", "date", required=True,
               aliases=("Tgl Berakhir", "Berlaku Sampai", "Tanggal Selesai", "Tanggal Akhir", "Berakhir")),
        Column("status", "enum", default="berlaku",
               choices=_choices(berlaku=("aktif", "active"), diperpanjang=("perpanjangan", "renewed"),
                                berakhir=("tidak berlaku", "habis", "expired", "selesai"))),
        Column("nomor_pengganti", aliases=("Diganti Dengan", "Perjanjian Pengganti", "Diperpanjang Dengan",
                                           "Nomor Perpanjangan")),
    ),
)

KAMPUNG = KindSpec(
    name="kampung",
    title="kegiatan Kampung Bahagia",
    model=KampungActivity,
    identity=("kode_kegiatan",),
    orders=(DateOrder("tanggal_selesai", "tanggal_mulai"),),
    file_words=("kampung", "bahagia", "rt_"),
    columns=(
        Column("kode_kegiatan", required=True, aliases=("Kode", "ID Kegiatan", "Kode Kegiatan RT")),
        Column("kecamatan", aliases=("Kec", "Kec."), few_values=True),
        Column("kelurahan", required=True, aliases=("Kel", "Kel.", "Desa/Kelurahan"), few_values=True),
        Column("rt", required=True, aliases=("No RT", "Nomor RT", "RT No"), few_values=True),
        Column("nama_kegiatan", required=True, aliases=("Kegiatan", "Uraian Kegiatan", "Nama Kegiatan RT")),
        Column("nilai_kegiatan", "money", required=True, aliases=("Nilai Kegiatan (Rp)", "Nilai", "Nilai (Rp)",
                                                                  "Anggaran", "Pagu", "Pagu (Rp)")),
        Column("tanggal_mulai", "date", required=True, aliases=("Tgl Mulai", "Tanggal Pelaksanaan", "Mulai")),
        Column("tanggal_selesai", "date", aliases=("Tgl Selesai", "Selesai")),
        Column("nomor_sk_rt", aliases=("Nomor SK RT", "No SK RT", "No. SK RT", "Nomor SK", "No. SK", "No SK")),
        Column("tanggal_sk_rt", "date", aliases=("Tgl SK RT", "Tanggal SK", "Tgl SK")),
        Column("jumlah_peserta", "count", aliases=("Peserta", "Jumlah Warga", "Jml Peserta", "Jumlah Peserta (Orang)")),
        Column("nomor_registrasi", aliases=("No Registrasi", "No. Registrasi", "Nomor Registrasi BPJS",
                                            "No. Registrasi BPJS", "Nomor Proyek")),
    ),
)

KINDS: dict[str, KindSpec] = {
    spec.name: spec for spec in (CONTRACTS, ADDENDA, REGISTRATIONS, PAYMENTS, AGREEMENTS, KAMPUNG)
}


# Words a file of one of the real sources' datasets starts with (monitor.ingest.SOURCES):
# spse_kontrak.json, isb_spmk.json, inaproc_kontrak.xlsx, ocds_2026.jsonl.
SOURCE_FILE_WORDS: Mapping[str, tuple[str, ...]] = {"spse": ("spse", "isb", "inaproc"), "ocds": ("ocds",)}


def kind_from_name(name: str) -> str | None:
    """The kind a file's name starts with (``kontrak_2026-03.csv``, ``SP2D maret.xlsx``), case and punctuation
    ignored; the longest word wins (``adendum_kontrak`` is addenda). ``None`` when no kind's word starts it."""
    stem = normalize_header(name.rsplit(".", 1)[0] if "." in name else name)
    best: tuple[int, str] | None = None
    words = [*((spec.name, spec.file_words) for spec in KINDS.values()), *SOURCE_FILE_WORDS.items()]
    for kind, file_words in words:
        for word in map(normalize_header, file_words):
            # A short word (rt, spk, mou) must end there: "rtlh_2026" is not a Kampung Bahagia file.
            whole = len(word) > 3 or not stem[len(word):len(word) + 1].isalpha()
            if stem.startswith(word) and whole and (best is None or len(word) > best[0]):
                best = (len(word), kind)
    return best[1] if best else None


def validate_registry(kinds: Mapping[str, KindSpec] = KINDS) -> None:
    """Fail loudly on a spec that cannot work: unknown types, columns missing from the table,
    or one header spelling claimed by two columns of the same kind."""
    for name, spec in kinds.items():
        if name != spec.name:
            raise ValueError(f"KINDS[{name!r}] holds spec {spec.name!r}")
        seen: dict[str, str] = {}
        for column in spec.columns:
            if column.type not in TYPES:
                raise ValueError(f"{name}.{column.name}: unknown type {column.type!r}")
            if column.name not in spec.table.c:
                raise ValueError(f"{name}.{column.name}: no such column in table {spec.table.name}")
            for spelling in (column.name, *column.aliases):
                key = normalize_header(spelling)
                if seen.setdefault(key, column.name) != column.name:
                    raise ValueError(f"{name}: header {spelling!r} names both {seen[key]} and {column.name}")
        for key in (*spec.identity, *(o.later for o in spec.orders), *(o.earlier for o in spec.orders)):
            if key not in spec.by_name:
                raise ValueError(f"{name}: {key!r} is not one of its columns")
