"""Helpers for the daemon's tests: a small, fully known data set written straight into the
database (so the metric values can be asserted exactly, independent of the engine), metric parsing,
and ``pantau run`` as a real subprocess."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO

from prometheus_client.parser import text_string_to_metric_families

from monitor.bootstrap import App
from monitor.db import transaction
from monitor.models import (
    Addendum,
    Agreement,
    CheckRun,
    Contract,
    Finding,
    ImportBatch,
    JobRun,
    MatchLink,
    OutboxMessage,
    Registration,
)

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Seeded:
    now: datetime
    today: date


def _contract(opd: str, nomor: str, value: int, *, known: bool = True) -> Contract:
    return Contract(
        opd=opd, opd_known=known, nomor_kontrak=nomor, tanggal_kontrak=date(2026, 3, 2), nama_paket=f"Paket {nomor}",
        penyedia="CV Karya Abadi", nilai_kontrak=value, tanggal_selesai=date(2026, 12, 1), row_hash="x",
    )


def _registration(nomor: str, paid: int, status: str = "aktif") -> Registration:
    return Registration(
        nomor_registrasi=nomor, nama_proyek=f"Proyek {nomor}", penyedia="KARYA ABADI, CV",
        nilai_kontrak_terdaftar=1, iuran_dibayar=paid, tanggal_daftar=date(2026, 3, 5),
        masa_awal=date(2026, 3, 5), masa_akhir=date(2026, 12, 1), status=status, row_hash="x",
    )


def _finding(rule: str, severity: str, opd: str | None, subject: str, status: str, amount: int = 0) -> Finding:
    return Finding(
        fingerprint=f"{rule}:{subject}", rule=rule, severity=severity, status=status, opd=opd, subject=subject,
        title=f"Temuan {subject}", amount_at_risk=amount, content_hash="h", first_seen=date(2026, 3, 20),
        last_seen=date(2026, 3, 25), opened_at=datetime(2026, 3, 20, tzinfo=UTC),
    )


def seed_database(app: App, now: datetime | None = None) -> Seeded:
    """Contracts in PUPR, PERKIM and an OPD missing from the directory; links, findings, addenda,
    agreements, check runs, imports, outbox messages and job runs. tests/daemon/test_metrics.py
    spells out every figure this gives."""
    now = now or datetime.now(UTC)
    today = now.astimezone(app.settings.tz).date()
    with transaction(app.sessions) as s:
        contracts = {
            c.nomor_kontrak: c
            for c in (
                _contract("PUPR", "PUPR/001", 75_000_000),
                _contract("PUPR", "PUPR/002", 1_500_000_000),
                _contract("PUPR", "PUPR/003", 200_000_000),
                _contract("PERKIM", "PERKIM/010", 500_000_000),
                _contract("PERKIM", "PERKIM/011", 100_000_000),
                _contract("PERKIM", "PERKIM/012", 300_000_000),
                _contract("Dinas Lain", "X/1", 50_000_000, known=False),
            )
        }
        registrations = {
            r.nomor_registrasi: r
            for r in (_registration("R1", 180_000), _registration("R2", 999, "batal"), _registration("R3", 400_000))
        }
        s.add_all([*contracts.values(), *registrations.values()])
        s.flush()
        for nomor, reg in (("PUPR/001", "R1"), ("PUPR/002", "R2"), ("PERKIM/010", "R3")):
            s.add(MatchLink(contract_id=contracts[nomor].id, registration_id=registrations[reg].id,
                            method="exact", score=1))
        # PUPR/002 grows to Rp 2 miliar by its latest addendum; the earlier one and a date-only one don't count.
        s.add_all([
            Addendum(opd="PUPR", nomor_kontrak="PUPR/002", nomor_adendum="A1", tanggal_adendum=date(2026, 4, 1),
                     nilai_kontrak_baru=1_800_000_000, row_hash="x"),
            Addendum(opd="PUPR", nomor_kontrak="PUPR/002", nomor_adendum="A2", tanggal_adendum=date(2026, 5, 1),
                     nilai_kontrak_baru=2_000_000_000, row_hash="x"),
            Addendum(opd="PUPR", nomor_kontrak="PUPR/002", nomor_adendum="A3", tanggal_adendum=date(2026, 6, 1),
                     tanggal_selesai_baru=date(2027, 1, 1), row_hash="x"),
        ])
        s.add_all([
            _finding("jakon.unregistered", "high", "PUPR", "PUPR|PUPR/002", "open", 2_950_000),
            _finding("jakon.unregistered", "high", "PERKIM", "PERKIM|PERKIM/011", "acknowledged", 240_000),
            _finding("jakon.unregistered", "high", "PERKIM", "PERKIM|PERKIM/012", "resolved", 620_000),
            _finding("jakon.premium_shortfall", "medium", "PERKIM", "PERKIM|PERKIM/010", "open", 600_000),
            _finding("agreement.expiring", "medium", None, "MOU-1", "reopened"),
            _finding("data.orphan_registration", "low", None, "R9", "silenced"),
            _finding("jakon.payment_unregistered", "critical", "Dinas Lain", "SP2D-1", "open", 5_000),
        ])
        s.add_all([
            Agreement(nomor="MOU-1", jenis="MoU", judul="MoU BPJS", tanggal_berakhir=today + timedelta(days=20),
                      status="berlaku", row_hash="x"),
            Agreement(nomor="PKS-2", jenis="PKS", judul="PKS Disnaker", tanggal_berakhir=today + timedelta(days=200),
                      status="berlaku", row_hash="x"),
            Agreement(nomor="PKS-3", jenis="PKS", judul="PKS lama", tanggal_berakhir=today - timedelta(days=5),
                      status="berlaku", row_hash="x"),
            Agreement(nomor="MOU-0", jenis="MoU", judul="MoU 2020", tanggal_berakhir=today - timedelta(days=400),
                      status="berakhir", row_hash="x"),
            Agreement(nomor="MOU-OLD", jenis="MoU", judul="MoU 2025", tanggal_berakhir=today - timedelta(days=10),
                      status="diperpanjang", nomor_pengganti="MOU-1", row_hash="x"),
        ])
        for days_ago, seconds, status in ((2, 30, "ok"), (1, 3, "failed"), (0, 90, "ok")):
            started = now - timedelta(days=days_ago, hours=2)
            s.add(CheckRun(as_of=started.date(), started_at=started, finished_at=started + timedelta(seconds=seconds),
                           status=status))
        for kind, inserted, updated, unchanged, rejected in (
            ("contracts", 5, 1, 1, 2), ("contracts", 1, 0, 0, 0), ("registrations", 3, 0, 0, 1),
        ):
            s.add(ImportBatch(kind=kind, file_name=f"{kind}.csv", sha256="0" * 64, rows=inserted + updated + unchanged
                              + rejected, inserted=inserted, updated=updated, unchanged=unchanged, rejected=rejected,
                              started_at=now - timedelta(hours=3), finished_at=now - timedelta(hours=3)))
        for i, (status, attempts, age) in enumerate(
            [("sent", 1, 5), ("sent", 1, 5), ("sent", 2, 5), ("dead", 8, 5), ("pending", 2, 2), ("pending", 0, 1),
             ("sending", 0, 0.5)]
        ):
            created = now - timedelta(hours=age)
            s.add(OutboxMessage(message_id=f"<m{i}@pantau>", kind="opd", recipient="pupr@jambikota.go.id",
                                subject="Ringkasan", raw="", status=status, attempts=attempts, created_at=created,
                                next_attempt_at=created))
        s.add(JobRun(job="inbox", trigger="schedule", started_at=now - timedelta(hours=1),
                     finished_at=now - timedelta(hours=1) + timedelta(seconds=1), status="ok", instance="t:1"))
        s.add(JobRun(job="inbox", trigger="schedule", started_at=now - timedelta(minutes=1),
                     finished_at=now - timedelta(minutes=1), status="failed", instance="t:1"))
    return Seeded(now=now, today=today)


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_metrics(text: str) -> Samples:
    """Every sample of a text exposition as ``{(name, frozenset(labels.items())): value}``."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def sample(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


# --- `pantau run` as a subprocess ----------------------------------------------------------------


def write_config(path: Path, database_url: str, extra: str = "") -> Path:
    path.write_text(
        f'''
timezone = "Asia/Jakarta"

[database]
url = "{database_url}"

[http]
host = "127.0.0.1"
port = 0

[scheduler]
inbox_dir = "inbox"
leader_retry_seconds = 0.3

[logging]
format = "json"

[[opd]]
code = "PUPR"
name = "Dinas Pekerjaan Umum dan Penataan Ruang"

[[opd]]
code = "PERKIM"
name = "Dinas Perumahan dan Kawasan Permukiman"
{extra}
''',
        encoding="utf-8",
    )
    return path


def _pump(stream: IO[str], lines: queue.Queue[str], keep: list[str]) -> None:
    for line in stream:
        keep.append(line)
        lines.put(line)


@dataclass
class DaemonProcess:
    process: subprocess.Popen[str]
    url: str = ""
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    lines: queue.Queue[str] = field(default_factory=queue.Queue)

    @property
    def base(self) -> str:
        return self.url.removesuffix("/metrics")

    def signal(self, signum: int = signal.SIGTERM) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def wait_for_line(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """The first stdout line (from now on) matching ``pattern``."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.process.poll() is not None and self.lines.empty()):
                self.stop()
                raise AssertionError(f"no line matching {pattern!r}; stderr: {''.join(self.stderr)[-3000:]}")
            try:
                line = self.lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            match = re.search(pattern, line)
            if match:
                return match

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def start_daemon(
    config: Path, *args: str, wait_for_url: bool = True, timeout: float = 30.0, argv: list[str] | None = None
) -> DaemonProcess:
    """Start ``pantau --config CONFIG run ARGS`` (or ``argv``) and, unless told not to, wait for the
    metrics URL it prints."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_") or k.startswith("PANTAU_TEST_")}
    process = subprocess.Popen(
        argv or [sys.executable, "-m", "monitor", "--config", str(config), "run", *args],
        cwd=config.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    daemon = DaemonProcess(process)
    assert process.stdout is not None and process.stderr is not None
    threading.Thread(target=_pump, args=(process.stdout, daemon.lines, daemon.stdout), daemon=True).start()
    threading.Thread(target=_pump, args=(process.stderr, queue.Queue(), daemon.stderr), daemon=True).start()
    if wait_for_url:
        match = daemon.wait_for_line(r"http://\S+/metrics", timeout)
        daemon.url = match.group(0)
    return daemon
