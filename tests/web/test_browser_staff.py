"""Staff pages in a real browser: Laporan (the draft framed in the page under the real CSP), Impor (a file
uploaded through the form, its rejected rows shown), the finding page's follow-up forms; on a desktop and on
a phone. Screenshots are kept (``var/screenshots/staff``, ``var/screenshots/phone-staff``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from monitor.bootstrap import App
from monitor.db import transaction
from monitor.models import MatchLink
from tests.check.helpers import add_contract, add_registration
from tests.ingest.conftest import CONTRACT_HEADER, CONTRACT_ROWS
from tests.web.browser import LiveServer, chromium, screenshot_dir
from tests.web.test_browser import browser, live, shot, submit, wait_for_next_page  # noqa: F401 - fixtures used by name
from tests.web.world import PASSWORD, build_world

pytestmark = pytest.mark.timeout(240)


def _csv_with_a_bad_row(folder: Path) -> Path:
    bad = [*CONTRACT_ROWS[1][:6], "seratus juta", *CONTRACT_ROWS[1][7:]]
    path = folder / "kontrak_desember.csv"
    path.write_text("\r\n".join(";".join(row) for row in (CONTRACT_HEADER, CONTRACT_ROWS[0], bad)) + "\r\n",
                    encoding="utf-8")
    return path


def _log_in(driver: Any, server: LiveServer) -> None:
    driver.get(f"{server.url}/masuk")
    submit(driver, "/masuk", name="rina", password=PASSWORD)


def test_reports_imports_and_follow_up_in_a_real_browser(live: tuple[App, LiveServer], browser: Any,  # noqa: F811
                                                         tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    app, server = live
    world = build_world(app)
    folder = screenshot_dir("staff")
    _log_in(browser, server)

    # Laporan: the draft's HTML opens inside the page (the CSPs allow exactly that frame).
    browser.get(f"{server.url}/laporan")
    frame = browser.find_element(By.CSS_SELECTOR, "iframe.report")
    browser.switch_to.frame(frame)
    assert "LAPORAN MONITORING DAN EVALUASI" in browser.find_element(By.TAG_NAME, "body").text.upper()
    browser.switch_to.default_content()
    shot(browser, folder, "01-laporan")
    assert browser.find_element(By.LINK_TEXT, "PDF").get_attribute("href") == f"{server.url}/laporan/konsep.pdf"

    # Impor: a file through the form; the good row is imported, the bad one shown with its line and reason.
    browser.get(f"{server.url}/impor")
    shot(browser, folder, "02-impor")
    form = browser.find_element(By.CSS_SELECTOR, 'form[action="/impor"]')
    form.find_element(By.NAME, "file").send_keys(str(_csv_with_a_bad_row(tmp_path)))
    Select(form.find_element(By.NAME, "kind")).select_by_value("contracts")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    wait_for_next_page(browser, form)
    notice = browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert "kontrak_desember.csv diimpor sebagai kontrak: 2 baris dibaca, 1 baru" in notice and "1 ditolak" in notice
    rejected = browser.find_element(By.CSS_SELECTOR, "table.rejects tbody tr").text
    assert rejected.startswith("3 Nilai Kontrak (Rp)")
    shot(browser, folder, "03-impor-hasil")

    # The finding page: the staff's follow-up form.
    browser.get(f"{server.url}/temuan/{world.pupr_finding}")
    form = browser.find_element(By.CSS_SELECTOR, f'form[action="/temuan/{world.pupr_finding}/tindak-lanjut"]')
    Select(form.find_element(By.NAME, "status")).select_by_value("dalam proses")
    submit(browser, f"/temuan/{world.pupr_finding}/tindak-lanjut", pic="Budi (PPK PUPR)")
    assert "Tindak lanjut disimpan." in browser.find_element(By.CSS_SELECTOR, ".notice").text
    section = browser.find_element(By.CSS_SELECTOR, "section.followup").text
    assert "dalam proses" in section and "Budi (PPK PUPR)" in section and "rina (web)" in section
    shot(browser, folder, "04-temuan-tindak-lanjut")


def test_staff_pages_fit_a_phone(live: tuple[App, LiveServer], tmp_path: Path) -> None:  # noqa: F811
    app, server = live
    world = build_world(app)
    folder = screenshot_dir("phone-staff")
    with transaction(app.sessions) as session:  # a weakest link whose contract number has no place to break
        conn = session.connection()
        number = "027/0008/SPK/DISBUDPARPARIWISATA/KOTAJAMBI/2026"
        contract = add_contract(conn, number, opd="PERKIM", npwp=None)
        registration = add_registration(conn, "JK-LONG", nomor_kontrak=number, npwp=None)
        conn.execute(insert(MatchLink), {"contract_id": contract, "registration_id": registration, "method": "fuzzy",
                                         "score": 0.1, "details": {}})
    driver = chromium(tmp_path / "phone-profile", tmp_path, phone=True)
    try:
        _log_in(driver, server)
        for name, path in (("laporan", "/laporan"), ("impor", "/impor"), ("finding", f"/temuan/{world.pupr_finding}"),
                           ("kota", "/kota"), ("tinjau", "/tinjau"), ("laporan-konsep", "/laporan/konsep")):
            driver.get(server.url + path)
            shot(driver, folder, name)
            viewport, width = driver.execute_script(
                "return [window.innerWidth, document.documentElement.scrollWidth]")
            assert viewport == 390 and width <= viewport, f"{path} is {width}px wide on a {viewport}px phone"
        driver.get(f"{server.url}/temuan/{world.pupr_finding}#tindak-lanjut")
        shot(driver, folder, "finding-follow-up")
    finally:
        driver.quit()
