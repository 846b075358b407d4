"""A small city for the monev report: four contracts in three OPDs, checked by the real rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.bootstrap import App
from monitor.check.run import run_check
from monitor.cli import cli
from monitor.db import transaction
from tests.check.helpers import add_contract, add_payment, add_registration

AS_OF = date(2026, 4, 20)
PPK_PUPR, NIP_PUPR = "Ir. BUDI SANTOSO", "197001011995031001"  # e-Kontrak's PPK of the unregistered contract
HOSTILE = '=HYPERLINK("http://evil.example","klik")<script>alert(1)</script>\r\nBcc: x@evil.example'


def pantau(app: App, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", app.settings.source, *args], catch_exceptions=False)


@dataclass(frozen=True)
class City:
    app: App
    out: Path


def seed(app: App) -> None:
    with transaction(app.sessions) as session:
        conn = session.connection()
        # PUPR: one registered on time and paid in full; one never registered, paid by SP2D anyway.
        add_contract(conn, "027/14/SPK-PUPR/III/2026")
        add_registration(conn, "JK-1", nomor_kontrak="027/14/SPK-PUPR/III/2026")
        add_contract(conn, "027/03/SPK-PUPR/II/2026", tanggal_kontrak=date(2026, 2, 2), nilai=75_000_000,
                     nama_paket=HOSTILE, penyedia="CV Hostile", npwp="001234567890000", nama_ppk=PPK_PUPR,
                     nip_ppk=NIP_PUPR)
        add_payment(conn, "0000123/SP2D-LS/BPKAD/2026", nomor_kontrak="027/03/SPK-PUPR/II/2026",
                    tanggal_sp2d=date(2026, 4, 1), nilai=15_000_000)
        # PERKIM: registered late.
        add_contract(conn, "1/SPK/PPK.02/03/2026", opd="PERKIM", nilai=200_000_000, penyedia="CV Graha",
                     npwp="028279186331000", nama_paket="Pembangunan IPAL Komunal")
        add_registration(conn, "JK-2", nomor_kontrak="1/SPK/PPK.02/03/2026", penyedia="GRAHA, CV",
                         npwp="028279186331000", nilai=200_000_000, iuran=430_000, tanggal_daftar=date(2026, 4, 10),
                         nama_proyek="PEMBANGUNAN IPAL KOMUNAL")
        # DISDIK: signed five days ago, still within the deadline.
        add_contract(conn, "05/SPK/DISDIK/IV/2026", opd="DISDIK", tanggal_kontrak=date(2026, 4, 15),
                     nilai=300_000_000, penyedia="CV Pena", npwp="099999999999000", nama_paket="Rehab SD 12")
    run_check(app, AS_OF)


@pytest.fixture
def city(app: App, tmp_path: Path) -> City:
    seed(app)
    out = tmp_path / "out"
    out.mkdir()
    return City(app, out)
