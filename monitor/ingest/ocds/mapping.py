"""One OCDS release -> the contracts it tells of, or why it cannot be mapped.

- the buyer (``buyer``, else the party with role ``buyer`` or ``procuringEntity``) -> the OPD, by its
  identifier (``[[opd]] satker_codes``) or its name (names and aliases of the directory);
- ``tender.mainProcurementCategory``: ``works`` -> konstruksi; consultancy (``consultingServices`` in
  ``additionalProcurementCategories``, or the classifier saying konsultansi) -> konsultansi; other
  categories out of scope; no category: the keyword classifier guesses from the title;
- ``contracts[]`` -> contracts (``id`` is the contract number; ``dateSigned``; ``value`` in IDR;
  ``period``); the award's ``suppliers`` -> the vendor, its NPWP from the supplier party's
  ``identifier`` or ``additionalIdentifiers`` with scheme ``ID-NPWP``; an award with several
  suppliers went to a consortium: the first is the vendor (its lead), all of them its members;
- ``contracts[].amendments`` -> addenda (a compiled release's value and period are already the amended
  ones); ``contracts[].implementation.transactions`` -> SP2D payments.

Amounts in another currency are refused, never converted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from monitor.ingest.contracts import ContractFacts, SourceAddendum, SourcePayment
from monitor.ingest.scope import Scope, ScopeClassifier
from monitor.ingest.spse.assemble import SatkerDirectory
from monitor.ingest.spse.values import parse_date, parse_npwp
from monitor.ingest.values import BadValue

NPWP_SCHEME = "ID-NPWP"


class Unmappable(Exception):
    """The release cannot be mapped: ``where`` is the JSON path under the release, ``why`` Indonesian."""

    def __init__(self, where: str, why: str) -> None:
        super().__init__(why)
        self.where = where
        self.why = why


class AwaitingBuyer(Unmappable):
    """No release of the process named its buyer yet: the OPD is not known. A publisher splitting the
    stages may send the contract release before the one naming the buyer; the releases wait."""


@dataclass(frozen=True)
class Mapped:
    ocid: str
    release_id: str
    contracts: list[ContractFacts]


def _get(value: Any, key: str) -> Any:
    # ijson and json give plain dicts; an ABC check here would cost more than the mapping itself.
    return value.get(key) if type(value) is dict else None


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def _day(value: Any, where: str, required: bool = False) -> date | None:
    try:
        text = parse_date(value)
    except BadValue as exc:
        raise Unmappable(where, str(exc)) from None
    if text is None:
        if required:
            raise Unmappable(where, "kosong; wajib diisi")
        return None
    return date.fromisoformat(text)


def _sen(value: Any, where: str) -> int | None:
    """``{"amount": ..., "currency": "IDR"}`` -> sen; another currency is refused."""
    if value is None:
        return None
    amount, currency = _get(value, "amount"), _get(value, "currency")
    if amount is None:
        return None
    if currency not in (None, "IDR"):
        raise Unmappable(f"{where}.currency", f"mata uang '{currency}' bukan IDR; nilai tidak dikonversi")
    try:
        sen = Decimal(str(amount)) * 100
    except InvalidOperation:
        raise Unmappable(f"{where}.amount", f"'{amount}' bukan angka") from None
    if sen < 0 or sen != sen.to_integral_value():
        raise Unmappable(f"{where}.amount", f"'{amount}' bukan nilai rupiah yang sah")
    return int(sen)


def _party(parties: Sequence[Any], party_id: Any) -> Mapping[str, Any]:
    for party in parties:
        if _get(party, "id") == party_id and party_id is not None:
            return party
    return {}


def _buyer(release: Mapping[str, Any], parties: Sequence[Any]) -> Mapping[str, Any]:
    buyer = _get(release, "buyer")
    if isinstance(buyer, Mapping):
        return {**_party(parties, _get(buyer, "id")), **buyer}
    for role in ("buyer", "procuringEntity"):
        for party in parties:
            if role in _list(_get(party, "roles")):
                return party
    return {}


def _npwp(party: Mapping[str, Any], where: str) -> str | None:
    for identifier in (_get(party, "identifier"), *_list(_get(party, "additionalIdentifiers"))):
        if _get(identifier, "scheme") == NPWP_SCHEME and _get(identifier, "id"):
            try:
                return parse_npwp(str(_get(identifier, "id")))
            except BadValue as exc:
                raise Unmappable(f"{where}.identifier.id", str(exc)) from None
    return None


def _members(suppliers: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """The names of an award's suppliers where there are several (a consortium), else ``()``."""
    names = tuple(dict.fromkeys(name for s in suppliers if (name := " ".join(str(_get(s, "name") or "").split()))))
    return names if len(names) > 1 else ()


class ReleaseMapper:
    def __init__(self, satker: SatkerDirectory, scope: ScopeClassifier) -> None:
        self._satker = satker
        self._scope = scope
        # The buyer the last :meth:`map` resolved (the OPD, whether the directory knows it), if it got so far.
        self.last_buyer: tuple[str, bool] | None = None

    def scope(self, tender: Any, title: str) -> Scope:
        main = _get(tender, "mainProcurementCategory")
        extra = set(_list(_get(tender, "additionalProcurementCategories")))
        guessed = self._scope.by_name(title)
        if main == "works":
            return Scope(True, "konstruksi", "tender.mainProcurementCategory 'works'", False)
        if "consultingServices" in extra and guessed.in_scope:
            return Scope(True, "konsultansi", "additionalProcurementCategories 'consultingServices'", False)
        if main is None:
            return guessed
        if guessed.in_scope and guessed.jenis_pekerjaan == "konsultansi":
            return Scope(True, "konsultansi", f"{guessed.reason} (mainProcurementCategory '{main}')", True)
        return Scope(False, "konstruksi", f"tender.mainProcurementCategory '{main}' bukan konstruksi", False)

    def map(self, release: Any, line: int) -> Mapped:
        """The release's contracts; raises :class:`Unmappable` naming the path under the release."""
        if not isinstance(release, Mapping):
            raise Unmappable("", "bukan objek release OCDS")
        self.last_buyer = None
        ocid, release_id = _get(release, "ocid"), _get(release, "id")
        if not ocid:
            raise Unmappable(".ocid", "ocid kosong")
        parties = _list(_get(release, "parties"))
        buyer = _buyer(release, parties)
        if not buyer:
            raise AwaitingBuyer(".buyer", "pembeli (buyer / party dengan peran buyer atau procuringEntity) tidak ada")
        opd, known = self.last_buyer = self._satker.resolve(
            str(_get(_get(buyer, "identifier"), "id") or "") or None, _get(buyer, "name"))
        tender = _get(release, "tender") or {}
        awards = _list(_get(release, "awards"))
        found: list[ContractFacts] = []
        for index, contract in enumerate(_list(_get(release, "contracts"))):
            found.append(self._contract(release, str(ocid), contract, f".contracts[{index}]", opd, known, tender,
                                        awards, parties, line))
        return Mapped(str(ocid), str(release_id or ""), found)

    def _contract(self, release: Mapping[str, Any], ocid: str, contract: Any, where: str, opd: str, known: bool,
                  tender: Any, awards: Sequence[Any], parties: Sequence[Any], line: int) -> ContractFacts:
        number = _get(contract, "id")
        if number is None or not str(number).strip():
            raise Unmappable(f"{where}.id", "id kontrak kosong")
        number = " ".join(str(number).split())
        if len(number) > 200:
            raise Unmappable(f"{where}.id", f"terlalu panjang ({len(number)} karakter; paling banyak 200)")
        award = next((a for a in awards if _get(a, "id") == _get(contract, "awardID")), awards[0] if awards else {})
        award_index = awards.index(award) if award in awards else 0
        suppliers = _list(_get(award, "suppliers"))
        named = [{**_party(parties, _get(s, "id")), **s} for s in suppliers if type(s) is dict]
        supplier = named[0] if named else {}
        title = str(_get(contract, "title") or _get(tender, "title") or number)
        decided = self.scope(tender, title)
        period = _get(contract, "period") or {}
        end = _day(_get(period, "endDate"), f"{where}.period.endDate")
        sen = _sen(_get(contract, "value"), f"{where}.value")
        if sen is None:
            sen = _sen(_get(award, "value"), f".awards[{award_index}].value")
        addenda = [
            SourceAddendum(
                nomor_adendum=str(_get(amendment, "id") or f"amendment {i + 1}")[:200],
                tanggal_adendum=_day(_get(amendment, "date"), f"{where}.amendments[{i}].date", required=True),  # type: ignore[arg-type]
            )
            for i, amendment in enumerate(_list(_get(contract, "amendments")))
        ]
        payments = []
        for i, transaction in enumerate(_list(_get(_get(contract, "implementation"), "transactions"))):
            at = f"{where}.implementation.transactions[{i}]"
            value = _get(transaction, "value") or _get(transaction, "amount")
            amount = _sen(value, f"{at}.value")
            if amount is None or not _get(transaction, "id"):
                raise Unmappable(at, "transaksi tanpa id atau nilai")
            payments.append(SourcePayment(
                nomor_sp2d=f"{ocid}/{_get(transaction, 'id')}",
                tanggal_sp2d=_day(_get(transaction, "date"), f"{at}.date", required=True),  # type: ignore[arg-type]
                nilai=(amount + 50) // 100, uraian=_get(transaction, "source") and str(_get(transaction, "source")),
            ))
        return ContractFacts(
            source="ocds", source_key=f"ocds:{ocid}:{number}", opd=opd, opd_known=known, nomor_kontrak=number,
            kode_paket=str(_get(tender, "id"))[:100] if _get(tender, "id") else None,
            tanggal_kontrak=_day(_get(contract, "dateSigned"), f"{where}.dateSigned", required=True),  # type: ignore[arg-type]
            nama_paket=title, penyedia=str(_get(supplier, "name") or ""),
            npwp_penyedia=_npwp(supplier, f".parties[{_get(supplier, 'id')}]") if supplier else None,
            nilai_kontrak_sen=sen, tanggal_mulai=_day(_get(period, "startDate"), f"{where}.period.startDate"),
            tanggal_selesai=end, sumber_tanggal_selesai="ocds" if end else None,
            jenis_pekerjaan=decided.jenis_pekerjaan, in_scope=decided.in_scope, scope_reason=decided.reason,
            scope_guessed=decided.guessed, ocid=ocid[:200], addenda=addenda, payments=payments, line=line,
            anggota_kso=_members(named),
        )
