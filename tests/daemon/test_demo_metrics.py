"""The metrics on the demo year: imported through the inbox job and checked by the check job, as the
daemon does, then compared with the demo's ground truth and with the findings themselves."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

from daemon_support import parse_metrics
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import select

from monitor.bootstrap import App
from monitor.check.run import run_check
from monitor.daemon.collector import DatabaseCollector
from monitor.daemon.jobs import inbox
from monitor.demo import write_demo
from monitor.models import Finding
from monitor.settings import load_settings


def test_metrics_on_the_demo_year_agree_with_its_ground_truth(app: App, tmp_path: Path) -> None:
    files = write_demo(tmp_path / "demo", contracts=300, seed=11).paths
    truth = json.loads(files["truth"].read_text(encoding="utf-8"))
    as_of = date.fromisoformat(truth["as_of"])
    # The demo's own OPD directory, and an inbox holding its files.
    config = tmp_path / "demo.toml"
    config.write_text(f'opd_file = "{files["opd"]}"\n[database]\nurl = "{app.settings.database.url}"\n'
                      f'[scheduler]\ninbox_dir = "{tmp_path / "inbox"}"\n', encoding="utf-8")
    app.settings = load_settings(config, environ={}, required=True)
    (tmp_path / "inbox").mkdir()
    for kind, path in files.items():
        if kind not in ("truth", "opd"):
            shutil.copy(path, tmp_path / "inbox" / path.name)
            os.utime(tmp_path / "inbox" / path.name, (time.time() - 60, time.time() - 60))
    result = inbox(app, datetime.now(UTC))
    assert not result.summary["failed"] and result.follow_up == ("check",)
    run_check(app, as_of=as_of)

    registry = CollectorRegistry()
    registry.register(DatabaseCollector(app, now=lambda: datetime.combine(as_of, datetime.min.time(), UTC)))
    samples = parse_metrics(generate_latest(registry).decode())

    def total(name: str, **match: str) -> float:
        return sum(value for (metric, labels), value in samples.items()
                   if metric == name and all(dict(labels).get(k) == v for k, v in match.items()))

    counts = truth["counts"]
    assert total("pantau_contracts") == counts["contracts"]
    assert total("pantau_contracts", status="unregistered") == counts["unregistered"]
    assert total("pantau_contracts", status="pending") == counts["not_yet_due"]
    with app.sessions() as session:
        findings = list(session.scalars(select(Finding).where(Finding.status != "resolved")))
    assert total("pantau_findings_open") == len(findings)
    by_rule = Counter(f.rule for f in findings)
    for rule, n in by_rule.items():
        assert total("pantau_findings_open", rule=rule) == n, rule
    assert total("pantau_findings_open", rule="jakon.unregistered") == counts["unregistered"]
    assert total("pantau_amount_at_risk_rupiah") == sum(f.amount_at_risk for f in findings)
    # Every contract of a directory OPD is labelled with its code; the demo's one unknown OPD is "unknown".
    opds = {dict(labels)["opd"] for (metric, labels) in samples if metric == "pantau_contracts"}
    assert "unknown" in opds and opds - {"unknown"} <= {opd.code for opd in app.settings.opd}
    assert total("pantau_import_files_total") == 6
    for kind, bad_rows in truth["malformed"].items():
        assert total("pantau_import_rows_rejected_total", kind=kind) == len(bad_rows), kind
        assert total("pantau_import_rows_accepted_total", kind=kind) == truth["rows"][kind], kind
    assert total("pantau_agreements") == truth["rows"]["agreements"]
