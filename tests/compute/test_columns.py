"""Records held column by column (monitor.compute.columns) and links held as the matcher's columns: the same rows,
the same lookups, as the plain objects they replace."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from checks.base import CheckContext
from monitor.compute.columns import ByKey, Table
from monitor.matching import match
from monitor.records import ContractState, RegistrationState
from tests.matching.builders import contract, registration


def _registrations(ids: list[int]) -> list[RegistrationState]:
    return [RegistrationState(id=i, nomor_registrasi=f"JK-{i:04d}", nomor_kontrak=None, nama_proyek=f"Proyek {i}",
                              penyedia="CV Maju", npwp_penyedia=None, nilai_kontrak_terdaftar=i * 1000,
                              iuran_dibayar=i, tanggal_daftar=date(2026, 3, 1), masa_awal=date(2026, 3, 1),
                              masa_akhir=date(2026, 9, 30)) for i in ids]


@pytest.mark.parametrize("ids", [[1, 2, 3, 4], [3, 7, 8, 20]], ids=["ids without gaps", "ids with gaps"])
def test_a_table_gives_back_the_rows_it_holds(ids: list[int]) -> None:
    rows = _registrations(ids)
    table = Table.of(RegistrationState, reversed(rows))

    assert list(table) == rows and len(table) == len(rows)
    assert table[1] == rows[1] and table[-1] == rows[-1] and list(table[1:3]) == rows[1:3]
    assert table.column("nomor_registrasi") == [r.nomor_registrasi for r in rows]
    assert [table.row_at_or_none(at) for at in (-1, 0, len(rows) - 1)] == [None, rows[0], rows[-1]]
    by_id = table.by_id()
    assert all(by_id[r.id] == r for r in rows) and list(by_id.values()) == rows
    for missing in (0, ids[0] - 1, ids[-1] + 1, 5, 100):
        if missing not in ids:
            assert by_id.get(missing) is None and missing not in by_id
            with pytest.raises(KeyError):
                by_id[missing]


def test_rows_by_a_unique_text_column() -> None:
    rows = _registrations([5, 1, 9])
    by_number = ByKey(Table.of(RegistrationState, rows), "nomor_registrasi")

    assert by_number["JK-0009"].id == 9 and by_number.get("JK-0001") == rows[1]
    assert by_number.get("JK-0002") is None and "JK-0002" not in by_number and "JK-0005" in by_number
    assert sorted(r.id for r in by_number.values()) == [1, 5, 9]


def test_a_table_refuses_columns_that_do_not_fit_its_row() -> None:
    with pytest.raises(ValueError, match="fields"):
        Table(ContractState, [[1], [2]])
    with pytest.raises(ValueError, match="length"):
        Table(RegistrationState, [[1, 2]] + [[None]] * 12)


def test_links_over_tables_are_those_over_plain_lists() -> None:
    contracts = [contract(f"0{n}/SPK-PUPR/III/2026", penyedia=f"CV Karya {n}", npwp=f"01234567890{n}000",
                          nilai=1_000_000_000 + n * 10_000_000) for n in range(1, 6)]
    registrations = [registration(c.nomor_kontrak, penyedia=c.penyedia, npwp=c.npwp_penyedia, nilai=c.nilai)
                     for c in contracts[:3]]
    registrations.append(registration("99/SPK/LAIN/2026", penyedia="PT Lain", npwp="099999999999000"))

    plain = match(contracts, registrations)
    columnar = match(Table.of(ContractState, contracts), Table.of(RegistrationState, registrations))

    assert list(columnar.links) == list(plain.links) and len(columnar.links) == 3
    assert columnar.links == plain.links
    assert columnar.links[-1] == list(plain.links)[-1] and list(columnar.links[1:3]) == list(plain.links)[1:3]
    by_contract, by_registration = columnar.by_contract(), columnar.by_registration()
    for link in plain.links:
        assert by_contract[link.contract_id] == link == by_registration[link.registration_id]
    assert by_contract.get(contracts[4].id) is None and contracts[4].id not in by_contract
    assert by_registration.get(registrations[3].id) is None
    assert sorted(by_contract) == sorted(link.contract_id for link in plain.links)
    assert dict(by_registration) == plain.by_registration()


def test_the_context_finds_a_contracts_registration_the_same_over_columns_and_over_links() -> None:
    """The engine's lookups over the matcher's columns (CheckContext.lookups) answer as the plain path
    through the links does, ``batal`` included."""
    contracts = [contract(f"0{n}/SPK-PUPR/III/2026", penyedia=f"CV Karya {n}", npwp=f"01234567890{n}000",
                          nilai=1_000_000_000 + n * 10_000_000) for n in range(1, 5)]
    registrations = [registration(c.nomor_kontrak, penyedia=c.penyedia, npwp=c.npwp_penyedia, nilai=c.nilai)
                     ._replace(tanggal_daftar=date(2026, 4, n)) for n, c in enumerate(contracts[:3], start=1)]
    registrations[1] = registrations[1]._replace(status="batal")
    contract_table, registration_table = Table.of(ContractState, contracts), Table.of(RegistrationState, registrations)
    result = match(contract_table, registration_table)
    lookups = result.lookups(contract_table, registration_table)
    assert lookups.registration is not None and lookups.registered_since is not None
    # Plain lists: through the links.
    assert match(contracts, registrations).lookups(contracts, registrations) == (None, None, None)

    plain = CheckContext(as_of=date(2026, 11, 22), rule_config={}, deadline=lambda c: c.tanggal_kontrak,
                         required_premium=lambda nilai: 0, contracts=contract_table,
                         registrations=registration_table.by_id(), link_by_contract=result.by_contract())
    columnar = dataclasses.replace(plain, lookups=lookups)
    for c in [*contracts, contract("77/SPK/LAIN/2026")._replace(id=10**6)]:
        assert columnar.registration_of(c.id) == plain.registration_of(c.id)
        assert columnar.registered_since(c.id) == plain.registered_since(c.id)
    assert [plain.registered_since(c.id) for c in contracts] == [date(2026, 4, 1), None, date(2026, 4, 3), None]
    assert plain.registration_of(contracts[1].id) == registrations[1]  # batal, but linked
    assert list(columnar.contracts_with_registrations()) == list(plain.contracts_with_registrations()) == [
        (contracts[0], registrations[0]), (contracts[1], registrations[1]), (contracts[2], registrations[2]),
        (contracts[3], None)]
