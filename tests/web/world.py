"""A small real world for the web tests: contracts and registrations in the database, a real check run
(so the findings are the rules' own), staff and OPD accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from monitor.access import accounts
from monitor.bootstrap import App
from monitor.check.run import run_check
from monitor.db import transaction
from monitor.models import Finding
from tests.check.helpers import add_contract, add_payment, add_registration

AS_OF = date(2026, 11, 22)
PASSWORD = "kata-sandi-rahasia"
XSS_TITLE = "<script>alert(1)</script> Jalan Kenali Asam"
PUPR_UNREGISTERED = [f"{n:03d}/SPK-PUPR/III/2026" for n in range(1, 8)]  # 7: more than a page of 5
FREE_REGISTRATION = "JK-2026-0099"  # imported, linked to no contract: what the OPD proposes


@dataclass(frozen=True)
class World:
    app: App
    pupr_finding: int  # jakon.unregistered of the XSS-titled PUPR contract
    perkim_finding: int


def build_world(app: App) -> World:
    with transaction(app.sessions) as session:
        conn = session.connection()
        for i, nomor in enumerate(PUPR_UNREGISTERED):
            add_contract(conn, nomor, nama_paket=XSS_TITLE if i == 0 else f"Drainase Blok {i}", npwp=None,
                         penyedia=f"CV Penyedia {i}", nilai=100_000_000 + i * 1_000_000)
        add_contract(conn, "=HYPERLINK(\"http://x\")", opd="PERKIM", npwp=None, penyedia="CV Rumah",
                     nama_paket="Rumah Layak Huni")
        add_payment(conn, "SP2D-0001/PUPR/2026", nomor_kontrak=PUPR_UNREGISTERED[1])
        # A registration whose contract number nobody typed: the matcher leaves it unlinked.
        add_registration(conn, FREE_REGISTRATION, nomor_kontrak=None, penyedia="PT TIDAK MIRIP SAMA SEKALI",
                         npwp=None, nilai=987_654_321, nama_proyek="GEDUNG SERBAGUNA TELANAIPURA",
                         tanggal_daftar=date(2026, 11, 20),
                         masa_awal=date(2026, 3, 2), masa_akhir=date(2026, 12, 31))
        now = datetime.now(UTC)
        accounts.add_user(session, app.settings, "rina", "bpkad", PASSWORD, opd=None, now=now)
        accounts.add_user(session, app.settings, "ppk.pupr", "opd", PASSWORD, opd="PUPR", now=now)
    run_check(app, AS_OF)
    with app.sessions() as session:
        def unregistered(subject: str) -> int:
            return session.scalars(select(Finding.id).where(Finding.rule == "jakon.unregistered",
                                                            Finding.subject == subject)).one()

        return World(app, unregistered(f"PUPR|{PUPR_UNREGISTERED[0]}"),
                     unregistered("PERKIM|=HYPERLINK(\"http://x\")"))
