"""The follow-up matrix's PPK column and Simpulan dan saran name the PPK where the data do (SPSE's e-Kontrak,
or a contracts file's optional columns), and never invent one from the OPD."""

from __future__ import annotations

from openpyxl import load_workbook

from monitor.report import MonevParams, render_monev
from tests.report.conftest import AS_OF, NIP_PUPR, PPK_PUPR, City
from tests.report.test_monev import _report, _table_rows

PPK = 3  # the matrix's fourth column (ID temuan, Temuan, OPD, PPK, Subjek, ...)


def test_the_matrix_names_the_known_ppk_and_a_dash_where_none_is_known(city: City) -> None:
    html = render_monev(city.app, MonevParams(as_of=AS_OF), "html").decode()
    rows = _table_rows(html, "lampiran-tindak-lanjut")
    by_opd = {(row[2], row[PPK]) for row in rows}
    # PUPR's unregistered contract (and the SP2D paid to it) have e-Kontrak's PPK; PERKIM's contract has none.
    assert by_opd == {("PUPR", f"{PPK_PUPR} (NIP {NIP_PUPR})"), ("PERKIM", "—")}

    book = load_workbook(_report(city, "xlsx"), read_only=True)
    matrix = list(book["Tindak lanjut"].iter_rows(min_row=5, values_only=True))
    assert {(row[2], row[PPK]) for row in matrix} == by_opd


def test_simpulan_addresses_the_ppk_by_name_where_known(city: City) -> None:
    html = render_monev(city.app, MonevParams(as_of=AS_OF), "html").decode()
    simpulan = html[html.index("III. Simpulan dan saran"):html.index("IV. Penutup")]
    assert f"PPK {PPK_PUPR} agar meminta penyedia segera mendaftarkannya" in simpulan
