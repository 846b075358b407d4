"""Links and decisions in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from types import MappingProxyType
from typing import Any

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.engine import Connection

from monitor.bootstrap import App
from monitor.db import transaction
from monitor.matching import DecisionError, load_decisions, load_links, record_decision, save_links
from monitor.models import Contract, MatchDecision, MatchLink, Registration
from monitor.records import Link


def add_contract(conn: Connection, nomor: str, opd: str = "PUPR", **extra: Any) -> int:
    values = {"opd": opd, "nomor_kontrak": nomor, "tanggal_kontrak": date(2026, 3, 2), "nama_paket": "Rehab Jalan",
              "penyedia": "PT. Karya Abadi", "npwp_penyedia": "012345678901000", "nilai_kontrak": 1_500_000_000,
              "tanggal_selesai": date(2026, 9, 30), "row_hash": "0" * 40, **extra}
    return int(conn.execute(insert(Contract).returning(Contract.id), values).scalar_one())


def add_registration(conn: Connection, nomor: str) -> int:
    values = {"nomor_registrasi": nomor, "nomor_kontrak": None, "nama_proyek": "REHAB JALAN",
              "penyedia": "KARYA ABADI, PT", "npwp_penyedia": None, "nilai_kontrak_terdaftar": 1_500_000_000,
              "iuran_dibayar": 0, "tanggal_daftar": date(2026, 3, 10), "masa_awal": date(2026, 3, 2),
              "masa_akhir": date(2026, 9, 30), "row_hash": "0" * 40}
    return int(conn.execute(insert(Registration).returning(Registration.id), values).scalar_one())


@pytest.fixture
def records(app: App) -> dict[str, int]:
    with transaction(app.sessions) as session:
        conn = session.connection()
        return {
            "c1": add_contract(conn, "027/14/SPK-PUPR/III/2026"),
            "c2": add_contract(conn, "028/14/SPK-PUPR/III/2026"),
            "c3": add_contract(conn, "10/SPK/PPK.01/03/2026", opd="PERKIM"),
            "r1": add_registration(conn, "JK-2026-0000001"),
            "r2": add_registration(conn, "JK-2026-0000002"),
            "r3": add_registration(conn, "JK-2026-0000003"),
        }


def _link(contract_id: int, registration_id: int, method: str = "exact", score: float = 1.0) -> Link:
    return Link(contract_id, registration_id, method, score, MappingProxyType({"reason": method, "superseded": ["X"]}))


def _stored(app: App) -> set[tuple[int, int, str, float]]:
    with app.sessions() as session:
        rows = session.execute(select(MatchLink.contract_id, MatchLink.registration_id, MatchLink.method,
                                      MatchLink.score))
        return {tuple(row) for row in rows}  # type: ignore[misc]


def test_save_links_writes_only_what_changed(app: App, records: dict[str, int]) -> None:
    c1, c2, c3, r1, r2, r3 = (records[k] for k in ("c1", "c2", "c3", "r1", "r2", "r3"))
    with transaction(app.sessions) as session:
        changes = save_links(session, [_link(c1, r1), _link(c2, r2, "fuzzy", 0.91)])
    assert (changes.inserted, changes.updated, changes.deleted) == (2, 0, 0)
    assert _stored(app) == {(c1, r1, "exact", 1.0), (c2, r2, "fuzzy", 0.91)}

    statements: list[str] = []
    event.listen(app.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with transaction(app.sessions) as session:
        changes = save_links(session, [_link(c1, r1), _link(c2, r2, "fuzzy", 0.91)])
    assert (changes.inserted, changes.updated, changes.deleted) == (0, 0, 0)
    assert not [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]

    # c2 now links r3 (the pair changed: delete + insert), c1's score changed (update), c3 is new.
    with transaction(app.sessions) as session:
        changes = save_links(session, [_link(c1, r1, "normalized", 0.97), _link(c2, r3), _link(c3, r2)])
    assert (changes.inserted, changes.updated, changes.deleted) == (2, 1, 1)
    assert _stored(app) == {(c1, r1, "normalized", 0.97), (c2, r3, "exact", 1.0), (c3, r2, "exact", 1.0)}

    with transaction(app.sessions) as session:
        assert save_links(session, []).deleted == 3
    assert _stored(app) == set()


def test_save_links_swaps_registrations_between_contracts(app: App, records: dict[str, int]) -> None:
    c1, c2, r1, r2 = records["c1"], records["c2"], records["r1"], records["r2"]
    with transaction(app.sessions) as session:
        save_links(session, [_link(c1, r1), _link(c2, r2)])
    with transaction(app.sessions) as session:  # both unique keys move at once
        save_links(session, [_link(c1, r2), _link(c2, r1)])
    assert _stored(app) == {(c1, r2, "exact", 1.0), (c2, r1, "exact", 1.0)}


def test_load_links_exports_numbers_not_ids(app: App, records: dict[str, int]) -> None:
    with transaction(app.sessions) as session:
        save_links(session, [_link(records["c3"], records["r3"], "npwp", 0.8766), _link(records["c1"], records["r1"])])
    with app.sessions() as session:
        rows = list(load_links(session))
        assert rows == [
            {"opd": "PERKIM", "nomor_kontrak": "10/SPK/PPK.01/03/2026", "nomor_registrasi": "JK-2026-0000003",
             "method": "npwp", "score": 0.877, "evidence": [], "other_name": False},
            {"opd": "PUPR", "nomor_kontrak": "027/14/SPK-PUPR/III/2026", "nomor_registrasi": "JK-2026-0000001",
             "method": "exact", "score": 1.0, "evidence": [], "other_name": False},
        ]
        assert [row["opd"] for row in load_links(session, opd="PUPR")] == ["PUPR"]
        assert [row["method"] for row in load_links(session, method="npwp")] == ["npwp"]
        assert [row["score"] for row in load_links(session, weakest_first=True)] == [0.877, 1.0]


def test_load_links_carries_the_evidence_that_decided(app: App, records: dict[str, int]) -> None:
    kso = {"reason": "exact: ...", "evidence": ["number", "value", "dates"], "other_name": True}
    with transaction(app.sessions) as session:
        save_links(session, [Link(records["c1"], records["r1"], "exact", 0.75, MappingProxyType(kso))])
    with app.sessions() as session:
        [row] = load_links(session)
    assert (row["evidence"], row["other_name"]) == (["number", "value", "dates"], True)


def test_record_decision_validates_and_stores_by_numbers(app: App, records: dict[str, int]) -> None:
    with transaction(app.sessions) as session:
        save_links(session, [_link(records["c2"], records["r1"])])
        # The number as the user typed it, normalized within the OPD; the registration in lower case.
        recorded = record_decision(session, "PUPR", "27/14/spk-pupr/3/2026", "jk-2026-0000001", "confirm", "budi",
                                   "dicek ke PPK")
    assert recorded.decision.nomor_kontrak == "027/14/SPK-PUPR/III/2026"
    assert recorded.decision.nomor_registrasi == "JK-2026-0000001"
    # The confirm replaced the automatic link of the registration at once.
    assert _stored(app) == {(records["c1"], records["r1"], "manual", 1.0)}
    with transaction(app.sessions) as session:
        again = record_decision(session, "PUPR", "027/14/SPK-PUPR/III/2026", "JK-2026-0000001", "reject", "ani")
        assert again.replaced == "confirm"
    assert _stored(app) == set()
    with app.sessions() as session:
        [decision] = load_decisions(session)
        assert (decision.opd, decision.nomor_kontrak, decision.nomor_registrasi, decision.decision,
                decision.actor) == ("PUPR", "027/14/SPK-PUPR/III/2026", "JK-2026-0000001", "reject", "ani")
        assert session.scalar(select(MatchDecision.note)) is None


@pytest.mark.parametrize(
    ("opd", "nomor_kontrak", "nomor_registrasi", "decision", "message"),
    [
        ("PUPR", "999/SPK/2026", "JK-2026-0000001", "confirm", "Kontrak '999/SPK/2026' tidak ditemukan di OPD PUPR"),
        ("DISDIK", "027/14/SPK-PUPR/III/2026", "JK-2026-0000001", "confirm", "tidak ditemukan di OPD DISDIK"),
        ("PUPR", "027/14/SPK-PUPR/III/2026", "JK-404", "reject", "Registrasi Jakon 'JK-404' tidak ditemukan"),
        ("PUPR", "027/14/SPK-PUPR/III/2026", "JK-2026-0000001", "maybe", "Keputusan 'maybe' tidak dikenal"),
    ],
)
def test_record_decision_refuses_unknown_records(
    app: App, records: dict[str, int], opd: str, nomor_kontrak: str, nomor_registrasi: str, decision: str, message: str
) -> None:
    with pytest.raises(DecisionError, match=message), transaction(app.sessions) as session:
        record_decision(session, opd, nomor_kontrak, nomor_registrasi, decision, "budi")
    with app.sessions() as session:
        assert load_decisions(session) == []


def test_decisions_load_oldest_first_and_a_confirm_reports_what_it_overrides(
    app: App, records: dict[str, int]
) -> None:
    with transaction(app.sessions) as session:
        record_decision(session, "PUPR", "027/14/SPK-PUPR/III/2026", "JK-2026-0000001", "confirm", "budi")
        recorded = record_decision(session, "PUPR", "028/14/SPK-PUPR/III/2026", "JK-2026-0000001", "confirm", "ani")
    assert recorded.overridden == ("PUPR|027/14/SPK-PUPR/III/2026 ↔ JK-2026-0000001",)
    with app.sessions() as session:
        assert [d.nomor_kontrak for d in load_decisions(session)] == ["027/14/SPK-PUPR/III/2026",
                                                                     "028/14/SPK-PUPR/III/2026"]
    assert _stored(app) == {(records["c2"], records["r1"], "manual", 1.0)}


def test_save_links_writes_in_the_callers_transaction(app: App, records: dict[str, int]) -> None:
    c1, c2, r1, r2 = records["c1"], records["c2"], records["r1"], records["r2"]
    with transaction(app.sessions) as session:
        save_links(session, [_link(c1, r1)])
    with pytest.raises(RuntimeError), transaction(app.sessions) as session:
        save_links(session, [_link(c1, r2), _link(c2, r1)])
        raise RuntimeError("the check run fails after writing its links")
    assert _stored(app) == {(c1, r1, "exact", 1.0)}
