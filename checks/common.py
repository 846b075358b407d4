"""What several rules share: their options, the contract scope, the regulations they cite, and the
fields of the records their findings carry.

Money and dates are formatted by :mod:`monitor.regulation.wording` (cheap on purpose: rules format
only the findings they yield, but a bad year can yield hundreds of thousands of them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any

from checks.base import CheckContext, Rule
from monitor.records import CANCELLED, SEVERITIES, ContractState, KampungState, RegistrationState
from monitor.regulation.wording import END_UNKNOWN, tanggal

# --- the regulations the findings cite ----------------------------------------------------------

REG_DEADLINE = (
    "Permenaker 44/2015 jo. Permenaker 5/2021: proyek jasa konstruksi wajib didaftarkan ke BPJS "
    "Ketenagakerjaan (JKK dan JKM) paling lambat 14 hari kerja setelah SPK diterbitkan; "
    "PP 44/2015 jo. PP 82/2019 Pasal 53"
)
REG_PREMIUM = (
    "Iuran Jakon dibayar lunas atau bertahap: minimal 50% saat pendaftaran dan lunas sebelum masa "
    "pelaksanaan berakhir (BPJS Ketenagakerjaan); tarif berjenjang PP 44/2015 jo. PP 82/2019"
)
REG_AMENDMENT = (
    "Adendum yang mengubah nilai atau masa pelaksanaan wajib dilaporkan ke BPJS Ketenagakerjaan agar "
    "iuran dan masa perlindungan dihitung ulang (PP 44/2015 jo. PP 82/2019; Permenaker 5/2021)"
)
REG_APBD = (
    "Inpres 2/2021 dan Surat Mendagri 400.5.7/765/Keuda (21 Februari 2025): proyek konstruksi APBD "
    "wajib terlindungi BPJS Ketenagakerjaan"
)
REG_KAMPUNG = (
    "Perwal Kota Jambi 18/2025 (Kampung Bahagia): peserta dilindungi Jakon dengan iuran 0,24% dari "
    "nilai kegiatan, berdasarkan SK Ketua RT yang memuat nama peserta; Perwal Kota Jambi 36/2025"
)

# What each finding's details cite: the regulation's name only. The text above is the rule's
# ``rationale`` (shown with the rule); repeated in every finding it would be most of each row's size.
CITE_DEADLINE = "Permenaker 44/2015 jo. Permenaker 5/2021; PP 44/2015 jo. PP 82/2019 Pasal 53"
CITE_PREMIUM = "PP 44/2015 jo. PP 82/2019 (iuran Jakon)"
CITE_AMENDMENT = "PP 44/2015 jo. PP 82/2019; Permenaker 5/2021 (adendum)"
CITE_APBD = "Inpres 2/2021; Surat Mendagri 400.5.7/765/Keuda"
CITE_KAMPUNG = "Perwal Kota Jambi 18/2025; Perwal Kota Jambi 36/2025"

# --- options -------------------------------------------------------------------------------------

# Which contracts the Jakon rules look at. The obligation covers planning, execution and supervision
# works alike (PP 44/2015 art. 53), so consultancy (perencanaan/pengawasan) contracts are in scope too.
SCOPE_DEFAULTS: Mapping[str, Any] = {
    "jenis_pekerjaan": ("konstruksi", "konsultansi"),
    "sumber_dana": ("APBD",),
}


class OptionError(ValueError):
    """A rule option has a value the rule cannot use; ``key`` names the option."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


def options(ctx: CheckContext, rule: type[Rule] | Rule) -> dict[str, Any]:
    """The rule's effective options: its defaults overlaid with what the context carries (the engine
    passes the full effective configuration; a hand-built context may pass only a part)."""
    return {**rule.default_config, **ctx.config(rule.id)}


class ContractScope:
    """Is a contract one the Jakon rules watch? ``jenis_pekerjaan`` is matched exactly (ignoring
    case); ``sumber_dana`` by prefix, so "APBD Perubahan" and "APBD-P" count as APBD. Answers are
    memoized per (jenis, sumber) pair: a million contracts carry a handful of distinct pairs."""

    __slots__ = ("_memo", "jenis", "sumber")

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.jenis = frozenset(str(j).casefold() for j in config["jenis_pekerjaan"])
        self.sumber = tuple(str(s).casefold() for s in config["sumber_dana"])
        self._memo: dict[tuple[str, str], bool] = {}

    def __call__(self, contract: ContractState) -> bool:
        key = (contract.jenis_pekerjaan, contract.sumber_dana)
        answer = self._memo.get(key)
        if answer is None:
            answer = self._memo[key] = (
                key[0].casefold() in self.jenis and key[1].casefold().startswith(self.sumber)
            )
        return answer


def check_severity(key: str, value: Any) -> None:
    if value not in SEVERITIES:
        raise OptionError(key, f"{value!r} is not a severity ({', '.join(SEVERITIES)})")


def check_non_negative(config: Mapping[str, Any], *keys: str) -> None:
    for key in keys:
        if config[key] < 0:
            raise OptionError(key, "must not be negative")


# --- registrations -------------------------------------------------------------------------------


def registered_by(registration: RegistrationState | None, day: date) -> bool:
    """Was the contract protected on ``day``: a registration that is not ``batal``, made by then."""
    return registration is not None and registration.valid and registration.tanggal_daftar <= day


def linked_contracts(
    ctx: CheckContext, in_scope: Callable[[ContractState], bool] | None = None
) -> Iterator[tuple[ContractState, RegistrationState]]:
    """Each contract (in scope, when a scope is given) with its linked registration, where that
    registration counts as of the check (not ``batal``, made by then)."""
    as_of = ctx.as_of
    for contract, registration in ctx.contracts_with_registrations():
        # registered_by(), written out: this runs for every contract, in three rules.
        if registration is None or registration.status == CANCELLED or registration.tanggal_daftar > as_of:
            continue
        if in_scope is None or in_scope(contract):
            yield contract, registration


def active_registration(ctx: CheckContext, contract: ContractState) -> RegistrationState | None:
    """The contract's linked registration if it counts as of the check (not ``batal``, made by then)."""
    registration = ctx.registration_for(contract)
    return registration if registered_by(registration, ctx.as_of) else None


# --- wording -------------------------------------------------------------------------------------


def end_of_works(contract: ContractState) -> str:
    """The contract's end of works as a message says it, or that it is not known yet."""
    return END_UNKNOWN if contract.tanggal_selesai is None else tanggal(contract.tanggal_selesai)


def before_end(contract: ContractState) -> str:
    """"sebelum <the end of works>", the end said not known yet where it is not."""
    if contract.tanggal_selesai is None:
        return f"sebelum pekerjaan selesai (tanggal selesai {END_UNKNOWN})"
    return f"sebelum {tanggal(contract.tanggal_selesai)}"


def has_ended(contract: ContractState, as_of: date) -> bool:
    """The works ended before ``as_of``; an end not known yet has not (as far as anyone can tell)."""
    return contract.tanggal_selesai is not None and as_of > contract.tanggal_selesai


def iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def contract_details(contract: ContractState) -> dict[str, Any]:
    """The contract's fields every contract finding carries (JSON-ready)."""
    return {
        "opd": contract.opd,
        "nomor_kontrak": contract.nomor_kontrak,
        "kode_paket": contract.kode_paket,
        "nama_paket": contract.nama_paket,
        "penyedia": contract.penyedia,
        "npwp_penyedia": contract.npwp_penyedia,
        "jenis_pekerjaan": contract.jenis_pekerjaan,
        "sumber_dana": contract.sumber_dana,
        "nilai_awal": contract.nilai_awal,
        "nilai_kontrak": contract.nilai,
        "tanggal_kontrak": iso(contract.tanggal_kontrak),
        "tanggal_mulai": iso(contract.tanggal_mulai),
        "tanggal_selesai_awal": iso(contract.tanggal_selesai_awal),
        "tanggal_selesai": iso(contract.tanggal_selesai),
        "adendum": contract.adendum,
    }


def registration_details(registration: RegistrationState) -> dict[str, Any]:
    """The registration's fields a finding about it carries (JSON-ready)."""
    return {
        "nomor_registrasi": registration.nomor_registrasi,
        "npp": registration.npp,
        "status_registrasi": registration.status,
        "tanggal_daftar": iso(registration.tanggal_daftar),
        "masa_awal": iso(registration.masa_awal),
        "masa_akhir": iso(registration.masa_akhir),
        "nilai_terdaftar": registration.nilai_kontrak_terdaftar,
        "iuran_dibayar": registration.iuran_dibayar,
    }


def link_details(ctx: CheckContext, contract: ContractState) -> dict[str, Any]:
    """How the matcher linked the contract to its registration, for a reader who doubts it."""
    link = ctx.link_by_contract.get(contract.id)
    if link is None:
        return {}
    return {"link_method": link.method, "link_score": link.score}


def kampung_details(activity: KampungState) -> dict[str, Any]:
    """A Kampung Bahagia activity's fields (JSON-ready)."""
    return {
        "kode_kegiatan": activity.kode_kegiatan,
        "nama_kegiatan": activity.nama_kegiatan,
        "kecamatan": activity.kecamatan,
        "kelurahan": activity.kelurahan,
        "rt": activity.rt,
        "nilai_kegiatan": activity.nilai_kegiatan,
        "tanggal_mulai": iso(activity.tanggal_mulai),
        "tanggal_selesai": iso(activity.tanggal_selesai),
        "nomor_sk_rt": activity.nomor_sk_rt,
        "tanggal_sk_rt": iso(activity.tanggal_sk_rt),
        "jumlah_peserta": activity.jumlah_peserta,
        "regulasi": CITE_KAMPUNG,
    }


def place(activity: KampungState) -> str:
    """``RT 05 Kelurahan Kenali Asam Bawah``."""
    return f"RT {activity.rt} Kelurahan {activity.kelurahan}"
