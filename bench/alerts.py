"""Alerts benchmark: daily digest cycles over many open findings, with the file transport.

Inserts FINDINGS findings spread over 29 OPDs (severities and rules mixed, a tenth unknown OPDs), then
runs DAYS daily cycles (enqueue + flush) and prints the time of each kind of cycle, the messages and
notifications written, and the peak RSS.

    .venv/bin/python bench/alerts.py [--findings 20000] [--days 30] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from alerts.outbox import enqueue_due_digests, flush_outbox
from monitor.bootstrap import bootstrap
from monitor.models import Finding, Notification, OutboxMessage
from monitor.records import fingerprint
from monitor.settings import load_settings

RULES = ("jakon.unregistered", "jakon.premium_shortfall", "jakon.late_registration", "jakon.coverage_gap",
         "jakon.payment_unregistered")
SEVERITIES = ("critical", "high", "medium", "low")
T0 = datetime(2026, 4, 15, 0, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--url", default=None, help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = args.url or f"sqlite:///{work / 'bench.db'}"
        opds = "\n".join(
            f'[[opd]]\ncode = "OPD{i:02d}"\nname = "Dinas {i:02d}"\nemail = ["opd{i:02d}@jambikota.go.id"]\n'
            f'cc = ["ppk{i:02d}@jambikota.go.id"]\n' for i in range(29)
        )
        (work / "pantau.toml").write_text(
            f'[database]\nurl = "{url}"\n[alerts]\ntransport = "file"\noutbox_dir = "outbox"\n'
            f'bpkad = ["bpkad@jambikota.go.id"]\nfallback = ["admin@jambikota.go.id"]\n'
            f'escalation = ["sekda@jambikota.go.id"]\n{opds}', encoding="utf-8",
        )
        app = bootstrap(load_settings(work / "pantau.toml", environ={}, required=True))
        rows = []
        for i in range(args.findings):
            rule, severity = RULES[i % len(RULES)], SEVERITIES[(i // 7) % len(SEVERITIES)]
            opd = f"OPD{i % 29:02d}" if i % 10 else f"Dinas Baru {i % 3}"
            subject = f"{opd}|{i:06d}/SPK/2026"
            rows.append({
                "fingerprint": fingerprint(rule, subject), "rule": rule, "severity": severity, "status": "open",
                "opd": opd, "subject": subject, "title": f"Kontrak {i:06d}/SPK/2026 belum didaftarkan",
                "amount_at_risk": 180_000 + i, "content_hash": "0" * 40, "first_seen": T0.date(),
                "last_seen": T0.date(), "opened_at": T0 - timedelta(days=i % 20),
                "details": {"nomor_kontrak": f"{i:06d}/SPK/2026", "nama_paket": "Rehabilitasi Jalan",
                            "penyedia": "CV Karya Abadi", "deadline": "2026-03-20", "days_overdue": 26,
                            "required": 180_000, "paid": 0},
            })
        with app.sessions.begin() as session:
            session.execute(insert(Finding), rows)
        timings: dict[str, list[float]] = {"first": [], "quiet": [], "reminders": []}
        for day in range(args.days):
            now = T0 + timedelta(days=day)
            started = time.perf_counter()
            queued = enqueue_due_digests(app, now)
            result = flush_outbox(app, now)
            elapsed = time.perf_counter() - started
            kind = "first" if day == 0 else ("reminders" if queued else "quiet")
            timings[kind].append(elapsed)
            assert result.sent == queued and result.pending == 0
        with app.sessions() as session:
            messages = session.scalar(select(func.count()).select_from(OutboxMessage))
            notifications = session.scalar(select(func.count()).select_from(Notification))
        app.dispose()
    print(f"findings {args.findings}, {args.days} daily cycles on {url.split(':')[0]}")
    for kind, values in timings.items():
        if values:
            print(f"  {kind:<10} cycles {len(values):>3}  mean {sum(values) / len(values):7.2f} s  "
                  f"max {max(values):7.2f} s")
    print(f"  messages {messages}, notifications {notifications}")
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
