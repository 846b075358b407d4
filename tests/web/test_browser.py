"""End to end in a real browser: a real digest through a real SMTP server on loopback; its OPD link in
headless Chromium; every open finding across the pages; the CSV; acknowledge; propose; a staff user
confirms in the review queue; the next check links the contract (method manual) and resolves the
finding; the history names both actors. Screenshots of each page are kept (``var/screenshots/``)."""

from __future__ import annotations

import csv
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from alerts.outbox import send_cycle
from alerts.transports import SmtpTransport
from monitor.bootstrap import App
from monitor.check.findings import ACTIVE
from monitor.check.run import run_check
from monitor.models import Finding, MatchLink
from monitor.settings import SmtpSettings
from tests.web.browser import LiveServer, chromium, free_port, screenshot_dir
from tests.web.world import AS_OF, FREE_REGISTRATION, PASSWORD, XSS_TITLE, build_world

pytestmark = pytest.mark.timeout(240)


class Inbox:
    """aiosmtpd's handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = cast(EmailMessage, message_from_bytes(envelope.original_content or envelope.content,
                                                        policy=email_policy.default))
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 2.0.0 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def live(web_app: App) -> Iterator[tuple[App, LiveServer]]:
    port = free_port()
    web = web_app.settings.web.model_copy(update={"base_url": f"http://127.0.0.1:{port}"})
    app = App(settings=web_app.settings.model_copy(update={"web": web}), engine=web_app.engine,
              sessions=web_app.sessions)
    with LiveServer(app, port) as server:
        yield app, server


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = chromium(tmp_path / "chromium-profile", downloads)
    driver.downloads = downloads
    yield driver
    driver.quit()


def link_in(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    match = re.search(r"http://127\.0\.0\.1:\d+/tautan/\S+", body.get_content())
    assert match, "the OPD digest carries no link"
    return match.group(0)


def shot(driver: Any, folder: Path, name: str) -> None:
    driver.save_screenshot(str(folder / f"{name}.png"))


def no_dialog(driver: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018 - the property raises when no dialog is open


def submit(driver: Any, action: str, **fields: str) -> None:
    from selenium.webdriver.common.by import By

    form = driver.find_element(By.CSS_SELECTOR, f'form[action="{action}"]')
    for name, value in fields.items():
        element = form.find_element(By.NAME, name)
        element.clear()
        element.send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_next_page(driver, form)


def wait_for_next_page(driver: Any, old: Any) -> None:
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(old))


def test_digest_link_to_resolution_in_a_real_browser(live: tuple[App, LiveServer], smtp: tuple[Inbox, int],
                                                      browser: Any) -> None:
    from selenium.webdriver.common.by import By

    app, server = live
    inbox, smtp_port = smtp
    folder = screenshot_dir("end-to-end")
    world = build_world(app)

    # 1. The real digest, through SMTP on loopback.
    result = send_cycle(app, datetime.now(UTC), SmtpTransport(SmtpSettings(host="127.0.0.1", port=smtp_port,
                                                                           timeout=10)))
    assert result.flush.sent >= 2
    [(_, digest)] = [(to, m) for to, m in inbox.messages if "pupr@jambikota.go.id" in to]
    link = link_in(digest)

    # 2. The OPD opens it: every active finding of PUPR, across the pages.
    browser.get(link)
    assert browser.current_url == f"{server.url}/opd/PUPR"
    shot(browser, folder, "01-opd")
    with app.sessions() as session:
        expected = set(session.scalars(select(Finding.id).where(Finding.opd == "PUPR", Finding.status.in_(ACTIVE))))
    seen: set[int] = set()
    while True:
        for anchor in browser.find_elements(By.CSS_SELECTOR, "table.findings td:first-child a"):
            seen.add(int(anchor.text))
        following = browser.find_elements(By.CSS_SELECTOR, "a[rel=next]")
        if not following:
            break
        following[0].click()
        wait_for_next_page(browser, following[0])
    assert seen == expected and len(expected) > app.settings.web.page_size
    shot(browser, folder, "02-opd-last-page")

    # 3. The CSV download holds them all.
    browser.get(f"{server.url}/opd/PUPR")
    browser.find_element(By.LINK_TEXT, "CSV").click()
    csv_file = browser.downloads / "pantau-temuan-PUPR.csv"
    deadline = time.monotonic() + 20
    while not csv_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    rows = list(csv.reader(csv_file.read_text(encoding="utf-8-sig").splitlines()))
    assert {int(row[0]) for row in rows[1:]} == expected

    # 4. The hostile title is text, and no dialog opens.
    browser.get(f"{server.url}/temuan/{world.pupr_finding}")
    assert XSS_TITLE in browser.find_element(By.CSS_SELECTOR, "dl.facts").text
    no_dialog(browser)
    shot(browser, folder, "03-finding")

    # 5. Acknowledge, then propose the number BPJS gave.
    submit(browser, f"/temuan/{world.pupr_finding}/akui", note="Sedang didaftarkan oleh penyedia")
    assert "Temuan diakui" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    submit(browser, f"/temuan/{world.pupr_finding}/usul", nomor_registrasi=FREE_REGISTRATION)
    assert "ada di data BPJS dan belum tertaut" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    shot(browser, folder, "04-proposed")

    # 6. A staff user logs in and confirms it in the review queue.
    browser.delete_all_cookies()
    browser.get(f"{server.url}/kota")
    assert "/masuk" in browser.current_url
    shot(browser, folder, "05-login")
    submit(browser, "/masuk", name="rina", password=PASSWORD)
    assert browser.current_url == f"{server.url}/kota"
    shot(browser, folder, "06-kota")
    browser.get(f"{server.url}/tinjau")
    shot(browser, folder, "07-review")
    review = browser.find_element(By.XPATH, f"//section[contains(., '{FREE_REGISTRATION}')]")
    review.find_element(By.CSS_SELECTOR, "button[value=confirm]").click()
    wait_for_next_page(browser, review)
    assert "Usulan dikonfirmasi" in browser.find_element(By.CSS_SELECTOR, ".notice").text

    # 7. The next check links the contract by hand and resolves the finding.
    run_check(app, AS_OF)
    with app.sessions() as session:
        assert session.get(Finding, world.pupr_finding).status == "resolved"  # type: ignore[union-attr]
        assert "manual" in set(session.scalars(select(MatchLink.method)))
    browser.get(f"{server.url}/temuan/{world.pupr_finding}")
    history = browser.find_element(By.CSS_SELECTOR, "ol.history").text
    assert "tautan OPD PUPR (pupr@jambikota.go.id)" in history and "rina" in history
    assert "cara manual" in browser.find_element(By.XPATH, "//section[h2[contains(., 'Tautan')]]").text
    shot(browser, folder, "08-resolved")
    no_dialog(browser)


def test_pages_fit_a_phone(live: tuple[App, LiveServer], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    app, server = live
    world = build_world(app)
    folder = screenshot_dir("phone")
    driver = chromium(tmp_path / "phone-profile", tmp_path, phone=True)
    try:
        driver.get(f"{server.url}/masuk")
        submit(driver, "/masuk", name="ppk.pupr", password=PASSWORD)
        for name, path in (("opd", "/opd/PUPR"), ("finding", f"/temuan/{world.pupr_finding}")):
            driver.get(server.url + path)
            shot(driver, folder, name)
            viewport, width = driver.execute_script(
                "return [window.innerWidth, document.documentElement.scrollWidth]")
            assert viewport == 390 and width <= viewport, f"{path} is {width}px wide on a {viewport}px phone"
        assert driver.find_element(By.CSS_SELECTOR, "h1").text
    finally:
        driver.quit()
