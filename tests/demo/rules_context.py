"""Build the check engine's view of a demo year straight from its ground truth, bypassing import and
matching: the rules must then report exactly the findings the truth expects."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from types import MappingProxyType
from typing import Any

from checks import REGISTRY, all_findings
from checks.base import CheckContext
from monitor.demo import DemoYear
from monitor.records import (
    AgreementState,
    Ambiguity,
    ContractState,
    KampungState,
    Link,
    PaymentState,
    RegistrationState,
)
from monitor.regulation.premium import required_premium
from monitor.regulation.workdays import WorkingCalendar


def _contracts(year: DemoYear) -> list[ContractState]:
    addenda: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for addendum in year.addenda:
        addenda[(year.opd_code(addendum["opd"]), addendum["nomor_kontrak"])].append(addendum)
    states = []
    for i, row in enumerate(year.contracts, start=1):
        opd = year.opd_code(row["opd"])
        value, end, latest = row["nilai_kontrak"], row["tanggal_selesai"], None
        for addendum in sorted(addenda[(opd, row["nomor_kontrak"])], key=lambda a: a["tanggal_adendum"]):
            value = addendum["nilai_kontrak_baru"] or value
            end = addendum["tanggal_selesai_baru"] or end
            latest = addendum["nomor_adendum"]
        states.append(ContractState(
            id=i, opd=opd, opd_known=opd != row["opd"] or any(o["code"] == opd for o in year.opds),
            nomor_kontrak=row["nomor_kontrak"], nama_paket=row["nama_paket"], penyedia=row["penyedia"],
            npwp_penyedia=row["npwp_penyedia"], tanggal_kontrak=row["tanggal_kontrak"],
            tanggal_mulai=row["tanggal_mulai"], nilai_awal=row["nilai_kontrak"], nilai=value,
            tanggal_selesai_awal=row["tanggal_selesai"], tanggal_selesai=end,
            jenis_pekerjaan=row["jenis_pekerjaan"], sumber_dana=row["sumber_dana"] or "APBD",
            kode_paket=row["kode_paket"], adendum=latest,
        ))
    return states


def truth_context(year: DemoYear, as_of: date | None = None) -> CheckContext:
    as_of = as_of or year.as_of
    contracts = _contracts(year)
    by_key = {(c.opd, c.nomor_kontrak): c for c in contracts}
    registrations = {
        i: RegistrationState(id=i, **{k: v for k, v in row.items()})
        for i, row in enumerate(year.registrations, start=1)
    }
    reg_by_number = {r.nomor_registrasi: r for r in registrations.values()}
    truth = year.truth
    undecided = {a["nomor_registrasi"] for a in truth["ambiguous"]}
    superseded: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item in truth["superseded"]:
        superseded[(item["opd"], item["nomor_kontrak"])].append(item["nomor_registrasi"])
    links = []
    for link in truth["links"]:
        if link["nomor_registrasi"] in undecided:
            continue
        key = (link["opd"], link["nomor_kontrak"])
        details = MappingProxyType({"superseded": tuple(superseded[key])}) if key in superseded else None
        links.append(Link(by_key[key].id, reg_by_number[link["nomor_registrasi"]].id, "exact", 1.0,
                          details or MappingProxyType({})))
    ambiguous = []
    for item in truth["ambiguous"]:
        source = by_key[(item["opd"], item["nomor_kontrak"])]
        twins = [c.id for c in contracts if c.penyedia == source.penyedia and c.nilai == source.nilai
                 and c.nama_paket == source.nama_paket and c.tanggal_kontrak == source.tanggal_kontrak]
        ambiguous.append(Ambiguity(reg_by_number[item["nomor_registrasi"]].id, tuple(twins), 1.0))
    payments = [
        PaymentState(id=i, contract_id=(c.id if (c := by_key.get((year.opd_code(p["opd"]), p["nomor_kontrak"])))
                                        else None), **{**p, "opd": year.opd_code(p["opd"])})
        for i, p in enumerate(year.payments, start=1)
    ]
    agreements = [AgreementState(id=i, **{**a, "opd": a["opd"]}) for i, a in enumerate(year.agreements, start=1)]
    kampung = [KampungState(id=i, **row) for i, row in enumerate(year.kampung, start=1)]
    kampung_ids = frozenset(reg_by_number[row["nomor_registrasi"]].id for row in year.kampung
                            if row["nomor_registrasi"] in reg_by_number)
    calendar = WorkingCalendar()
    config = {rule_id: {"enabled": True, "severity": None, **rule.default_config}
              for rule_id, rule in REGISTRY.items()}
    return CheckContext(
        as_of=as_of, rule_config=config,
        deadline=lambda c: calendar.add_working_days(c.tanggal_kontrak, 14),
        working_days_between=calendar.working_days_between,
        required_premium=required_premium, contracts=contracts, registrations=registrations,
        link_by_contract={link.contract_id: link for link in links},
        link_by_registration={link.registration_id: link for link in links},
        ambiguous=ambiguous, payments=payments, agreements=agreements, kampung=kampung,
        kampung_registration_ids=kampung_ids, contracts_by_id={c.id: c for c in contracts},
        registrations_by_number=reg_by_number,
    )


def findings_by_rule(ctx: CheckContext) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for finding in all_findings(ctx):
        found[finding.rule].add(finding.subject)
    return found
