"""Releases of one ocid compiled by OCDS 1.1's merge rules: in any order, in one file or across runs."""

from __future__ import annotations

import copy
from datetime import date
from itertools import permutations
from pathlib import Path
from typing import Any

from sqlalchemy import select

from monitor.bootstrap import App
from monitor.ingest.ocds.compile import compile_releases
from monitor.ingest.ocds.importer import ingest_ocds
from monitor.models import Addendum, Contract, Payment, SourceStage
from tests.ingest.spse.conftest import balanced, count

from .conftest import OCID, release, write_json_lines, write_record_package, write_release_package

NOMOR = "027/14/SPK-PUPR/III/2025"


def process() -> dict[str, dict[str, Any]]:
    """One process as its publisher releases it, stage by stage (the standard's sample shapes): the
    tender, the award, the contract, an amendment raising the value and moving the end, and an
    implementation release with a second payment. Later stages carry only what they change."""
    full = release()
    contract = copy.deepcopy(full["contracts"][0])
    tender = {"ocid": OCID, "id": f"{OCID}-tender", "date": "2025-02-01T08:00:00Z", "tag": ["tender"],
              "parties": full["parties"][:1], "buyer": full["buyer"], "tender": full["tender"]}
    award = {"ocid": OCID, "id": f"{OCID}-award", "date": "2025-03-15T08:00:00Z", "tag": ["award"],
             "parties": full["parties"][1:], "awards": full["awards"]}
    signed = {"ocid": OCID, "id": f"{OCID}-contract", "date": "2025-03-21T08:00:00Z", "tag": ["contract"],
              "contracts": [contract]}
    amended = {"ocid": OCID, "id": f"{OCID}-amendment", "date": "2025-06-02T08:00:00Z",
               "tag": ["contractAmendment"], "contracts": [{
                   "id": contract["id"], "value": {"amount": 1400000000, "currency": "IDR"},
                   "period": {"endDate": "2025-09-30T00:00:00Z"},
                   "amendments": [{"id": "ADD-1", "date": "2025-06-02T00:00:00Z", "rationale": "pekerjaan tambah"}]}]}
    paid = {"ocid": OCID, "id": f"{OCID}-implementation", "date": "2025-08-01T08:00:00Z",
            "tag": ["implementation"], "contracts": [{"id": contract["id"], "implementation": {"transactions": [
                {"id": "SP2D-0002/2025", "date": "2025-07-30T00:00:00Z", "source": "APBD Kota Jambi",
                 "value": {"amount": 500000000, "currency": "IDR"}}]}}]}
    return {"tender": tender, "award": award, "contract": signed, "amendment": amended, "implementation": paid}


def as_imported(app: App) -> tuple[Any, ...]:
    with app.sessions() as session:
        [contract] = session.scalars(select(Contract)).all()
        payments = session.scalars(select(Payment.nomor_sp2d).order_by(Payment.nomor_sp2d)).all()
        addenda = session.scalars(select(Addendum.nomor_adendum)).all()
        return (contract.opd, contract.nomor_kontrak, contract.penyedia, contract.npwp_penyedia,
                contract.nilai_kontrak_sen, contract.tanggal_mulai, contract.tanggal_selesai, contract.in_scope,
                tuple(payments), tuple(addenda))


EXPECTED = ("PUPR", NOMOR, "CV KARYA ABADI", "735934051443000", 140_000_000_000, date(2025, 3, 24),
            date(2025, 9, 30), True, (f"{OCID}/SP2D-0001/2025", f"{OCID}/SP2D-0002/2025"), ("ADD-1",))


def test_the_releases_of_one_process_give_one_contract_in_any_order(app: App, tmp_path: Path) -> None:
    stages = list(process().values())
    for index, order in enumerate([stages, stages[::-1], [stages[3], stages[0], stages[4], stages[2], stages[1]]]):
        report = ingest_ocds(app, write_release_package(tmp_path / f"paket{index}.json", order))
        assert as_imported(app) == EXPECTED
        assert balanced(report) and report.rejected == 0
    assert count(app, SourceStage) == 5


def test_two_releases_of_one_ocid_give_the_same_contract_either_way(app: App, tmp_path: Path) -> None:
    signed, amended = process()["contract"], process()["amendment"]
    signed = {**signed, **{k: release()[k] for k in ("parties", "buyer", "tender", "awards")}}
    seen = set()
    for first, second in permutations([signed, amended]):
        app_db = tmp_path / f"{first['id']}.json"
        with app.engine.begin() as conn:
            for table in (Payment, Addendum, Contract, SourceStage):
                conn.execute(table.__table__.delete())
        ingest_ocds(app, write_release_package(app_db, [first, second]))
        found = as_imported(app)
        assert found[4:7] == (140_000_000_000, date(2025, 3, 24), date(2025, 9, 30))
        seen.add(found)
    assert len(seen) == 1


def test_an_implementation_release_in_a_later_run_adds_its_payment(app: App, tmp_path: Path) -> None:
    stages = process()
    first = ingest_ocds(app, write_json_lines(tmp_path / "a.jsonl", [stages[k] for k in (
        "tender", "award", "contract", "amendment")]))
    assert (first.rows, first.inserted, first.rejected) == (4, 4, 0)
    assert as_imported(app)[-2] == (f"{OCID}/SP2D-0001/2025",)
    second = ingest_ocds(app, write_release_package(tmp_path / "b.json", [stages["implementation"]]))
    assert (second.rows, second.updated) == (1, 1)
    assert as_imported(app) == EXPECTED
    again = ingest_ocds(app, write_release_package(tmp_path / "b.json", [stages["implementation"]]))
    assert (again.rows, again.unchanged) == (1, 1) and count(app, SourceStage) == 5


def test_a_record_package_compiled_release_is_used_as_is(app: App, tmp_path: Path) -> None:
    compiled = release(contracts=[{**release()["contracts"][0], "value": {"amount": 1000, "currency": "IDR"}}])
    report = ingest_ocds(app, write_record_package(tmp_path / "record.json", [compiled]))
    assert (report.rows, report.inserted) == (1, 1)
    with app.sessions() as session:
        assert session.scalar(select(Contract.nilai_kontrak_sen)) == 100_000
    assert count(app, SourceStage) == 0  # nothing to compile later: the publisher compiled it


def test_a_rejected_release_is_not_kept_to_spoil_the_next_compile(app: App, tmp_path: Path) -> None:
    stages = process()
    dollars = copy.deepcopy(stages["amendment"])
    dollars["contracts"][0]["value"]["currency"] = "USD"
    report = ingest_ocds(app, write_release_package(tmp_path / "a.json", [
        stages["tender"], stages["award"], stages["contract"], dollars]))
    assert (report.rows, report.rejected) == (4, 4) and balanced(report)
    assert "USD" in report.errors[0].message and f"release id {OCID}-tender" in report.errors[0].message
    assert count(app, SourceStage) == 0
    again = ingest_ocds(app, write_release_package(tmp_path / "b.json", [
        stages["tender"], stages["award"], stages["contract"]]))
    assert (again.inserted, again.rejected) == (3, 0)


def test_a_release_without_a_readable_date_is_rejected(app: App, tmp_path: Path) -> None:
    report = ingest_ocds(app, write_release_package(tmp_path / "a.json", [release(date="kemarin")]))
    assert (report.rows, report.rejected, report.errors[0].column) == (1, 1, "$.releases[0].date")


def test_the_merge_rules() -> None:
    earlier = {"ocid": "o", "id": "1", "date": "2025-01-01T00:00:00Z", "tag": ["tender"],
               "tender": {"title": "Lama", "status": "active", "items": [{"id": "1", "quantity": 1}],
                          "submissionMethod": ["electronicSubmission"], "documents": [{"url": "a"}]}}
    later = {"ocid": "o", "id": "2", "date": "2025-02-01T00:00:00+07:00", "tag": ["tenderUpdate"],
             "tender": {"status": None, "items": [{"id": "1", "unit": "m"}, {"id": "2"}],
                        "submissionMethod": ["written"], "documents": [{"url": "b"}]}}
    for order in ([earlier, later], [later, earlier]):
        assert compile_releases(order) == {
            "ocid": "o", "id": "o-2025-02-01T00:00:00+07:00", "date": "2025-02-01T00:00:00+07:00",
            "tag": ["compiled"], "tender": {
                "title": "Lama", "items": [{"id": "1", "quantity": 1, "unit": "m"}, {"id": "2"}],
                "submissionMethod": ["written"], "documents": [{"url": "b"}]}}
