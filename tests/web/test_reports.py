"""Laporan: the draft monev report in the page and as PDF and XLSX, the final ones, staff only."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime

from openpyxl import load_workbook
from starlette.testclient import TestClient

from monitor.access import accounts
from monitor.bootstrap import App
from monitor.db import transaction
from monitor.report import MonevParams, write_monev
from monitor.web.reports import stored_file
from tests.web.conftest import client_for, logged_in
from tests.web.world import AS_OF, PASSWORD, World


def test_staff_see_the_draft_in_the_page_and_download_it(staff: TestClient, world: World) -> None:
    page = staff.get("/laporan")
    assert page.status_code == 200
    assert '<iframe class="report" src="/laporan/konsep"' in page.text
    assert "frame-src 'self'" in page.headers["content-security-policy"]
    assert "Belum ada laporan final" in page.text
    html = staff.get("/laporan/konsep")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Laporan Monitoring dan Evaluasi" in html.text and "<script>alert(1)</script>" not in html.text
    assert html.headers["x-frame-options"] == "SAMEORIGIN"
    csp = html.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in csp and "script-src" not in csp and "default-src 'none'" in csp
    complete = staff.get("/laporan/konsep.html")
    assert complete.status_code == 200 and "Laporan Monitoring dan Evaluasi" in complete.text
    assert staff.get("/laporan/konsep.page").status_code == 404  # the framed one has no extension
    xlsx = staff.get("/laporan/konsep.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    assert "Ringkasan" in book.sheetnames and "Per OPD" in book.sheetnames
    pdf = staff.get("/laporan/konsep.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert staff.get("/laporan/konsep.docx").status_code == 404


def test_a_draft_is_rendered_once_per_check_run_and_final_report(staff: TestClient, world: World) -> None:
    drafts = staff.app.state.drafts  # type: ignore[attr-defined]
    first = staff.get("/laporan/konsep.html").text
    files = sorted(drafts.directory.glob("konsep-*.html"))
    assert len(files) == 1
    mtime = files[0].stat().st_mtime_ns
    assert staff.get("/laporan/konsep.html").text == first
    assert files[0].stat().st_mtime_ns == mtime  # served from the file, not rendered again
    _final(world.app, with_file=False)
    staff.get("/laporan/konsep.html")
    now = sorted(drafts.directory.glob("konsep-*.html"))
    assert len(now) == 1 and now != files  # a new final report: the draft compares with it, so a new file


def _final(app: App, *, with_file: bool) -> None:
    target = stored_file(app, AS_OF, "html")
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_monev(app, MonevParams(as_of=AS_OF, final=True), {"html": target if with_file else buffer},
                now=datetime.now(UTC), actor="sekretariat")


def test_final_reports_show_their_figures_and_stored_files(staff: TestClient, world: World) -> None:
    _final(world.app, with_file=False)
    page = staff.get("/laporan").text
    assert "Laporan final (1)" in page and "ditetapkan oleh sekretariat" in page
    assert "Kontrak dalam cakupan" in page and "Temuan aktif" in page
    assert "Berkasnya tidak tersimpan" in page
    _final(world.app, with_file=True)
    page = staff.get("/laporan").text
    assert "Laporan final (2)" in page
    link = page.split('href="/laporan/final/')[1].split('"')[0]
    assert link.endswith(".html")
    stored = staff.get(f"/laporan/final/{link}")
    assert stored.status_code == 200 and "Laporan Monitoring dan Evaluasi" in stored.text
    missing = staff.get(f"/laporan/final/{link.split('.')[0]}.pdf")
    assert missing.status_code == 404 and "tidak tersimpan" in missing.text
    assert staff.get("/laporan/final/999.html").status_code == 404


def test_an_opd_sees_no_city_report(opd_user: TestClient, world: World) -> None:
    for path in ("/laporan", "/laporan/konsep.html", "/laporan/konsep.pdf", "/laporan/final/1.html"):
        response = opd_user.get(path)
        assert response.status_code == 403, path
        assert "Laporan monev memuat angka seluruh kota" in response.text
        assert "Ringkasan" not in response.text
    assert 'href="/laporan"' not in opd_user.get("/opd/PUPR").text


def test_without_a_check_run_the_page_says_why(web_app: App) -> None:
    with transaction(web_app.sessions) as session:
        accounts.add_user(session, web_app.settings, "rina", "monev", PASSWORD, opd=None, now=datetime.now(UTC))
    with logged_in(web_app, "rina") as client:
        page = client.get("/laporan")
        assert page.status_code == 200 and "belum ada pemeriksaan yang berhasil" in page.text
        assert "<iframe" not in page.text
        refused = client.get("/laporan/konsep.pdf")
        assert refused.status_code == 409 and "belum ada pemeriksaan yang berhasil" in refused.text
    with client_for(web_app) as anonymous:
        assert anonymous.get("/laporan").status_code == 303


def test_the_framed_draft_caps_its_lists_and_the_complete_one_does_not(world: World) -> None:
    from monitor.check.run import run_check
    from tests.check.helpers import add_contract

    with transaction(world.app.sessions) as session:
        for n in range(5):  # 13 unregistered contracts: over the cap of 10
            add_contract(session.connection(), f"{n}/SPK-EXTRA/2026", npwp=None, penyedia=f"CV Tambahan {n}")
    run_check(world.app, AS_OF)
    report = world.app.settings.report.model_copy(update={"pdf_max_rows": 10})
    app = dataclasses.replace(world.app, settings=world.app.settings.model_copy(update={"report": report}))
    with logged_in(app, "rina") as staff:
        framed = staff.get("/laporan/konsep").text
        complete = staff.get("/laporan/konsep.html").text
    assert "... dan 3 baris lainnya; daftar lengkapnya ada di berkas XLSX" in framed
    assert "baris lainnya" not in complete and "CV Tambahan 4" in complete
