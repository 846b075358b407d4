"""Joining a procurement's stages into its contract(s), as they stand after every stage seen so far.

A procurement (``kd_tender`` or ``kd_nontender``) has a paket row and a nilai row, and per contract
(``no_kontrak``) its kontrak rows (one per ``versi_addendum``), SPMK and BAPBAST. The end of works is
never ``tgl_kontrak_akhir`` (equal to ``tgl_kontrak`` in every row of real exports): it is the BAPBAST's
handover (the actual end) where present, else the SPMK's ``tgl_selesai_pekerjaan``, else the start of
works (or ``tgl_kontrak_awal``) plus ``waktu_penyelesaian`` calendar days, counting the first day as
Indonesian contracts do; the record says which. Without any of them the contract is incomplete: kept,
listed, not checked, and completed when its SPMK arrives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from monitor.ingest.contracts import ContractFacts, SourceAddendum
from monitor.ingest.rows import OpdDirectory
from monitor.ingest.scope import ScopeClassifier
from monitor.ingest.spse.values import whole_rupiah
from monitor.settings import Opd


@dataclass
class Procurement:
    """Every stage row of one procurement, by stage (per-contract stages by no_kontrak, then versi)."""

    jalur: str
    kode: str
    paket: dict[str, Any] | None = None
    nilai: dict[str, Any] | None = None
    kontrak: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    spmk: dict[str, dict[str, Any]] = field(default_factory=dict)
    bapbast: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, stage: str, nomor: str, versi: int, fields: dict[str, Any]) -> None:
        if stage == "kontrak":
            self.kontrak.setdefault(nomor, {})[versi] = fields
        elif stage in ("spmk", "bapbast"):
            # Several versions of an SPMK (rare): the latest wins.
            getattr(self, stage)[nomor] = fields
        else:
            setattr(self, stage, fields)


class SatkerDirectory:
    """kd_satker_str -> OPD by ``[[opd]] satker_codes``; else the satker's name (any case) through the
    directory's names and aliases; else kept as written and reported (the unknown OPD of every import)."""

    def __init__(self, codes: Mapping[str, str], names: OpdDirectory) -> None:
        self._codes = dict(codes)
        self._names = names

    @classmethod
    def of(cls, opds: Iterable[Opd]) -> SatkerDirectory:
        """The directory of ``[[opd]]``: their ``satker_codes``, names and aliases."""
        opds = tuple(opds)
        return cls({code: opd.code for opd in opds for code in opd.satker_codes}, OpdDirectory(opds))

    @property
    def unknown(self) -> Mapping[str, int]:
        return self._names.unknown

    def tally(self, opd: str, known: bool) -> None:
        """Count an OPD resolved elsewhere (by a parse worker's own directory) as :meth:`resolve` would."""
        if not known:
            self._names.unknown[opd] += 1

    def resolve(self, code: str | None, name: str | None) -> tuple[str, bool]:
        if code is not None and code in self._codes:
            return self._codes[code], True
        return self._names.resolve((name or code or "satker tidak diketahui")[:100])


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def end_of_works(kontrak: Mapping[str, Any], spmk: Mapping[str, Any] | None,
                 bapbast: Mapping[str, Any] | None) -> tuple[date | None, str | None]:
    if bapbast is not None and bapbast.get("tgl_bapbast"):
        return _day(bapbast["tgl_bapbast"]), "bapbast"
    if spmk is not None:
        if spmk.get("tgl_selesai_pekerjaan"):
            return _day(spmk["tgl_selesai_pekerjaan"]), "spmk"
        start = _day(spmk.get("tgl_mulai_pekerjaan") or kontrak.get("tgl_kontrak_awal"))
        if start is not None and spmk.get("waktu_penyelesaian"):
            # "90 Hari Kalender" from 1 March ends on 29 May: the first day counts.
            return start + timedelta(days=int(spmk["waktu_penyelesaian"]) - 1), "waktu_penyelesaian"
    return None, None


def assemble(procurement: Procurement, satker: SatkerDirectory, scope: ScopeClassifier) -> Iterable[ContractFacts]:
    """The procurement's contracts (none until a kontrak row has arrived)."""
    paket, nilai = procurement.paket or {}, procurement.nilai or {}
    for nomor, versions in procurement.kontrak.items():
        order = sorted(versions)
        first, latest = versions[order[0]], versions[order[-1]]
        opd, known = satker.resolve(first.get("kd_satker_str") or paket.get("kd_satker_str"),
                                    first.get("nama_satker") or paket.get("nama_satker"))
        nama = first.get("nama_paket") or paket.get("nama_paket") or nomor
        jenis_pengadaan = paket.get("jenis_pengadaan") or first.get("jenis_pengadaan")
        decided = scope.by_type(jenis_pengadaan) if jenis_pengadaan else scope.by_name(nama)
        sen = first.get("nilai_kontrak") or nilai.get("nilai_kontrak") or nilai.get("nilai_negosiasi")
        end, end_source = end_of_works(first, procurement.spmk.get(nomor), procurement.bapbast.get(nomor))
        spmk = procurement.spmk.get(nomor) or {}
        # The PPK as the latest version of the contract names them (an addendum may hand it to another).
        ppk = next((versions[v] for v in reversed(order) if versions[v].get("nama_ppk")), {})
        start = spmk.get("tgl_mulai_pekerjaan") or spmk.get("tgl_spmk_spp")
        addenda = [_addendum(versi, versions[versi], first) for versi in order[1:]]
        yield ContractFacts(
            source="spse",
            source_key=f"spse:{procurement.jalur}:{procurement.kode or '-'}:{nomor}",
            opd=opd, opd_known=known, nomor_kontrak=nomor,
            kode_paket=first.get("kd_rup") or paket.get("kd_rup") or procurement.kode or None,
            tanggal_kontrak=_day(first["tgl_kontrak"]),  # type: ignore[arg-type]
            nama_paket=nama,
            penyedia=first.get("nama_penyedia") or latest.get("nama_penyedia") or nilai.get("nama_penyedia") or "",
            npwp_penyedia=first.get("npwp") or latest.get("npwp") or nilai.get("npwp"),
            nilai_kontrak_sen=sen,
            tanggal_mulai=_day(start),
            tanggal_selesai=end, sumber_tanggal_selesai=end_source,
            sumber_dana=paket.get("sumber_dana") or "APBD",
            jenis_pekerjaan=decided.jenis_pekerjaan, in_scope=decided.in_scope, scope_reason=decided.reason,
            scope_guessed=decided.guessed,
            tahun_anggaran=paket.get("tahun_anggaran") or first.get("tahun_anggaran"),
            kd_tender=procurement.kode if procurement.jalur == "tender" and procurement.kode else None,
            kd_nontender=procurement.kode if procurement.jalur == "nontender" else None,
            nama_ppk=ppk.get("nama_ppk"), nip_ppk=ppk.get("nip_ppk"),
            anggota_kso=tuple(first.get("anggota_kso") or latest.get("anggota_kso") or ()),
            addenda=addenda,
        )


def _addendum(versi: int, version: Mapping[str, Any], first: Mapping[str, Any]) -> SourceAddendum:
    """A later versi_addendum of the contract: an addendum, not a duplicate. It sets the value where it
    differs; the end date only where its tgl_kontrak_akhir is a real end (after its tgl_kontrak)."""
    signed, ends = version.get("tgl_kontrak"), version.get("tgl_kontrak_akhir")
    sen = version.get("nilai_kontrak")
    return SourceAddendum(
        nomor_adendum=f"versi {versi}",
        tanggal_adendum=_day(signed or first["tgl_kontrak"]),  # type: ignore[arg-type]
        nilai_kontrak_baru=None if sen is None or sen == first.get("nilai_kontrak") else whole_rupiah(sen),
        tanggal_selesai_baru=_day(ends) if ends and signed and ends > signed else None,
    )
