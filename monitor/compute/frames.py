"""The check's records as polars frames: one column per field of the records in :mod:`monitor.records`.

The contract between who reads the records (:mod:`monitor.check`'s loader), who links them
(:mod:`monitor.matching`) and who checks them (the rules in :mod:`checks`): a frame's columns are named
as the record's fields and typed as below. Money is whole rupiah (``Int64``), days are ``Date``,
identifiers ``Int64``. A contract whose end date is not known yet (an SPSE contract whose SPMK has not
arrived) has ``complete`` false and a null ``tanggal_selesai``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

Schema = Mapping[str, pl.DataType | type[pl.DataType]]

CONTRACTS: Schema = {
    "id": pl.Int64,
    "opd": pl.Utf8,
    "opd_known": pl.Boolean,
    "nomor_kontrak": pl.Utf8,
    "nama_paket": pl.Utf8,
    "penyedia": pl.Utf8,
    "npwp_penyedia": pl.Utf8,
    "tanggal_kontrak": pl.Date,
    "tanggal_mulai": pl.Date,
    "nilai_awal": pl.Int64,
    "nilai": pl.Int64,
    "tanggal_selesai_awal": pl.Date,
    "tanggal_selesai": pl.Date,
    "jenis_pekerjaan": pl.Utf8,
    "sumber_dana": pl.Utf8,
    "kode_paket": pl.Utf8,
    "adendum": pl.Utf8,
    "complete": pl.Boolean,
}

REGISTRATIONS: Schema = {
    "id": pl.Int64,
    "nomor_registrasi": pl.Utf8,
    "nomor_kontrak": pl.Utf8,
    "nama_proyek": pl.Utf8,
    "penyedia": pl.Utf8,
    "npwp_penyedia": pl.Utf8,
    "nilai_kontrak_terdaftar": pl.Int64,
    "iuran_dibayar": pl.Int64,
    "tanggal_daftar": pl.Date,
    "masa_awal": pl.Date,
    "masa_akhir": pl.Date,
    "status": pl.Utf8,
    "npp": pl.Utf8,
}

PAYMENTS: Schema = {
    "id": pl.Int64,
    "nomor_sp2d": pl.Utf8,
    "tanggal_sp2d": pl.Date,
    "nomor_kontrak": pl.Utf8,
    "opd": pl.Utf8,
    "nilai": pl.Int64,
    "uraian": pl.Utf8,
    "contract_id": pl.Int64,  # null: no contract of that OPD has that number
}

AGREEMENTS: Schema = {
    "id": pl.Int64,
    "nomor": pl.Utf8,
    "jenis": pl.Utf8,
    "judul": pl.Utf8,
    "pihak": pl.Utf8,
    "opd": pl.Utf8,
    "tanggal_mulai": pl.Date,
    "tanggal_berakhir": pl.Date,
    "status": pl.Utf8,
    "nomor_pengganti": pl.Utf8,
}

KAMPUNG: Schema = {
    "id": pl.Int64,
    "kode_kegiatan": pl.Utf8,
    "kecamatan": pl.Utf8,
    "kelurahan": pl.Utf8,
    "rt": pl.Utf8,
    "nama_kegiatan": pl.Utf8,
    "nilai_kegiatan": pl.Int64,
    "tanggal_mulai": pl.Date,
    "tanggal_selesai": pl.Date,
    "nomor_sk_rt": pl.Utf8,
    "tanggal_sk_rt": pl.Date,
    "jumlah_peserta": pl.Int64,
    "nomor_registrasi": pl.Utf8,
}

# What the matcher made: one row per link (details: the link's explanation as compact JSON).
LINKS: Schema = {
    "contract_id": pl.Int64,
    "registration_id": pl.Int64,
    "method": pl.Utf8,  # exact|normalized|npwp|fuzzy|manual
    "score": pl.Float64,
    "details": pl.Utf8,
}

# A registration with two or more equally good contracts.
AMBIGUITIES: Schema = {
    "registration_id": pl.Int64,
    "contract_ids": pl.List(pl.Int64),
    "score": pl.Float64,
}


def empty(schema: Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=dict(schema))


def conforms(frame: pl.DataFrame, schema: Schema) -> bool:
    """Whether ``frame`` has at least ``schema``'s columns, with its types."""
    return all(name in frame.schema and frame.schema[name] == dtype for name, dtype in schema.items())


@dataclass
class Frames:
    """Everything a check run reads, as one consistent snapshot (see the module docstring)."""

    contracts: pl.DataFrame = field(default_factory=lambda: empty(CONTRACTS))
    registrations: pl.DataFrame = field(default_factory=lambda: empty(REGISTRATIONS))
    payments: pl.DataFrame = field(default_factory=lambda: empty(PAYMENTS))
    agreements: pl.DataFrame = field(default_factory=lambda: empty(AGREEMENTS))
    kampung: pl.DataFrame = field(default_factory=lambda: empty(KAMPUNG))
