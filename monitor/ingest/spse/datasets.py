"""SPSE's datasets: the fields each stage of a procurement carries, and one row of a dataset parsed
into a :class:`StageRow` (or the reasons it cannot be one).

Each of LKPP's datasets is one stage, for tender and non-tender alike (``kd_tender`` or
``kd_nontender``): the announcement (paket), the e-Kontrak contract, the SPMK/SPP, the BAPBAST and the
tender's final values. A file holds one dataset; which one is told by the fields it has.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import orjson

from monitor.ingest.spse import values
from monitor.ingest.values import BadValue

Parser = Callable[[object], Any]

# Every field Pantau reads, by its SPSE name, with its parser. Other fields (lingkup_pekerjaan with its
# HTML, alamat_satker, ...) are kept only in a rejected row's raw values.
FIELDS: Mapping[str, Parser] = {
    "kd_tender": values.parse_code, "kd_nontender": values.parse_code, "kd_rup": values.parse_code,
    "nama_paket": values.parse_text, "pagu": values.parse_sen, "hps": values.parse_sen,
    "sumber_dana": values.parse_text, "jenis_pengadaan": values.parse_text, "tahun_anggaran": values.parse_int,
    "nama_satker": values.parse_text, "kd_satker_str": values.parse_code,
    "no_kontrak": values.parse_text, "tgl_kontrak": values.parse_date, "tgl_kontrak_awal": values.parse_date,
    "tgl_kontrak_akhir": values.parse_date, "nama_penyedia": values.parse_text,
    "npwp_penyedia": values.parse_npwp, "npwp_16_penyedia": values.parse_npwp,
    "nilai_kontrak": values.parse_sen, "nilai_negosiasi": values.parse_sen, "status_kontrak": values.parse_text,
    "apakah_addendum": values.parse_text, "versi_addendum": values.parse_int, "alasan_addendum": values.parse_text,
    "nama_ppk": values.parse_text, "nip_ppk": values.parse_code, "anggota_kso": values.parse_members,
    "no_spmk_spp": values.parse_text, "tgl_spmk_spp": values.parse_date, "tgl_mulai_pekerjaan": values.parse_date,
    "tgl_selesai_pekerjaan": values.parse_date, "waktu_penyelesaian": values.parse_days,
    "no_bapbast": values.parse_text, "tgl_bapbast": values.parse_date,
}
# Other spellings of the same fields (headers are normalized first: "NPWP 16 Penyedia" -> npwp_16_penyedia).
ALIASES: Mapping[str, str] = {
    "npwp16_penyedia": "npwp_16_penyedia", "npwp_16": "npwp_16_penyedia",
    "no_bast": "no_bapbast", "tgl_bast": "tgl_bapbast", "no_bap_bast": "no_bapbast", "tgl_bap_bast": "tgl_bapbast",
    "tgl_serah_terima": "tgl_bapbast", "kode_tender": "kd_tender", "kode_nontender": "kd_nontender",
    "kd_satker": "kd_satker_str", "kode_rup": "kd_rup",
}


@dataclass(frozen=True)
class Stage:
    name: str  # paket|kontrak|spmk|bapbast|nilai
    title: str  # Indonesian, for messages
    # Fields that tell this dataset from the others (any one of them).
    marks: tuple[str, ...]
    required: tuple[str, ...] = ()
    # The stage row is one per contract (joined by no_kontrak) rather than one per procurement.
    per_contract: bool = True


# In the order a file's fields are tried: the most specific marks first.
STAGES: tuple[Stage, ...] = (
    Stage("spmk", "SPMK/SPP", ("no_spmk_spp", "tgl_spmk_spp", "tgl_selesai_pekerjaan", "waktu_penyelesaian")),
    Stage("bapbast", "BAPBAST", ("no_bapbast", "tgl_bapbast"), required=("tgl_bapbast",)),
    Stage("kontrak", "e-Kontrak kontrak", ("no_kontrak",), required=("no_kontrak", "tgl_kontrak")),
    Stage("nilai", "tender selesai nilai", ("nilai_negosiasi", "nilai_kontrak"), per_contract=False),
    Stage("paket", "pengumuman/paket", ("jenis_pengadaan", "pagu", "hps", "sumber_dana"), per_contract=False),
)
STAGE_BY_NAME = {stage.name: stage for stage in STAGES}


def canonical(key: str) -> str:
    return ALIASES.get(key, key)


def known_fields(keys: list[str]) -> int:
    """How many of SPSE's fields a header row names (the reader's header score)."""
    return len({canonical(k) for k in keys} & FIELDS.keys())


def detect_stage(keys: set[str]) -> Stage | None:
    names = {canonical(k) for k in keys}
    if not names & {"kd_tender", "kd_nontender", "no_kontrak"}:
        return None
    for stage in STAGES:
        if names & set(stage.marks):
            return stage
    return None


class StageRow(NamedTuple):
    """One row of a stage, parsed: its join keys and its canonical values (JSON-ready). A named tuple:
    a million of them cross from the parse worker pickled, and unpickle in half the time of a dataclass."""

    stage: str
    jalur: str  # tender|nontender
    kode: str  # '' when the row has only no_kontrak
    nomor: str  # no_kontrak; '' for stages per procurement
    versi: int
    fields: dict[str, Any]

    def as_json(self) -> str:
        # The same text as json.dumps(sort_keys=True, ensure_ascii=False, separators=(",", ":")) for the
        # JSON-ready values a stage holds (text, int, bool): stored hashes stay valid.
        return orjson.dumps(self.fields, option=orjson.OPT_SORT_KEYS).decode()


Problem = tuple[str, str]  # (field, message)


@lru_cache(maxsize=256)
def _plan(keys: tuple[str, ...]) -> tuple[tuple[str, str, Parser], ...]:
    """The fields of a row's keys Pantau reads, with their parsers: found once per set of columns
    (every row of an export has the same), not per cell."""
    return tuple((key, canonical(key), FIELDS[canonical(key)]) for key in keys if canonical(key) in FIELDS)


def parse_row(stage: Stage, raw: Mapping[str, object]) -> tuple[StageRow | None, list[Problem]]:
    """A row of ``stage`` (keys normalized) -> its StageRow, or every problem found in it."""
    fields: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, name, parse in _plan(tuple(raw)):
        cell = raw[key]
        try:
            value = parse(cell)
        except BadValue as exc:
            problems.append((key, str(exc)))
            continue
        if value is not None:
            fields[name] = value
    for name in stage.required:
        if name not in fields and not any(p[0] == name for p in problems):
            problems.append((name, "kosong; kolom ini wajib diisi"))
    tender, nontender = fields.get("kd_tender"), fields.get("kd_nontender")
    if tender and nontender:
        problems.append(("kd_nontender", f"baris punya kd_tender '{tender}' dan kd_nontender '{nontender}' sekaligus"))
    nomor = fields.get("no_kontrak", "") if stage.per_contract else ""
    if not tender and not nontender and not nomor:
        problems.append(("kd_tender", "kd_tender, kd_nontender dan no_kontrak kosong: baris tidak dapat digabung"))
    if len(str(nomor)) > 200:
        problems.append(("no_kontrak", f"terlalu panjang ({len(str(nomor))} karakter; paling banyak 200)"))
    if problems:
        return None, problems
    npwp15, npwp16 = fields.pop("npwp_penyedia", None), fields.pop("npwp_16_penyedia", None)
    npwp = _one_npwp(npwp15, npwp16)
    if npwp is not None:
        fields["npwp"] = npwp
    jalur = "nontender" if nontender else "tender"
    return StageRow(
        stage=stage.name, jalur=jalur, kode=str(nontender or tender or ""), nomor=str(nomor),
        versi=int(fields.get("versi_addendum") or 0), fields=fields,
    ), []


def _one_npwp(npwp15: str | None, npwp16: str | None) -> str | None:
    """One NPWP from the two SPSE gives: ``npwp_penyedia`` (15 digits, the form BPJS's exports still
    carry), else the 16-digit one as written. The matcher knows a company's 16-digit NPWP is the
    15-digit one with a leading 0 (:func:`monitor.matching.normalize.npwp_key`)."""
    return npwp15 or npwp16
