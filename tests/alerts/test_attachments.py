"""The digests stop cutting lists: each OPD digest carries that OPD's complete list of open findings as
XLSX, the BPKAD digest the city-wide one, through a real SMTP server on loopback."""

from __future__ import annotations

import io

from alerts_support import T0, World, text_of
from openpyxl import load_workbook

from alerts.view import MAX_ITEMS_PER_SECTION

BPKAD = "bpkad@jambikota.go.id"
PUPR = "pupr@jambikota.go.id"


def _sheet_ids(message: object) -> list[int]:
    [attached] = [p for p in message.iter_attachments()]  # type: ignore[attr-defined]
    book = load_workbook(io.BytesIO(attached.get_content()), read_only=True)
    sheet = book["Temuan terbuka"]
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    return [int(row[0]) for row in rows]


def test_the_opd_digest_attaches_every_open_finding_of_that_opd(world: World) -> None:
    world.configure(bpkad=(BPKAD,))
    pupr = [world.finding(opd="PUPR", severity="medium", amount=1_000 * i) for i in range(MAX_ITEMS_PER_SECTION + 26)]
    perkim = world.finding(opd="PERKIM", severity="high")
    hostile = world.finding(opd="PUPR", severity="low", title="=HYPERLINK(\"http://x\",\"y\")")
    world.cycle(T0)
    received = {r.recipient: r.message for r in world.smtp.take()}

    message = received[PUPR]
    text = text_of(message)
    assert "... dan 27 temuan lain; daftar lengkapnya ada di lampiran temuan-terbuka-PUPR-2026-04-15.xlsx." in text
    assert "pantau findings" not in text
    assert "Daftar lengkap semua temuan terbuka OPD PUPR terlampir:\ntemuan-terbuka-PUPR-2026-04-15.xlsx." in text
    assert sorted(_sheet_ids(message)) == sorted([*pupr, hostile])  # all of them, and only PUPR's

    [attached] = list(message.iter_attachments())
    book = load_workbook(io.BytesIO(attached.get_content()))
    cells = [c for row in book["Temuan terbuka"].iter_rows() for c in row if c.value == "=HYPERLINK(\"http://x\",\"y\")"]
    assert cells and cells[0].data_type == "s"  # text, never a formula

    assert sorted(_sheet_ids(received[BPKAD])) == sorted([*pupr, perkim, hostile])  # city-wide


def test_a_list_over_the_attachment_limit_is_not_attached_and_the_body_says_so(world: World) -> None:
    world.configure(bpkad=())
    settings = world.app.settings
    world.app.settings = settings.model_copy(update={"report": settings.report.model_copy(
        update={"max_attachment_mb": 0.000001})})
    world.finding(opd="PUPR")
    world.cycle(T0)
    message = {r.recipient: r.message for r in world.smtp.take()}[PUPR]
    assert list(message.iter_attachments()) == []
    assert "melebihi batas lampiran" in text_of(message)
