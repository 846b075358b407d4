"""Building what the rules see from the database: addenda applied, payments resolved to contracts."""

from __future__ import annotations

from dataclasses import fields
from datetime import date

import pytest
from sqlalchemy import insert, select

from checks.base import CheckContext
from monitor.bootstrap import App
from monitor.check import context
from monitor.check.context import CONTRACT_FIELDS, PAYMENT_FIELDS, REGISTRATION_FIELDS, load_records
from monitor.check.run import build_context
from monitor.db import raw_rows, transaction
from monitor.matching import match
from monitor.models import KampungActivity, Payment
from monitor.records import ContractState, PaymentState, RegistrationState
from tests.check.helpers import add_addendum, add_contract, add_payment, add_registration

K = "027/14/SPK-PUPR/III/2026"


def _contracts(app: App) -> dict[tuple[str, str], object]:
    with app.sessions() as session:
        records = load_records(session.connection())
    return {(c.opd, c.nomor_kontrak): c for c in records.contracts}


def test_a_contract_without_addenda_keeps_its_own_value_and_end(app: App) -> None:
    with transaction(app.sessions) as session:
        add_contract(session.connection(), K, nilai=1_500_000_000, tanggal_selesai=date(2026, 9, 30))
    [contract] = _contracts(app).values()
    assert (contract.nilai, contract.nilai_awal, contract.tanggal_selesai, contract.adendum) == (  # type: ignore[attr-defined]
        1_500_000_000, 1_500_000_000, date(2026, 9, 30), None)


def test_the_latest_addendum_by_date_sets_the_value_and_end_date(app: App) -> None:
    with transaction(app.sessions) as session:
        conn = session.connection()
        add_contract(conn, K, nilai=1_500_000_000, tanggal_selesai=date(2026, 9, 30))
        # Inserted out of order, and the later one has the "smaller" number: the date decides.
        add_addendum(conn, "ADD-2/PUPR/2026", date(2026, 6, 1), nilai=1_750_000_000,
                     tanggal_selesai=date(2026, 12, 15))
        add_addendum(conn, "ADD-3/PUPR/2026", date(2026, 5, 1), nilai=1_600_000_000,
                     tanggal_selesai=date(2026, 10, 31))
    contract = _contracts(app)[("PUPR", K)]
    assert (contract.nilai_awal, contract.nilai, contract.tanggal_selesai_awal, contract.tanggal_selesai,  # type: ignore[attr-defined]
            contract.adendum) == (  # type: ignore[attr-defined]
        1_500_000_000, 1_750_000_000, date(2026, 9, 30), date(2026, 12, 15), "ADD-2/PUPR/2026")


def test_an_addendum_changing_only_the_period_keeps_the_value_an_earlier_one_set(app: App) -> None:
    with transaction(app.sessions) as session:
        conn = session.connection()
        add_contract(conn, K, nilai=1_500_000_000, tanggal_selesai=date(2026, 9, 30))
        add_addendum(conn, "ADD-1", date(2026, 5, 1), nilai=1_600_000_000)
        add_addendum(conn, "ADD-2", date(2026, 7, 1), tanggal_selesai=date(2026, 11, 30))
    contract = _contracts(app)[("PUPR", K)]
    assert (contract.nilai, contract.tanggal_selesai, contract.adendum) == (  # type: ignore[attr-defined]
        1_600_000_000, date(2026, 11, 30), "ADD-2")


def test_addenda_on_the_same_day_are_ordered_by_number_naturally(app: App) -> None:
    with transaction(app.sessions) as session:
        conn = session.connection()
        add_contract(conn, K)
        add_addendum(conn, "ADD-10", date(2026, 5, 1), nilai=1_900_000_000)
        add_addendum(conn, "ADD-9", date(2026, 5, 1), nilai=1_800_000_000)
    contract = _contracts(app)[("PUPR", K)]
    assert (contract.nilai, contract.adendum) == (1_900_000_000, "ADD-10")  # type: ignore[attr-defined]


def test_an_addendum_applies_only_to_its_own_opds_contract(app: App) -> None:
    with transaction(app.sessions) as session:
        conn = session.connection()
        add_contract(conn, "10/SPK/2026", opd="PUPR", nilai=100_000_000)
        add_contract(conn, "10/SPK/2026", opd="PERKIM", nilai=200_000_000)
        add_addendum(conn, "ADD-1", date(2026, 5, 1), nomor="10/SPK/2026", opd="PERKIM", nilai=250_000_000)
    contracts = _contracts(app)
    assert contracts[("PUPR", "10/SPK/2026")].nilai == 100_000_000  # type: ignore[attr-defined]
    assert contracts[("PERKIM", "10/SPK/2026")].nilai == 250_000_000  # type: ignore[attr-defined]


def test_a_payment_is_resolved_to_its_contract_by_opd_and_number(app: App) -> None:
    with transaction(app.sessions) as session:
        conn = session.connection()
        pupr = add_contract(conn, "10/SPK/2026", opd="PUPR")
        perkim = add_contract(conn, "10/SPK/2026", opd="PERKIM")
        add_payment(conn, "SP2D-1", nomor_kontrak="10/SPK/2026", opd="PERKIM")
        add_payment(conn, "SP2D-2", nomor_kontrak="10/SPK/2026", opd="PUPR")
        add_payment(conn, "SP2D-3", nomor_kontrak="99/SPK/2026", opd="PUPR")
    with app.sessions() as session:
        records = load_records(session.connection())
        # Streamed from the snapshot: iterated (and counted, and looked up) while it is open.
        resolved = {p.nomor_sp2d: p.contract_id for p in records.payments}
        assert len(records.payments) == 3
        assert {n: p.contract_id for n, p in records.payments.find(["SP2D-1", "SP2D-9"]).items()} == {  # type: ignore[attr-defined]
            "SP2D-1": perkim}
    assert resolved == {"SP2D-1": perkim, "SP2D-2": pupr, "SP2D-3": None}
    assert pupr != perkim


def test_payments_where_reads_every_sp2d_kept_whole_in_order(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    with transaction(app.sessions) as session:
        conn = session.connection()
        pupr = add_contract(conn, "10/SPK/2026", opd="PUPR")
        add_contract(conn, "11/SPK/2026", opd="PUPR")
        for n in range(1, 12):
            add_payment(conn, f"SP2D-{n}", nomor_kontrak=("10/SPK/2026", "11/SPK/2026", "99/SPK/2026")[n % 3],
                        tanggal_sp2d=date(2026, 4, n), nilai=n * 1_000_000)
    monkeypatch.setattr(context, "PARTITION_ROWS", 8)  # the kept SP2Ds are read two at a time

    def keep(contract_id: int | None, day: date) -> bool:
        return contract_id == pupr or (contract_id is None and day.day > 5)

    with app.sessions() as session:
        records = load_records(session.connection())
        everything = list(records.payments)
        ctx = CheckContext(as_of=date(2026, 11, 22), rule_config={}, deadline=lambda _: date.max,
                           required_premium=lambda _: 0, payments=records.payments)
        kept = list(ctx.payments_where(keep))
    expected = [p for p in everything if keep(p.contract_id, p.tanggal_sp2d)]
    assert [p.nomor_sp2d for p in kept] == ["SP2D-3", "SP2D-6", "SP2D-8", "SP2D-9", "SP2D-11"]
    assert kept == expected  # whole: every field as a full read gives it
    # A context over plain states filters them the same way.
    plain = CheckContext(as_of=date(2026, 11, 22), rule_config={}, deadline=lambda _: date.max,
                         required_premium=lambda _: 0, payments=everything)
    assert list(plain.payments_where(keep)) == expected


def test_only_integer_parameters_are_written_into_the_sql(app: App) -> None:
    statement = select(Payment.id).where(Payment.nomor_sp2d == "x'; DROP TABLE payment; --")
    with app.sessions() as session, pytest.raises(TypeError, match="not integers"):
        list(raw_rows(session.connection(), statement, numbers_inline=True))
    with app.sessions() as session:
        assert list(raw_rows(session.connection(), select(Payment.id).where(Payment.id.in_([1, 2])),
                             numbers_inline=True)) == []


def test_repeated_strings_and_dates_are_shared_not_copied(app: App) -> None:
    with transaction(app.sessions) as session:
        conn = session.connection()
        for n in range(3):
            add_contract(conn, f"{n}/SPK/2026", penyedia="CV Karya Abadi", tanggal_kontrak=date(2026, 3, 2))
            add_registration(conn, f"JK-{n}", nomor_kontrak=f"{n}/SPK/2026", penyedia="KARYA ABADI, CV")
    with app.sessions() as session:
        records = load_records(session.connection())
    first, *rest = records.contracts
    assert all(c.penyedia is first.penyedia and c.opd is first.opd for c in rest)
    assert all(c.tanggal_kontrak is first.tanggal_kontrak for c in rest)
    assert all(r.penyedia is records.registrations[0].penyedia for r in records.registrations)
    # A registration that typed its contract's number exactly shares the contract's string.
    assert all(r.nomor_kontrak is c.nomor_kontrak for r, c in zip(records.registrations, records.contracts,
                                                                   strict=True))


def test_the_context_carries_links_kampung_registrations_and_lookups(app: App) -> None:
    with transaction(app.sessions) as session:
        conn = session.connection()
        contract_id = add_contract(conn, K, tanggal_kontrak=date(2026, 10, 5), tanggal_selesai=date(2026, 12, 20))
        registration_id = add_registration(conn, "JK-2026-0001", nomor_kontrak=K, masa_awal=date(2026, 10, 5),
                                           masa_akhir=date(2026, 12, 20), tanggal_daftar=date(2026, 10, 12))
        kampung_reg = add_registration(conn, "JK-KB-0007", nomor_kontrak=None, penyedia="RT 14 KENALI ASAM",
                                       npwp=None, nilai=50_000_000, iuran=120_000, nama_proyek="KAMPUNG BAHAGIA")
        conn.execute(insert(KampungActivity), {
            "kode_kegiatan": "KB-2026-014", "kelurahan": "Kenali Asam Bawah", "rt": "14",
            "nama_kegiatan": "Gotong royong drainase", "nilai_kegiatan": 50_000_000,
            "tanggal_mulai": date(2026, 4, 1), "nomor_registrasi": "jk-kb-0007", "row_hash": "0" * 40,
        })
    with app.sessions() as session:
        records = load_records(session.connection())
    links = match(records.contracts, records.registrations, [])
    ctx = build_context(app.settings, records, links, date(2026, 11, 2), {})

    assert ctx.link_by_contract[contract_id].registration_id == registration_id
    assert ctx.link_by_registration[registration_id].contract_id == contract_id
    assert ctx.kampung_registration_ids == frozenset({kampung_reg})
    assert ctx.contracts_by_id[contract_id].nomor_kontrak == K
    assert ctx.registrations_by_number["JK-2026-0001"].id == registration_id
    # 14 working days after Monday 5 October 2026 (no holidays in between).
    assert ctx.deadline(ctx.contracts_by_id[contract_id]) == date(2026, 10, 23)
    assert ctx.required_premium(1_500_000_000) == 2_350_000


def test_the_loaders_build_states_in_the_fields_declared_order() -> None:
    assert ContractState._fields == CONTRACT_FIELDS
    assert RegistrationState._fields == REGISTRATION_FIELDS
    assert tuple(f.name for f in fields(PaymentState)) == PAYMENT_FIELDS
