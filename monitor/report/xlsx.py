"""The monev report as XLSX: Ringkasan, Per OPD (with a native chart), Tindak lanjut (the meeting's working
sheet, read back by :mod:`.followup_sheet`), one sheet per list, Selesai, Sumber data."""

from __future__ import annotations

from typing import Any

from monitor.report.html import TITLE, headline_rows
from monitor.report.lists import FOLLOWUP_COLUMNS, LISTS, RESOLVED_COLUMNS, Column
from monitor.report.model import MonevReport
from monitor.spreadsheet import Field, SafeWorkbook

FOLLOWUP_SHEET = "Tindak lanjut"


def fields(columns: tuple[Column, ...]) -> list[Field]:
    return [Field(c.key, c.header, c.kind, c.width) for c in columns]


def render_xlsx(report: MonevReport) -> bytes:
    book = SafeWorkbook()
    f = report.fmt
    head = [TITLE, f"Nomor {report.nomor}; periode {f.date(report.period_start)} s.d. {f.date(report.period_end)}; "
                   f"batas data {f.date(report.as_of)}"]
    h = report.headline
    values: dict[str, Any] = dict(h.figures())
    values["change_pct_count"], values["change_pct_value"] = report.change_pct_count, report.change_pct_value
    money = {"value", "registered_value", "premium_due", "premium_paid", "sp2d_unregistered_value", "amount_at_risk"}
    decimals = {"pct_count", "pct_value", "change_pct_count", "change_pct_value"}
    sheet = book.sheet("Ringkasan")
    sheet.set_column(0, 0, 52)
    sheet.set_column(1, 1, 22)
    sheet.write_string(0, 0, head[0], book.title)
    sheet.write_string(1, 0, head[1])
    sheet.write_string(3, 0, "Uraian", book.header)
    sheet.write_string(3, 1, "Nilai", book.header)
    for i, (label, _shown, key) in enumerate(headline_rows(report), start=4):
        sheet.write_string(i, 0, label)
        value = values[key]
        if value is None:
            sheet.write_string(i, 1, "-")
        elif key in decimals:
            sheet.write_number(i, 1, float(value), book.percent)
        else:
            sheet.write_number(i, 1, int(value), book.money if key in money else book.integer)

    opd_fields = [Field("code", "Kode", "id", 10), Field("name", "OPD", "text", 40),
                  Field("contracts", "Kontrak", "int", 10), Field("registered", "Terdaftar", "int", 10),
                  Field("pct_count", "% kontrak", "text", 10), Field("value", "Nilai kontrak", "money", 18),
                  Field("registered_value", "Nilai terdaftar", "money", 18), Field("pct_value", "% nilai", "text", 10),
                  Field("unregistered", "Belum terdaftar", "int", 10), Field("premium_due", "Iuran wajib", "money", 16),
                  Field("premium_paid", "Iuran dibayar", "money", 16), Field("findings", "Temuan aktif", "int", 10)]
    opd_rows = [{"code": o.code, "name": o.name, "contracts": o.coverage.contracts,
                 "registered": o.coverage.registered, "value": o.coverage.value,
                 "registered_value": o.coverage.registered_value, "unregistered": o.coverage.unregistered,
                 "premium_due": o.coverage.premium_due, "premium_paid": o.coverage.premium_paid,
                 "findings": o.findings_open} for o in report.opds]
    per_opd = book.sheet("Per OPD")
    top = 0
    for col, field in enumerate(opd_fields):
        per_opd.set_column(col, col, field.width)
        per_opd.write_string(top, col, field.header, book.header)
    per_opd.freeze_panes(1, 0)
    for line, (row, o) in enumerate(zip(opd_rows, report.opds, strict=True), start=1):
        for col, field in enumerate(opd_fields):
            if field.key == "pct_count":
                per_opd.write_number(line, col, round(o.coverage.pct_count, 2), book.percent)
            elif field.key == "pct_value":
                per_opd.write_number(line, col, round(o.coverage.pct_value, 2), book.percent)
            else:
                book.write_cell(per_opd, line, col, field.kind, row[field.key])
    per_opd.autofilter(0, 0, max(len(opd_rows), 1), len(opd_fields) - 1)
    if opd_rows:
        chart = book.book.add_chart({"type": "bar"})
        for col, name in ((4, "% kontrak"), (7, "% nilai")):
            chart.add_series({"name": name, "categories": ["Per OPD", 1, 0, len(opd_rows), 0],
                              "values": ["Per OPD", 1, col, len(opd_rows), col]})
        chart.set_title({"name": "% terdaftar Jakon per OPD"})
        chart.set_x_axis({"min": 0, "max": 100})
        chart.set_y_axis({"reverse": True})
        chart.set_size({"width": 720, "height": max(300, 18 * len(opd_rows))})
        per_opd.insert_chart(1, len(opd_fields) + 1, chart)

    rows = report.rows
    assert rows is not None
    # The sheets' lists in the workbook's order, read ahead while the ones before them are written.
    followup, *lists, resolved = rows.ahead([rows.followup(), *(rows.findings(spec) for spec in LISTS),
                                             rows.resolved(report.resolved_since, report.period_end)])
    book.frame_table(FOLLOWUP_SHEET, fields(FOLLOWUP_COLUMNS), followup, before=[
        "Matriks tindak lanjut — isi kolom Status tindak lanjut, Batas waktu, PIC dan Catatan; lalu "
        "`pantau ingest tindak-lanjut BERKAS.xlsx`",
        "Status: belum ditindaklanjuti / dalam proses / sesuai / tidak dapat ditindaklanjuti (wajib dengan catatan)"])
    for spec, stream in zip(LISTS, lists, strict=True):
        book.frame_table(spec.title, fields(spec.columns), stream, before=[spec.title])
    book.frame_table("Selesai", fields(RESOLVED_COLUMNS), resolved, before=["Selesai sejak monev sebelumnya"])
    book.table("Sumber data", [Field("title", "Sumber", "text", 32), Field("imported_at", "Impor terakhir", "date", 14),
                               Field("file", "Berkas", "text", 50), Field("rows", "Baris", "int", 10),
                               Field("rejected", "Ditolak", "int", 10)],
               ({**s, "imported_at": s["imported_at"].astimezone(report.settings.tz).date()
                 if s["imported_at"] else None} for s in report.sources))
    return book.close()
