"""Contracts and registrations for matcher tests: a sensible default for every field, so each test
names only what it is about. Ids are assigned in order of creation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import count
from typing import Any

from monitor.matching import Decision, MatchResult, match
from monitor.records import ContractState, Link, RegistrationState

_ids = count(1)


def contract(nomor: str = "027/14/SPK-PUPR/III/2026", *, opd: str = "PUPR", penyedia: str = "PT. Karya Abadi",
             npwp: str | None = "01.234.567.8-901.000", nilai: int = 1_500_000_000, nilai_awal: int | None = None,
             tanggal_kontrak: date = date(2026, 3, 2), tanggal_mulai: date | None = date(2026, 3, 5),
             tanggal_selesai: date | None = date(2026, 9, 30), nama_paket: str = "Peningkatan Jalan Sultan Thaha",
             **extra: Any) -> ContractState:
    return ContractState(
        id=next(_ids), opd=opd, opd_known=True, nomor_kontrak=nomor, nama_paket=nama_paket, penyedia=penyedia,
        npwp_penyedia=npwp, tanggal_kontrak=tanggal_kontrak, tanggal_mulai=tanggal_mulai,
        nilai_awal=nilai if nilai_awal is None else nilai_awal, nilai=nilai, tanggal_selesai_awal=tanggal_selesai,
        tanggal_selesai=tanggal_selesai, **extra,
    )


def registration(nomor_kontrak: str | None = "027/14/SPK-PUPR/III/2026", *, nomor: str | None = None,
                 penyedia: str = "KARYA ABADI, PT", npwp: str | None = "012345678901000",
                 nilai: int = 1_500_000_000, tanggal_daftar: date = date(2026, 3, 10),
                 masa_awal: date = date(2026, 3, 5), masa_akhir: date = date(2026, 9, 30), status: str = "aktif",
                 nama_proyek: str = "PENINGKATAN JALAN SULTAN THAHA") -> RegistrationState:
    rid = next(_ids)
    return RegistrationState(
        id=rid, nomor_registrasi=nomor or f"JK-2026-{rid:07d}", nomor_kontrak=nomor_kontrak,
        nama_proyek=nama_proyek, penyedia=penyedia, npwp_penyedia=npwp, nilai_kontrak_terdaftar=nilai,
        iuran_dibayar=0, tanggal_daftar=tanggal_daftar, masa_awal=masa_awal, masa_akhir=masa_akhir, status=status,
    )


def pairs(result: MatchResult) -> set[tuple[int, int]]:
    return {(link.contract_id, link.registration_id) for link in result.links}


def link_of(result: MatchResult, c: ContractState) -> Link | None:
    return next((link for link in result.links if link.contract_id == c.id), None)


def run(contracts: Sequence[ContractState], registrations: Sequence[RegistrationState],
        decisions: Sequence[Decision] = ()) -> MatchResult:
    """match(), checking the invariants every result must keep."""
    result = match(contracts, registrations, decisions)
    by_contract = [link.contract_id for link in result.links]
    by_registration = [link.registration_id for link in result.links]
    assert len(set(by_contract)) == len(by_contract), "a contract linked twice"
    assert len(set(by_registration)) == len(by_registration), "a registration linked twice"
    linked = set(by_registration)
    for ambiguity in result.ambiguous:
        assert ambiguity.registration_id not in linked
        assert len(ambiguity.contract_ids) >= 2
    for link in result.links:
        assert link.method in ("exact", "normalized", "npwp", "fuzzy", "manual")
        assert 0.0 <= link.score <= 1.0
        assert link.details.get("reason")
    return result
