"""End to end with a real Prometheus (Debian's package; scripts/install-prometheus.sh installs it):
it scrapes a running ``pantau run`` on loopback, and every query of every Grafana dashboard panel
must return data through Prometheus's HTTP API. promtool checks our /metrics and the alerting rules
(and runs their unit tests)."""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from daemon_support import ROOT, DaemonProcess, seed_database, write_config

from monitor.bootstrap import bootstrap
from monitor.settings import load_settings

DASHBOARD = ROOT / "config" / "grafana" / "dashboards" / "pantau.json"
RULES_DIR = ROOT / "config" / "prometheus"
# What Grafana would put in for the variables: every OPD, and a rate window of several scrapes.
VARIABLES = {"$opd": ".*", "${opd}": ".*", "$__rate_interval": "30s"}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"{name} is not installed and this user cannot install Debian packages (not root or no apt)")
    # CI is root: a failed install is a failure, not a skip.
    subprocess.run([str(ROOT / "scripts" / "install-prometheus.sh")], check=True, stdout=subprocess.DEVNULL)
    found = shutil.which(name)
    assert found, f"{name} still missing after scripts/install-prometheus.sh"
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL with the variables substituted) for every target of every panel."""
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queries = []
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in VARIABLES.items():
                expr = expr.replace(variable, value)
            queries.append((panel["title"], expr))
    return queries


@pytest.fixture
def pantau(tmp_path: Path, daemons: Callable[..., DaemonProcess]) -> DaemonProcess:
    """A daemon on a SQLite file holding the seeded data set; jobs that need other areas are off."""
    config = write_config(
        tmp_path / "pantau.toml",
        "sqlite:///pantau.db",
        extra="\n".join(f"[scheduler.{job}]\nenabled = false\n" for job in ("check", "alerts", "outbox")),
    )
    app = bootstrap(load_settings(config, environ={}, required=True))
    seed_database(app)
    app.dispose()
    return daemons(config)


@pytest.fixture
def prometheus(tmp_path: Path, pantau: DaemonProcess) -> Iterator[str]:
    binary = _tool("prometheus")
    port = _free_port()
    target = pantau.url.removeprefix("http://").removesuffix("/metrics")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {RULES_DIR / 'pantau.rules.yml'}\n"
        f"scrape_configs:\n  - job_name: pantau\n    static_configs:\n      - targets: ['{target}']\n",
        encoding="utf-8",
    )
    log = (tmp_path / "prometheus.log").open("w")
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: urllib.request.urlopen(f"{base}/-/ready", timeout=2).status == 200, 30, "Prometheus ready")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _query(base: str, expr: str) -> list[dict[str, Any]]:
    answer = _get(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    assert answer["status"] == "success", (expr, answer)
    data = answer["data"]
    if data["resultType"] == "scalar":
        return [{"metric": {}, "value": data["result"]}]
    return list(data["result"])


def test_every_dashboard_panel_returns_data_through_prometheus(prometheus: str) -> None:
    # Several scrapes, so rate and increase windows have at least two samples.
    _wait(lambda: bool(_query(prometheus, 'up{job="pantau"} == 1')), 30, "a successful scrape of pantau")
    _wait(lambda: bool(_query(prometheus, 'count_over_time(up{job="pantau"}[1m]) >= 4')), 30, "four scrapes")
    queries = dashboard_queries()
    assert len(queries) >= 30
    empty = []
    for title, expr in queries:
        result = _query(prometheus, expr)
        values = [float(series["value"][1]) for series in result]
        if not values or all(math.isnan(v) for v in values):
            empty.append(f"{title}: {expr}")
    assert not empty, "panels without data:\n" + "\n".join(empty)
    # The OPD variable's values.
    opds = _get(f"{prometheus}/api/v1/label/opd/values?" + urllib.parse.urlencode({"match[]": "pantau_contracts"}))
    assert set(opds["data"]) == {"PUPR", "PERKIM", "unknown"}
    # And a value checked through the whole chain: seeded data -> collector -> Prometheus -> PromQL.
    [coverage] = _query(prometheus, 'max(pantau_registration_coverage_ratio{opd="PERKIM", basis="value"})')
    assert float(coverage["value"][1]) == pytest.approx(5 / 9)
    # The rules load in a real Prometheus, and the seeded agreement 20 days from its end is alerting.
    alerts = _get(f"{prometheus}/api/v1/rules?type=alert")["data"]["groups"]
    loaded = {rule["name"]: rule for group in alerts for rule in group["rules"]}
    assert "PantauCheckRunStale" in loaded
    _wait(lambda: _rule_state(prometheus, "PantauAgreementEndingSoon") == "firing", 15, "the agreement alert")


def _rule_state(base: str, name: str) -> str:
    groups = _get(f"{base}/api/v1/rules?type=alert")["data"]["groups"]
    return next(rule["state"] for group in groups for rule in group["rules"] if rule["name"] == name)


def test_promtool_accepts_our_metrics(pantau: DaemonProcess) -> None:
    promtool = _tool("promtool")
    exposition = b""

    def scraped_with_contracts() -> bool:
        nonlocal exposition
        with urllib.request.urlopen(pantau.url, timeout=10) as response:
            exposition = response.read()
        # The per-contract figures arrive from a background computation just after the start.
        return b"pantau_contracts{" in exposition

    _wait(scraped_with_contracts, 15, "the per-contract metrics")
    checked = subprocess.run([promtool, "check", "metrics"], input=exposition, capture_output=True, timeout=60)
    assert checked.returncode == 0 and not checked.stdout.strip() and not checked.stderr.strip(), checked


def test_promtool_checks_and_unit_tests_the_alerting_rules() -> None:
    promtool = _tool("promtool")
    checked = subprocess.run(
        [promtool, "check", "rules", "pantau.rules.yml"], cwd=RULES_DIR, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(
        [promtool, "test", "rules", "pantau.rules.test.yml"], cwd=RULES_DIR, capture_output=True, text=True, timeout=120
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_the_example_scrape_config_is_valid() -> None:
    promtool = _tool("promtool")
    checked = subprocess.run(
        [promtool, "check", "config", "prometheus.yml"], cwd=RULES_DIR, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_grafana_provisioning_files_point_at_the_dashboard() -> None:
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["opd"]["includeAll"] and variables["opd"]["allValue"] == ".*"
    titles = {panel["title"] for panel in board["panels"] if panel["type"] == "row"}
    sections = ("Kepatuhan", "Peringkat OPD", "Nilai berisiko", "Perjanjian", "Kesehatan daemon", "Pengiriman email")
    for section in sections:
        assert any(title.startswith(section) for title in titles), section
    # Every data panel reads the chosen data source, never a hard-coded one.
    for panel in board["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
    provider = (ROOT / "config" / "grafana" / "provisioning" / "dashboards" / "pantau.yaml").read_text()
    assert "type: file" in provider and "apiVersion: 1" in provider
