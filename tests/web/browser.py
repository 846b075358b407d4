"""A real browser and a real server for the end-to-end tests.

- :func:`chromium`: headless Chromium from the Debian packages (``scripts/install-chromium.sh``)
  driven by Selenium through ``/usr/bin/chromedriver``; nothing is downloaded (Selenium Manager is
  never asked: the driver and the browser are named explicitly). Absent: the test is skipped, saying
  how to install them.
- :class:`LiveServer`: the daemon's own HTTP stack (:class:`monitor.daemon.http.HttpServer`, uvicorn)
  on a loopback port, in a thread of its own.
- Screenshots go to ``var/screenshots/`` (or ``$PANTAU_TEST_SCREENSHOTS``), kept after the run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.bootstrap import App
from monitor.daemon.http import HttpServer

CHROMIUM = Path(os.environ.get("PANTAU_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("PANTAU_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))
SCREENSHOTS = Path(os.environ.get("PANTAU_TEST_SCREENSHOTS",
                                  Path(__file__).resolve().parents[2] / "var" / "screenshots"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chromium(user_data: Path, downloads: Path, *, phone: bool = False):  # type: ignore[no-untyped-def]
    """A headless Chromium session (``phone``: a 390 × 844 touch screen), or a skip saying why there is none."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(f"Chromium not installed ({CHROMIUM}, {CHROMEDRIVER}): run scripts/install-chromium.sh "
                    "(Debian packages chromium and chromium-driver); .ci/run does")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                     f"--user-data-dir={user_data}", "--window-size=1280,900", "--lang=id"):
        options.add_argument(argument)
    if phone:
        options.add_experimental_option("mobileEmulation", {
            "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0, "touch": True}})
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
    })
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    return driver


class LiveServer:
    """Serves ``app`` on 127.0.0.1:``port`` from a thread running its own event loop."""

    def __init__(self, app: App, port: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = HttpServer(app, CollectorRegistry())
        self.port = port
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start("127.0.0.1", self.port), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def screenshot_dir(name: str) -> Path:
    folder = SCREENSHOTS / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
