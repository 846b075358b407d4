"""A real ``pantau ingest`` of a big file, killed while its parse worker runs (issue 16, point 3): no child
outlives it by more than a few seconds, and a SIGTERM stops it cleanly with nothing half-written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor import db

from .conftest import CONTRACT_HEADER

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

ROWS = 150_000  # about 24 MB, several seconds to import: past the size from which a worker parses the file


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("besar") / "kontrak_besar.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(";".join(CONTRACT_HEADER) + "\r\n")
        for n in range(ROWS):
            out.write(
                f"{n:06}/SPK-PUPR/III/2026;02/03/2026;Dinas PUPR;Rehab Jalan Kenali Asam segmen {n};CV Karya Abadi;"
                f"01.234.567.8-901.000;Rp 1.250.{n % 1000:03}.000,-;09/03/2026;25 Agustus 2026;{41_000_000 + n}\r\n"
            )
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path / 'pantau.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    path = tmp_path / "pantau.toml"
    path.write_text(f'[database]\nurl = "{url}"\n[ingest]\nchunk_rows = 1000\n', encoding="utf-8")
    return path


def children(pid: int) -> list[int]:
    """The live (not zombie) processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def big_spse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SPSE e-Kontrak dataset as the ISB API gives it, about 30 MB: past the size from which a
    worker parses the file (an OCDS package goes through the same worker)."""
    path = tmp_path_factory.mktemp("besar") / "isb_kontrak.json"
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for n in range(60_000):
            out.write(("," if n else "") + json.dumps({
                "kd_tender": str(10_000_000 + n), "no_kontrak": f"{n}/SPK/PUPR/2025",
                "tgl_kontrak": "2025-03-21T00:00:00.000000Z", "tgl_kontrak_awal": "2025-03-24T00:00:00.000000Z",
                "tgl_kontrak_akhir": "2025-03-21T00:00:00.000000Z", "nama_satker": "DINAS PEKERJAAN UMUM",
                "nama_paket": f"Rehabilitasi Jalan Kenali Asam segmen {n}", "nama_penyedia": "CV KARYA ABADI",
                "npwp_penyedia": "01.234.567.8-901.000", "nilai_kontrak": f"{1_250_000_000 + n}.00",
                "lingkup_pekerjaan": "<p>" + "pekerjaan jalan " * 10 + "</p>"}))
        out.write("]")
    return path


def start_import(config: Path, path: Path, kind: str = "contracts") -> tuple[subprocess.Popen[bytes], int]:
    """``pantau ingest KIND path``, once its parse worker is running: (the importer, the worker's pid)."""
    importer = subprocess.Popen(
        [sys.executable, "-c", "from monitor.cli import main; main()", "--config", str(config),
         "ingest", kind, str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        workers = children(importer.pid)
        if workers:
            time.sleep(0.7)  # well into the file: the worker is parsing, the importer writing
            assert importer.poll() is None, "the import ended before it could be killed"
            return importer, workers[0]
        assert importer.poll() is None, importer.communicate()
        time.sleep(0.02)
    importer.kill()
    raise AssertionError("the importer never started its parse worker")


def contracts_in(config: Path) -> tuple[int, int]:
    import sqlite3

    url = config.read_text().split('url = "sqlite:///', 1)[1].split('"', 1)[0]
    with sqlite3.connect(url) as conn:
        return (conn.execute("SELECT count(*) FROM import_batch").fetchone()[0],
                conn.execute("SELECT count(*) FROM contract").fetchone()[0])


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(params=["contracts", "spse"])
def big_import(request: pytest.FixtureRequest) -> tuple[Path, str]:
    """A big file and its kind: a CSV of contracts, an SPSE ISB dataset (parsed by the same worker)."""
    return request.getfixturevalue("big_spse_file" if request.param == "spse" else "big_file"), request.param


def test_the_parse_worker_dies_with_an_importer_killed_by_sigkill(config: Path, big_import: tuple[Path, str]) -> None:
    importer, worker = start_import(config, *big_import)
    importer.kill()
    importer.wait(10)
    survived = not gone_within(worker, 5)
    if survived:
        os.kill(worker, signal.SIGKILL)
    assert not survived, "the parse worker outlived its importer"
    assert contracts_in(config) == (0, 0)  # the one transaction never committed


def test_sigterm_stops_the_import_cleanly_with_nothing_half_written(config: Path,
                                                                   big_import: tuple[Path, str]) -> None:
    importer, worker = start_import(config, *big_import)
    importer.send_signal(signal.SIGTERM)
    _, err = importer.communicate(timeout=20)
    assert importer.returncode == 128 + signal.SIGTERM
    message = err.decode()
    assert "dihentikan" in message and "Traceback" not in message, message
    assert "tidak ada yang tersimpan" in message
    assert gone_within(worker, 5)
    assert contracts_in(config) == (0, 0)
