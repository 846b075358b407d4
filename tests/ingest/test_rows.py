from __future__ import annotations

from datetime import date

import pytest

from monitor.ingest.kinds import KINDS, HeaderMatcher
from monitor.ingest.rows import OpdDirectory, RowConverter, memoized, row_hash
from monitor.ingest.values import BadValue
from monitor.settings import Opd

DIRECTORY = (Opd(code="PUPR", name="Dinas Pekerjaan Umum dan Penataan Ruang", aliases=("Dinas PUPR",)),)


def test_opd_resolves_code_name_and_alias_ignoring_case_and_spacing() -> None:
    directory = OpdDirectory(DIRECTORY)
    for written in ("PUPR", "pupr", "Dinas  Pekerjaan Umum dan Penataan Ruang", "DINAS PUPR", " dinas pupr "):
        assert directory.resolve(written) == ("PUPR", True)
    assert directory.resolve("Dinas PU") == ("Dinas PU", False)
    assert directory.resolve("Dinas PU") == ("Dinas PU", False)
    assert directory.unknown == {"Dinas PU": 2}


def test_memoized_parsing_keeps_text_results_but_never_errors() -> None:
    calls: list[object] = []

    def parse(value: object) -> object:
        calls.append(value)
        if value == "bad":
            raise BadValue("bad")
        return f"<{value}>"

    cached = memoized(parse, limit=2)
    assert [cached("a"), cached("a"), cached(1), cached(True), cached(1)] == ["<a>", "<a>", "<1>", "<True>", "<1>"]
    assert calls == ["a", 1, True, 1]  # numbers are parsed every time: 1 == True as dict keys
    for _ in range(2):
        with pytest.raises(BadValue):
            cached("bad")
    assert calls.count("bad") == 2
    cached("b"), cached("c"), cached("c")
    assert calls[-2:] == ["c", "c"]  # the limit of two texts was reached with "a" and "b"


def converter() -> RowConverter:
    header = ["No. Kontrak", "Tgl Kontrak", "Satker", "Nama Paket", "Penyedia", "Nilai", "Tgl Selesai"]
    mapping, _ = HeaderMatcher(KINDS["contracts"]).map(header)
    return RowConverter(KINDS["contracts"], mapping, header, OpdDirectory(DIRECTORY))


def test_a_record_holds_the_files_columns_then_defaults_then_opd_known_with_iso_dates() -> None:
    conv = converter()
    record, problems = conv.convert(["K1", "02/03/2026", "Dinas PUPR", "Paket", "CV A", "1.000", "30/09/2026"])
    assert problems == []
    assert record is not None
    values = dict(zip(conv.columns, record, strict=True))
    assert values == {
        "nomor_kontrak": "K1", "tanggal_kontrak": "2026-03-02", "opd": "PUPR", "nama_paket": "Paket",
        "penyedia": "CV A", "nilai_kontrak": 1000, "tanggal_selesai": "2026-09-30", "kode_paket": None,
        "npwp_penyedia": None, "tanggal_mulai": None, "sumber_dana": "APBD", "jenis_pekerjaan": "konstruksi",
        "tahun_anggaran": None, "kecamatan": None, "kelurahan": None, "opd_known": True,
    }
    assert conv.key(record) == ("PUPR", "K1")


def test_short_rows_are_padded_and_every_problem_of_a_row_is_reported() -> None:
    record, problems = converter().convert(["K1", "31/02/2026", "PUPR", "", "CV A", "-7"])
    assert record is None
    assert [column for column, _ in problems] == ["Tgl Kontrak", "Nama Paket", "Nilai", "Tgl Selesai"]


def test_the_row_hash_changes_with_any_value_and_only_then() -> None:
    base = ["PUPR", "K1", date(2026, 3, 2), 1000, None, True]
    assert row_hash(base) == row_hash(list(base))
    assert len(row_hash(base)) == 40
    for index, other in enumerate(["DISDIK", "K2", date(2026, 3, 3), 1001, "", False]):
        changed = list(base)
        changed[index] = other
        assert row_hash(changed) != row_hash(base)
