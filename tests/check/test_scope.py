"""The check reads only contracts in Jakon's scope whose value is known (those whose end of works is not
known yet too, for the rules not needing it); the rest are kept and counted."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from monitor.bootstrap import App
from monitor.check.context import load_records
from monitor.check.run import run_check
from monitor.db import transaction
from monitor.models import Contract
from tests.check.helpers import add_contract


def _seed(app: App) -> None:
    with transaction(app.sessions) as session:
        conn = session.connection()
        add_contract(conn, "K-1")
        add_contract(conn, "K-ATK", nama_paket="Belanja Alat Tulis Kantor", in_scope=False,
                     scope_reason="jenis pengadaan 'Pengadaan Barang' bukan konstruksi")
        add_contract(conn, "K-OPEN", tanggal_selesai=None, complete=False)  # nor its value: nilai_kontrak_sen None
        add_contract(conn, "K-NO-SPMK", tanggal_selesai=None, complete=False, nilai_kontrak_sen=150_000_000_000)


def _numbers(app: App, **options: bool) -> set[str]:
    with app.sessions() as session:
        records = load_records(session.connection(), **options)
    return {c.nomor_kontrak for c in records.contracts}


def test_out_of_scope_and_incomplete_contracts_are_kept_but_not_checked(app: App) -> None:
    _seed(app)
    assert _numbers(app) == {"K-1", "K-NO-SPMK"}
    with app.sessions() as session:
        assert load_records(session.connection()).left_out == {"out_of_scope": 1, "incomplete": 1, "end_unknown": 1}


def test_an_override_puts_one_contract_back_in_scope_and_another_out(app: App) -> None:
    _seed(app)
    with transaction(app.sessions) as session:
        session.execute(update(Contract).where(Contract.nomor_kontrak == "K-ATK").values(scope_override=True))
        session.execute(update(Contract).where(Contract.nomor_kontrak == "K-1").values(scope_override=False))
    assert _numbers(app) == {"K-ATK", "K-NO-SPMK"}


def test_the_scope_option_checks_every_contract_whose_value_is_known(app: App) -> None:
    _seed(app)
    assert _numbers(app, include_out_of_scope=True) == {"K-1", "K-ATK", "K-NO-SPMK"}


def test_the_check_run_counts_what_it_left_out(app: App) -> None:
    _seed(app)
    result = run_check(app, date(2026, 11, 22))
    assert result.counts["records"]["contracts"] == 2
    assert result.counts["contracts_left_out"] == {"out_of_scope": 1, "incomplete": 1, "end_unknown": 1}


def test_a_decision_out_wins_over_the_option_to_check_every_contract(app: App) -> None:
    _seed(app)
    with transaction(app.sessions) as session:
        session.execute(update(Contract).where(Contract.nomor_kontrak == "K-1").values(scope_override=False))
    assert _numbers(app, include_out_of_scope=True) == {"K-ATK", "K-NO-SPMK"}
