"""The files are written the way real exports are, readable by their own formats' rules, the same
whichever way they are produced, and imported by ``pantau ingest`` exactly as the truth says."""

from __future__ import annotations

import csv
import filecmp
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from monitor.bootstrap import App, bootstrap
from monitor.demo import KINDS, DemoYear, build_year, write_demo, write_year
from monitor.demo.writer import LAYOUTS, file_format
from monitor.ingest import ingest_file
from monitor.ingest.kinds import KINDS as INGEST_KINDS
from monitor.ingest.kinds import HeaderMatcher
from monitor.settings import load_settings


def read_csv(path: Path, encoding: str, delimiter: str) -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def test_it_writes_every_file(written: dict[str, Path]) -> None:
    assert {path.name for path in written.values()} == {
        "contracts.csv", "registrations.xlsx", "addenda.csv", "payments.csv", "agreements.xlsx", "kampung.csv",
        "ground_truth.json", "opd.toml",
    }
    assert all(path.stat().st_size > 0 for path in written.values())


def test_contracts_are_saved_like_excel_indonesia(written: dict[str, Path], year: DemoYear) -> None:
    raw = written["contracts"].read_bytes()
    assert b"\x92" in raw  # "Syara’" in Windows-1252
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = read_csv(written["contracts"], "cp1252", ";")
    header, first = rows[0], rows[1]
    assert header[:4] == ["No", "Kode RUP", "Nomor Kontrak", "Tgl. Kontrak"]
    assert len(rows) == 1 + len(year.contracts) + len(year.malformed["contracts"])
    cells = dict(zip(header, first, strict=True))
    assert cells["Nilai Kontrak (Rp)"].startswith("Rp ") and cells["Nilai Kontrak (Rp)"].endswith(",00")
    contract = year.contracts[0]
    assert cells["Tgl. Kontrak"] == contract["tanggal_kontrak"].strftime("%d/%m/%Y")
    assert cells["Nilai Kontrak (Rp)"] == "Rp " + f"{contract['nilai_kontrak']:,}".replace(",", ".") + ",00"


def test_registrations_look_like_the_bpjs_export(written: dict[str, Path], year: DemoYear) -> None:
    sheet = load_workbook(written["registrations"], read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "BPJS KETENAGAKERJAAN"
    header = rows[5]
    assert header[0] == "NO. REGISTRASI PROYEK" and all(h == h.upper() for h in header)
    data = rows[6:]
    assert len(data) == len(year.registrations) + len(year.malformed["registrations"])
    first = dict(zip(header, data[0], strict=True))
    assert isinstance(first["TGL. DAFTAR"], datetime)  # a real date cell
    assert isinstance(first["NILAI PROYEK (RP)"], int)
    assert first["STATUS"] in ("AKTIF", "BERAKHIR", "BATAL")


def test_addenda_payments_and_kampung_use_their_own_conventions(written: dict[str, Path]) -> None:
    assert written["addenda"].read_bytes().startswith(b"\xef\xbb\xbf")
    addenda = read_csv(written["addenda"], "utf-8-sig", ",")
    months = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
              "November", "Desember")
    assert all(row[3].split()[1] in months for row in addenda[1:] if row[3] and not row[3].startswith("31 Juni"))
    payments = read_csv(written["payments"], "utf-8", ";")
    assert payments[0][:2] == ["No. SP2D", "Tgl SP2D"]
    assert payments[1][4].startswith("Rp. ") and payments[1][4].endswith(",-")
    kampung = read_csv(written["kampung"], "cp1252", ";")
    assert kampung[0][1] == "Kode Kegiatan"
    agreements = load_workbook(written["agreements"], read_only=True).worksheets[0]
    assert next(agreements.iter_rows(values_only=True))[0].startswith("DAFTAR NASKAH KERJA SAMA")


def test_every_header_is_one_the_importer_knows(written: dict[str, Path]) -> None:
    for kind, layout in LAYOUTS.items():
        matcher = HeaderMatcher(INGEST_KINDS[kind])
        for column, header in layout.headers:
            assert matcher.match(header) == column, (kind, header)
        assert set(INGEST_KINDS[kind].required) <= {column for column, _ in layout.headers}


def test_the_ground_truth_file_is_the_years_truth(written: dict[str, Path], year: DemoYear) -> None:
    truth = json.loads(written["truth"].read_text(encoding="utf-8"))
    for key in ("links", "orphans", "superseded", "ambiguous", "kampung_links", "scenarios", "expected", "rows",
                "counts"):
        assert truth[key] == year.truth[key], key
    assert truth["files"]["registrations"] == "registrations.xlsx"
    # In the XLSX the header sits below five title rows: lines are sheet rows.
    assert [m["line"] for m in truth["malformed"]["registrations"]] == [
        m["line"] + 5 for m in year.malformed["registrations"]]
    assert [m["line"] for m in truth["malformed"]["contracts"]] == [m["line"] for m in year.malformed["contracts"]]


def test_malformed_rows_land_on_their_lines(written: dict[str, Path], year: DemoYear) -> None:
    rows = read_csv(written["contracts"], "cp1252", ";")
    header = rows[0]
    for item in json.loads(written["truth"].read_text(encoding="utf-8"))["malformed"]["contracts"]:
        cells = dict(zip(header, rows[item["line"] - 1], strict=True))
        raw = year.malformed["contracts"][[m["line"] for m in year.malformed["contracts"]].index(item["line"])]
        value = raw["row"][item["column"]]
        expected = "" if value is None else value if isinstance(value, str) else value.strftime("%d/%m/%Y")
        assert cells[item["header"]] == expected


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_one_format_for_every_file(tmp_path: Path, fmt: str) -> None:
    paths = write_year(build_year(40), tmp_path, fmt)  # type: ignore[arg-type]
    assert {paths[kind].suffix for kind in KINDS} == {f".{fmt}"}
    if fmt == "xlsx":
        for kind in KINDS:
            assert len(_cells(paths[kind])) > 1


def test_auto_writes_csv_only_for_large_years() -> None:
    assert file_format("registrations", "auto", 20_000) == "xlsx"
    assert file_format("registrations", "auto", 20_001) == "csv"
    assert file_format("contracts", "auto", 100) == "csv"
    assert file_format("contracts", "xlsx", 1_000_000) == "xlsx"


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown format"):
        write_year(build_year(5), tmp_path, "ods")  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["csv", "auto"])
def test_streaming_writes_the_same_files_as_the_year_in_memory(tmp_path: Path, fmt: str) -> None:
    in_memory = write_year(build_year(500, seed=4), tmp_path / "memory", fmt)  # type: ignore[arg-type]
    streamed = write_demo(tmp_path / "stream", 500, seed=4, fmt=fmt).paths  # type: ignore[arg-type]
    assert in_memory.keys() == streamed.keys()
    for key, path in in_memory.items():
        if path.suffix == ".xlsx":
            assert _cells(path) == _cells(streamed[key])
        else:
            assert filecmp.cmp(path, streamed[key], shallow=False), key


def test_parallel_workers_write_byte_identical_files(tmp_path: Path) -> None:
    one = write_demo(tmp_path / "one", 2500, seed=9, fmt="csv", workers=1, chunk_size=600)
    two = write_demo(tmp_path / "two", 2500, seed=9, fmt="csv", workers=2, chunk_size=600)
    for key, path in one.paths.items():
        assert filecmp.cmp(path, two.paths[key], shallow=False), key
    truth = json.loads(one.paths["truth"].read_text(encoding="utf-8"))
    assert truth["rows"]["contracts"] == 2500
    contracts = read_csv(one.paths["contracts"], "cp1252", ";")
    assert [row[0] for row in contracts[1:]] == [str(n) for n in range(1, len(contracts))]  # "No" runs on


def test_a_year_in_chunks_keeps_its_guarantees(tmp_path: Path) -> None:
    written = write_demo(tmp_path, 2500, seed=9, fmt="csv", workers=1, chunk_size=600)
    truth = json.loads(written.paths["truth"].read_text(encoding="utf-8"))
    numbers = [row[0] for row in read_csv(written.paths["registrations"], "utf-8", ",")[1:]]
    assert len(set(numbers)) == len(numbers)
    linked = {link["nomor_registrasi"] for link in truth["links"]}
    assert len(linked) == len(truth["links"])
    assert written.summary["rows"] == truth["rows"]


def _cells(path: Path) -> list[tuple[object, ...]]:
    return list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))


@pytest.fixture
def demo_app(database_url: str, written: dict[str, Path], tmp_path: Path) -> Iterator[App]:
    config = tmp_path / "pantau.toml"
    config.write_text(f'opd_file = "{written["opd"]}"\n[database]\nurl = "{database_url}"\n', encoding="utf-8")
    app = bootstrap(load_settings(config, environ={}, required=True), migrate=False)
    yield app
    app.dispose()


def test_the_import_takes_every_good_row_and_rejects_the_malformed(demo_app: App, written: dict[str, Path]) -> None:
    truth = json.loads(written["truth"].read_text(encoding="utf-8"))
    for kind in KINDS:
        report = ingest_file(demo_app, kind, written[kind])
        assert report.inserted == truth["rows"][kind], kind
        expected = [(m["line"], m["header"]) for m in truth["malformed"][kind]]
        assert sorted({(e.line, e.column) for e in report.errors}) == expected, kind
    unknown = ingest_file(demo_app, "contracts", written["contracts"]).notes.get("unknown_opd", {})
    assert set(unknown) == {"Kecamatan Danau Teluk"}
