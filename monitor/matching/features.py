"""The fields the matcher compares, normalized once per record and kept in flat arrays.

At a million records the cost of matching is memory traffic, not arithmetic: touching a contract
object for each of its fields is a cache miss each time. So each side is read once, in order, and
every later comparison reads small contiguous arrays (an NPWP as an integer, a vendor as the id of
its normalized name, values in rupiah, dates as day ordinals).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from checks.base import ContractState, RegistrationState
from monitor.matching.normalize import contract_number_key, npwp_key, vendor_key

NO_VENDOR = -1  # a vendor name with nothing left after normalization
NO_NPWP = 0


class Features:
    def __init__(self, contracts: Sequence[ContractState], registrations: Sequence[RegistrationState]) -> None:
        self.vendor_names: list[str] = []  # vendor id -> normalized name
        self._vendor_ids: dict[str, int] = {}
        self._raw_vendor: dict[str, int] = {}
        self._raw_npwp: dict[str | None, int] = {}

        self.c_key: list[str | None] = []
        self.c_npwp, self.c_vendor = array("q"), array("i")
        self.c_nilai, self.c_nilai_awal = array("q"), array("q")
        # Day ordinals: contract signed, work starts (SPMK, else signed), work ends (the later of the
        # original and current end: coverage may follow either).
        self.c_signed, self.c_start, self.c_end = array("i"), array("i"), array("i")
        for c in contracts:
            self.c_key.append(contract_number_key(c.nomor_kontrak))
            self.c_npwp.append(self.npwp(c.npwp_penyedia))
            self.c_vendor.append(self.vendor(c.penyedia))
            self.c_nilai.append(c.nilai)
            self.c_nilai_awal.append(c.nilai_awal)
            signed = c.tanggal_kontrak.toordinal()
            self.c_signed.append(signed)
            self.c_start.append(c.tanggal_mulai.toordinal() if c.tanggal_mulai else signed)
            self.c_end.append(max(c.tanggal_selesai, c.tanggal_selesai_awal).toordinal())

        self.r_key: list[str | None] = []
        self.r_npwp, self.r_vendor, self.r_value = array("q"), array("i"), array("q")
        self.r_daftar, self.r_masa_awal, self.r_masa_akhir = array("i"), array("i"), array("i")
        for r in registrations:
            self.r_key.append(contract_number_key(r.nomor_kontrak))
            self.r_npwp.append(self.npwp(r.npwp_penyedia))
            self.r_vendor.append(self.vendor(r.penyedia))
            self.r_value.append(r.nilai_kontrak_terdaftar)
            self.r_daftar.append(r.tanggal_daftar.toordinal())
            self.r_masa_awal.append(r.masa_awal.toordinal())
            self.r_masa_akhir.append(r.masa_akhir.toordinal())

    def vendor(self, raw: str) -> int:
        """The id of a raw vendor name's normalized form (cached by the raw text: names repeat)."""
        found = self._raw_vendor.get(raw)
        if found is None:
            key = vendor_key(raw)
            if not key:
                found = NO_VENDOR
            else:
                found = self._vendor_ids.get(key)
                if found is None:
                    found = self._vendor_ids[key] = len(self.vendor_names)
                    self.vendor_names.append(key)
            self._raw_vendor[raw] = found
        return found

    def npwp(self, raw: str | None) -> int:
        """The NPWP as an integer (see :func:`~monitor.matching.normalize.npwp_key`), 0 when missing."""
        found = self._raw_npwp.get(raw)
        if found is None:
            key = npwp_key(raw)
            found = self._raw_npwp[raw] = NO_NPWP if key is None else int(key)
        return found
