"""OCDS 1.1 files in the shapes of the standard's own published samples (release package, record package
with compiled releases, JSON Lines of releases), written by the tests for a Kota Jambi buyer."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from monitor.settings import Settings
from tests.conftest import write_settings
from tests.ingest.spse.conftest import SATKER_DIRECTORY, SATKER_PU

OCID = "ocds-jmb001-41234567"
BUYER_ID = SATKER_PU[1]


def release(ocid: str = OCID, release_id: str | None = None, **changes: Any) -> dict[str, Any]:
    """A contract release: parties with roles, buyer, tender, award with suppliers, contract with
    amendments and implementation transactions."""
    value: dict[str, Any] = {
        "ocid": ocid, "id": release_id or f"{ocid}-contract-01", "date": "2025-04-02T10:00:00Z",
        "tag": ["contract"], "initiationType": "tender", "language": "id",
        "parties": [
            {"id": "ID-SATKER-1.03", "name": "DINAS PEKERJAAN UMUM DAN TATA RUANG",
             "roles": ["buyer", "procuringEntity"], "identifier": {"scheme": "ID-SATKER", "id": BUYER_ID}},
            {"id": "ID-NPWP-735934051443000", "name": "CV KARYA ABADI", "roles": ["supplier", "tenderer"],
             "identifier": {"scheme": "ID-NIB", "id": "9120001234567"},
             "additionalIdentifiers": [{"scheme": "ID-NPWP", "id": "73.593.405.1-443.000"}]},
        ],
        "buyer": {"id": "ID-SATKER-1.03", "name": "DINAS PEKERJAAN UMUM DAN TATA RUANG"},
        "tender": {"id": "41234567", "title": "Rehabilitasi Jalan Lingkungan Kenali Asam",
                   "mainProcurementCategory": "works", "status": "complete",
                   "value": {"amount": 1300000000, "currency": "IDR"}},
        "awards": [{"id": f"{ocid}-award-1", "status": "active", "date": "2025-03-15T00:00:00Z",
                    "value": {"amount": 1269963504.15, "currency": "IDR"},
                    "suppliers": [{"id": "ID-NPWP-735934051443000", "name": "CV KARYA ABADI"}]}],
        "contracts": [{
            "id": "027/14/SPK-PUPR/III/2025", "awardID": f"{ocid}-award-1", "title": "Rehabilitasi Jalan Lingkungan",
            "status": "active", "dateSigned": "2025-03-21T00:00:00Z",
            "period": {"startDate": "2025-03-24T00:00:00Z", "endDate": "2025-08-20T00:00:00Z"},
            "value": {"amount": 1269963504.15, "currency": "IDR"},
            "amendments": [{"id": "ADD-1", "date": "2025-06-02T00:00:00Z", "rationale": "pekerjaan tambah"}],
            "implementation": {"transactions": [
                {"id": "SP2D-0001/2025", "date": "2025-05-10T00:00:00Z", "source": "APBD Kota Jambi",
                 "value": {"amount": 380989051.25, "currency": "IDR"}},
            ]},
        }],
    }
    for key, change in changes.items():
        value[key] = change
    return value


def package_meta() -> dict[str, Any]:
    return {"uri": "https://lpse.jambikota.go.id/ocds/2025.json", "version": "1.1",
            "publishedDate": "2025-12-01T00:00:00Z", "publisher": {"name": "LPSE Kota Jambi"},
            "license": "https://creativecommons.org/licenses/by/4.0/"}


def write_release_package(path: Path, releases: Sequence[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({**package_meta(), "releases": list(releases)}, ensure_ascii=False, indent=1),
                    encoding="utf-8")
    return path


def write_record_package(path: Path, releases: Sequence[dict[str, Any]], *, compiled: bool = True) -> Path:
    records = []
    for value in releases:
        record: dict[str, Any] = {"ocid": value["ocid"], "releases": [
            {"url": f"https://lpse.jambikota.go.id/ocds/{value['id']}.json", "date": value["date"],
             "tag": value["tag"]}]}
        if compiled:
            record["compiledRelease"] = {**copy.deepcopy(value), "tag": ["compiled"]}
        records.append(record)
    path.write_text(json.dumps({**package_meta(), "records": records}, ensure_ascii=False), encoding="utf-8")
    return path


def write_json_lines(path: Path, releases: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in releases), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _read_both_ways(reading: str) -> None:
    """Every import of these tests is run once here and once by the parse worker."""


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return write_settings(tmp_path, database_url, SATKER_DIRECTORY)
