"""Roles and the principal a request acts as.

- ``opd`` (an account tied to one OPD, or an OPD link): that OPD's pages only; acknowledge with a note,
  propose a registration number.
- ``bpkad``, ``monev``, ``bpjs`` (staff): every page; confirm or reject proposals and ambiguous matches;
  silence.
- ``admin``: what staff do, and the accounts and links (from the command line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ROLES = ("admin", "bpkad", "monev", "bpjs", "opd")
STAFF_ROLES = ("admin", "bpkad", "monev", "bpjs")
ROLE_LABELS = {
    "admin": "Administrator", "bpkad": "BPKAD", "monev": "Sekretariat monev", "bpjs": "BPJS Ketenagakerjaan",
    "opd": "OPD",
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: an account (``user``) or the holder of an OPD link (``link``)."""

    kind: Literal["user", "link"]
    name: str  # the account name, or the address the link was sent to
    role: str
    opd: str | None = None

    @property
    def actor(self) -> str:
        """How the history names this principal."""
        if self.kind == "link":
            return f"tautan OPD {self.opd} ({self.name})"
        return self.name

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def same_opd(self, opd: str | None) -> bool:
        return self.opd is not None and opd is not None and self.opd.casefold() == opd.casefold()

    def can_view(self, opd: str | None) -> bool:
        """Staff see every OPD (and findings without one); an OPD principal only its own."""
        return self.is_staff or self.same_opd(opd)

    def can_act_for(self, opd: str | None) -> bool:
        """Acknowledge and propose: the OPD's own people."""
        return self.role == "opd" and self.same_opd(opd)
