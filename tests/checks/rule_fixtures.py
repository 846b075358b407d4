"""Hand-built rule inputs: contracts, registrations, links and a CheckContext wired to the real
working calendar and the real tariff, the way the engine wires them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from checks import REGISTRY
from checks.base import CheckContext, Rule
from monitor.records import (
    AgreementState,
    Ambiguity,
    ContractState,
    Finding,
    KampungState,
    Link,
    PaymentState,
    RegistrationState,
)
from monitor.regulation.premium import kampung_premium, required_premium
from monitor.regulation.workdays import WorkingCalendar, deadline_function
from monitor.settings import DeadlineSettings

CALENDAR = WorkingCalendar()
DEADLINE = deadline_function(CALENDAR, DeadlineSettings())

# Signed on Tuesday 10 March 2026: 14 working days run across the Idul Fitri cuti bersama
# (18–24 March) and Good Friday (3 April) to Tuesday 7 April 2026.
SIGNED = date(2026, 3, 10)
DEADLINE_DAY = date(2026, 4, 7)
NEXT_WORKING_DAY = date(2026, 4, 8)


def contract(id: int = 1, **changes: Any) -> ContractState:
    base = ContractState(
        id=id,
        opd="PUPR",
        opd_known=True,
        nomor_kontrak=f"027/{id}/SPK-PUPR/III/2026",
        nama_paket=f"Rehabilitasi Drainase Paket {id}",
        penyedia="PT Karya Abadi",
        npwp_penyedia="012345678901000",
        tanggal_kontrak=SIGNED,
        tanggal_mulai=date(2026, 3, 16),
        nilai_awal=1_500_000_000,
        nilai=1_500_000_000,
        tanggal_selesai_awal=date(2026, 9, 30),
        tanggal_selesai=date(2026, 9, 30),
    )
    return base._replace(**changes)


def registration(id: int = 101, **changes: Any) -> RegistrationState:
    base = RegistrationState(
        id=id,
        nomor_registrasi=f"JK-2026-{id:07d}",
        nomor_kontrak=None,
        nama_proyek=f"Proyek {id}",
        penyedia="KARYA ABADI, PT",
        npwp_penyedia="012345678901000",
        nilai_kontrak_terdaftar=1_500_000_000,
        iuran_dibayar=2_350_000,
        tanggal_daftar=date(2026, 3, 20),
        masa_awal=SIGNED,
        masa_akhir=date(2026, 9, 30),
    )
    return base._replace(**changes)


def payment(id: int = 501, contract_id: int | None = 1, **changes: Any) -> PaymentState:
    base = PaymentState(
        id=id,
        nomor_sp2d=f"SP2D/{id:04d}/LS/BPKAD/2026",
        tanggal_sp2d=date(2026, 5, 12),
        nomor_kontrak="027/1/SPK-PUPR/III/2026",
        opd="PUPR",
        nilai=450_000_000,
        uraian="Pembayaran termin I",
        contract_id=contract_id,
    )
    return replace(base, **changes)


def agreement(id: int = 1, **changes: Any) -> AgreementState:
    base = AgreementState(
        id=id,
        nomor=f"B/{id:03d}/BPJS-JBI/V/2025",
        jenis="MoU",
        judul="Perlindungan Jaminan Sosial Ketenagakerjaan",
        pihak="BPJS Ketenagakerjaan Cabang Jambi",
        opd=None,
        tanggal_mulai=date(2025, 5, 28),
        tanggal_berakhir=date(2027, 5, 27),
        status="berlaku",
        nomor_pengganti=None,
    )
    return replace(base, **changes)


def activity(id: int = 1, **changes: Any) -> KampungState:
    base = KampungState(
        id=id,
        kode_kegiatan=f"KB-2026-KTB-{id:03d}",
        kecamatan="Kota Baru",
        kelurahan="Kenali Asam Atas",
        rt=f"{id:02d}",
        nama_kegiatan="Gotong royong perbaikan saluran",
        nilai_kegiatan=100_000_000,
        tanggal_mulai=date(2026, 8, 3),
        tanggal_selesai=date(2026, 8, 31),
        nomor_sk_rt=f"SK/{id:02d}/RT/2026",
        tanggal_sk_rt=date(2026, 8, 1),
        jumlah_peserta=25,
        nomor_registrasi=None,
    )
    return replace(base, **changes)


def context(
    as_of: date,
    *,
    contracts: Iterable[ContractState] = (),
    registrations: Iterable[RegistrationState] = (),
    links: Iterable[tuple[int, int]] | Iterable[Link] = (),
    payments: Iterable[PaymentState] = (),
    agreements: Iterable[AgreementState] = (),
    kampung: Iterable[KampungState] = (),
    ambiguous: Iterable[Ambiguity] = (),
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> CheckContext:
    """A context as the engine builds one: links given as (contract_id, registration_id) pairs or Links;
    registrations named by a Kampung activity count as linked to it."""
    contracts = list(contracts)
    registrations = list(registrations)
    kampung = list(kampung)
    made = [item if isinstance(item, Link) else Link(item[0], item[1], "exact", 1.0) for item in links]
    by_number = {r.nomor_registrasi: r for r in registrations}
    return CheckContext(
        as_of=as_of,
        rule_config=config or {},
        deadline=DEADLINE,
        working_days_between=CALENDAR.working_days_between,
        required_premium=required_premium,
        contracts=contracts,
        registrations={r.id: r for r in registrations},
        link_by_contract={link.contract_id: link for link in made},
        link_by_registration={link.registration_id: link for link in made},
        ambiguous=list(ambiguous),
        payments=list(payments),
        agreements=list(agreements),
        kampung=kampung,
        kampung_registration_ids=frozenset(
            by_number[a.nomor_registrasi].id for a in kampung if a.nomor_registrasi in by_number
        ),
        contracts_by_id={c.id: c for c in contracts},
        registrations_by_number=by_number,
        kampung_premium=kampung_premium,
    )


def run(rule: type[Rule], ctx: CheckContext) -> list[Finding]:
    """The rule's findings, each checked for what every finding must be: its rule's id, a known
    severity, a title, and details that JSON can carry."""
    findings = list(rule().run(ctx))
    for finding in findings:
        assert finding.rule == rule.id
        assert REGISTRY[finding.rule] is rule
        assert finding.title
        assert isinstance(finding.amount_at_risk, int) and finding.amount_at_risk >= 0
        assert json.loads(json.dumps(dict(finding.details))) == dict(finding.details)
        assert isinstance(finding.details.get("tindakan"), str)
    return findings


def subjects(findings: Iterable[Finding]) -> list[str]:
    return sorted(f.subject for f in findings)
