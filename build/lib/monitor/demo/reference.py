"""The Kota Jambi reference data the demo year is drawn from (``kota_jambi.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class OpdInfo:
    code: str
    name: str
    aliases: tuple[str, ...]
    email: tuple[str, ...]
    cc: tuple[str, ...]
    weight: float  # share of the year's contracts
    style: str  # contract-number style, a key of monitor.demo.numbers.STYLES
    register: float  # how often its contractors register at BPJS

    def directory_entry(self) -> dict[str, Any]:
        """The ``[[opd]]`` table of the settings: code, name, aliases, email, cc."""
        return {"code": self.code, "name": self.name, "aliases": list(self.aliases),
                "email": list(self.email), "cc": list(self.cc)}


@dataclass(frozen=True, slots=True)
class Reference:
    opds: tuple[OpdInfo, ...]
    unknown_opd: str
    unknown_opd_number: str
    kecamatan: dict[str, tuple[str, ...]]
    streets: tuple[str, ...]
    lorong: tuple[str, ...]
    rivers: tuple[str, ...]
    parks: tuple[str, ...]
    markets: tuple[str, ...]
    puskesmas: tuple[str, ...]
    vendor_first: tuple[str, ...]
    vendor_second: tuple[str, ...]
    vendor_third: tuple[str, ...]
    vendor_special: tuple[str, ...]

    @property
    def kelurahan(self) -> tuple[tuple[str, str], ...]:
        """Every (kecamatan, kelurahan) pair."""
        return tuple((kec, kel) for kec, kels in self.kecamatan.items() for kel in kels)

    def opd(self, code: str) -> OpdInfo:
        for opd in self.opds:
            if opd.code == code:
                return opd
        raise KeyError(code)


@cache
def kota_jambi() -> Reference:
    raw = tomllib.loads(resources.files("monitor.demo").joinpath("kota_jambi.toml").read_text(encoding="utf-8"))
    opds = tuple(
        OpdInfo(
            code=o["code"], name=o["name"], aliases=tuple(o.get("aliases", ())), email=tuple(o.get("email", ())),
            cc=tuple(o.get("cc", ())), weight=float(o["weight"]), style=o["style"], register=float(o["register"]),
        )
        for o in raw["opd"]
    )
    places, vendors = raw["places"], raw["vendors"]
    return Reference(
        opds=opds,
        unknown_opd=raw["unknown_opd"]["name"],
        unknown_opd_number=raw["unknown_opd"]["number"],
        kecamatan={kec: tuple(kels) for kec, kels in raw["kecamatan"].items()},
        streets=tuple(places["streets"]),
        lorong=tuple(places["lorong"]),
        rivers=tuple(places["rivers"]),
        parks=tuple(places["parks"]),
        markets=tuple(places["markets"]),
        puskesmas=tuple(places["puskesmas"]),
        vendor_first=tuple(vendors["first"]),
        vendor_second=tuple(vendors["second"]),
        vendor_third=tuple(vendors["third"]),
        vendor_special=tuple(vendors["special"]),
    )
