"""Words and number formats for the emails, in Bahasa Indonesia (default) and English.

Money and dates follow Indonesian conventions in both languages ("Rp1.250.000", "24 September 2026"):
Babel's ``en_ID`` locale writes them the same way as ``id_ID``. A missing message key is an error, never
a silently empty sentence (tests check that both catalogs carry the same keys). The rules' own names
and advice are the rules' (:class:`checks.base.Rule`: ``names``, ``advice``), in both languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal, get_currency_symbol, get_group_symbol, get_minus_sign_symbol

from checks import REGISTRY
from monitor.regulation.wording import END_UNKNOWN

LOCALES = {"id": "id_ID", "en": "en_ID"}

MESSAGES: dict[str, dict[str, str]] = {
    "id": {
        "app": "Pantau",
        "digest.heading": "Ringkasan temuan kepatuhan Jakon",
        "digest.intro": "Ringkasan temuan Pantau per {date} untuk {recipient}.",
        "bpkad.heading": "Ringkasan temuan kepatuhan Jakon se-Kota Jambi",
        "bpkad.intro": (
            "Ringkasan untuk BPKAD per {date}: semua SP2D untuk kontrak tanpa kepesertaan Jakon, "
            "semua temuan kritis dan tinggi, serta jumlah per OPD."
        ),
        "role.opd": "penerima OPD {opd}",
        "role.cc": "tembusan OPD {opd}",
        "role.fallback": "penerima cadangan (OPD tanpa alamat)",
        "role.route": "penerima aturan {pattern}",
        "role.bpkad": "BPKAD",
        "role.escalation": "penerima eskalasi",
        "roles.lead": "Anda menerima ringkasan ini sebagai",
        "fallback.notice": "Catatan: temuan OPD berikut dikirim ke alamat cadangan karena",
        "fallback.unknown": "OPD tidak ada di direktori",
        "fallback.no_address": "OPD tidak memiliki alamat email",
        "fallback.none": "temuan tidak terkait OPD mana pun",
        "fallback.fix": "Lengkapi direktori OPD (opd_file) agar temuan berikutnya sampai ke OPD yang benar.",
        "totals.heading": "Ringkasan",
        "totals.active": "Temuan yang perlu ditindaklanjuti",
        "totals.amount": "Nilai berisiko",
        "totals.new": "Baru",
        "totals.reopened": "Muncul lagi",
        "totals.rose": "Tingkat naik",
        "totals.reminder": "Pengingat",
        "totals.escalated": "Eskalasi",
        "totals.resolved": "Selesai",
        "opd_totals.heading": "Jumlah temuan terbuka per OPD",
        "opd_totals.opd": "OPD",
        "opd_totals.open": "Terbuka",
        "opd_totals.urgent": "Kritis/Tinggi",
        "opd_totals.payments": "SP2D tanpa Jakon",
        "opd_totals.amount": "Nilai berisiko",
        "opd_totals.total": "Jumlah",
        "opd_totals.none": "(tanpa OPD)",
        "reason.new": "BARU",
        "reason.reopened": "MUNCUL LAGI",
        "reason.rose": "TINGKAT NAIK",
        "reason.reminder": "PENGINGAT",
        "reason.escalated": "ESKALASI",
        "reason.resolved": "SELESAI",
        "rose.from": "naik dari {severity}",
        "severity.critical": "kritis",
        "severity.high": "tinggi",
        "severity.medium": "sedang",
        "severity.low": "rendah",
        "severity.info": "info",
        "section.count": "{count} temuan",
        "section.more": "... dan {count} temuan lain; lihat: {command}",
        "section.more_attached": "... dan {count} temuan lain; daftar lengkapnya ada di lampiran {attachment}.",
        "attachment.notice": "Daftar lengkap semua temuan terbuka {scope} terlampir: {attachment}.",
        "attachment.scope_opd": "OPD {opds}",
        "attachment.scope_city": "se-Kota Jambi",
        "attachment.scope_digest": "dalam ringkasan ini",
        "attachment.too_big": (
            "Daftar lengkap temuan terbuka ({size} MB) melebihi batas lampiran {limit} MB dan tidak dilampirkan; "
            "laporan monev berikutnya memuat semuanya."
        ),
        "monev.subject": "Laporan monev kepatuhan Jakon per {date}",
        "monev.body": (
            "Terlampir laporan monitoring dan evaluasi kepatuhan Jaminan Sosial Ketenagakerjaan Jasa Konstruksi "
            "per {date}: {files}. Sheet \"Tindak lanjut\" pada berkas XLSX adalah lembar kerja rapat."
        ),
        "monev.none": (
            "Laporan monev kepatuhan Jakon per {date} sudah dibuat, tetapi berkasnya ({size} MB) melebihi batas "
            "lampiran {limit} MB dan tidak dilampirkan. Semua berkas tersimpan di {where}."
        ),
        "monev.heavy": (
            "Berkas PDF dan XLSX ({size} MB) melebihi batas lampiran {limit} MB; hanya HTML yang dilampirkan. "
            "Semua berkas tersimpan di {where}."
        ),
        "section.resolved": "Sudah selesai sejak ringkasan terakhir",
        "item.id": "ID temuan",
        "item.opd": "OPD",
        "item.subject": "Subjek",
        "item.severity": "Tingkat",
        "item.open_since": "Terbuka sejak",
        "item.days_open": "{days} hari",
        "item.resolved_at": "Selesai pada",
        "item.resolved_reason": "Keterangan",
        "item.escalated_to": "Dieskalasikan ke",
        "item.escalation_note": "terbuka {days} hari, melewati batas {limit} hari untuk tingkat {severity}",
        "item.what_to_do": "Yang harus dilakukan",
        "detail.nomor_kontrak": "Nomor kontrak",
        "detail.nama_paket": "Paket",
        "detail.penyedia": "Penyedia",
        "detail.nilai_kontrak": "Nilai kontrak",
        "detail.tanggal_kontrak": "Tanggal kontrak",
        "detail.deadline": "Batas pendaftaran",
        "detail.days_overdue": "Terlambat",
        "detail.required": "Iuran wajib",
        "detail.paid": "Iuran dibayar",
        "detail.shortfall": "Kekurangan iuran",
        "detail.due_now": "Harus dibayar sekarang",
        "detail.days_late": "Terlambat mendaftar",
        "detail.gap_days": "Celah perlindungan",
        "detail.regulasi": "Dasar hukum",
        "detail.nomor_registrasi": "Nomor registrasi BPJS",
        "detail.tanggal_daftar": "Tanggal daftar",
        "detail.masa_akhir": "Akhir kepesertaan",
        "detail.tanggal_selesai": "Akhir kontrak",
        "detail.tanggal_selesai.unknown": END_UNKNOWN,
        "detail.nomor_sp2d": "Nomor SP2D",
        "detail.tanggal_sp2d": "Tanggal SP2D",
        "detail.nilai_sp2d": "Nilai SP2D",
        "detail.nomor": "Nomor perjanjian",
        "detail.judul": "Perjanjian",
        "detail.tanggal_berakhir": "Berakhir",
        "detail.days_left": "Sisa waktu",
        "detail.days.value": "{days} hari",
        "detail.kode_kegiatan": "Kode kegiatan",
        "detail.nama_kegiatan": "Kegiatan",
        "detail.kelurahan": "Kelurahan",
        "detail.minimum_payment": "Minimal dibayar saat daftar",
        "detail.uraian": "Uraian SP2D",
        "detail.nama_proyek": "Nama proyek di BPJS",
        "detail.nomor_kontrak_bpjs": "Nomor kontrak di BPJS",
        "detail.pihak": "Pihak",
        "detail.days_since_end": "Lewat sejak berakhir",
        "detail.kecamatan": "Kecamatan",
        "detail.nilai_kegiatan": "Nilai kegiatan",
        "detail.tanggal_mulai": "Tanggal mulai",
        "detail.nomor_sk_rt": "Nomor SK RT",
        "detail.tanggal_sk_rt": "Tanggal SK RT",
        "detail.jumlah_peserta": "Jumlah peserta",
        "detail.rt": "RT",
        "amount_at_risk": "Nilai berisiko",
        "footer.ack": (
            "Sudah ditangani? Tandai temuan agar tidak diingatkan lagi sampai ada perubahan:"
        ),
        "footer.ack_command": "pantau ack {id} --note \"keterangan tindak lanjut\"",
        "footer.link": "Daftar lengkap temuan",
        "footer.opd_link": (
            "Halaman OPD {opd}: semua temuannya, akui temuan, usulkan nomor registrasi Jakon "
            "(tautan pribadi untuk {recipient}, berlaku sampai {until}; jangan diteruskan)"
        ),
        "footer.why": (
            "Email ini dikirim otomatis oleh Pantau, pemantau kepatuhan Jakon Pemerintah Kota Jambi. "
            "Anda hanya menerima satu ringkasan per siklus, dan hanya bila ada yang baru, jatuh tempo "
            "pengingat, atau selesai."
        ),
        "subject.new": "{count} baru",
        "subject.reopened": "{count} muncul lagi",
        "subject.rose": "{count} naik tingkat",
        "subject.reminder": "{count} pengingat",
        "subject.escalated": "{count} eskalasi",
        "subject.resolved": "{count} selesai",
        "subject.digest": "Temuan Jakon",
        "subject.bpkad": "Temuan Jakon se-kota",
        "advice.default": "Periksa temuan ini dan tindak lanjuti sesuai ketentuan.",
    },
    "en": {
        "app": "Pantau",
        "digest.heading": "Jakon compliance findings",
        "digest.intro": "Pantau findings as of {date} for {recipient}.",
        "bpkad.heading": "City-wide Jakon compliance findings",
        "bpkad.intro": (
            "Digest for BPKAD as of {date}: every SP2D for a contract without Jakon registration, every "
            "critical and high finding, and totals per OPD."
        ),
        "role.opd": "recipient for OPD {opd}",
        "role.cc": "in copy for OPD {opd}",
        "role.fallback": "fallback recipient (OPDs without an address)",
        "role.route": "recipient for rules {pattern}",
        "role.bpkad": "BPKAD",
        "role.escalation": "escalation recipient",
        "roles.lead": "You receive this digest as",
        "fallback.notice": "Note: findings of these OPDs came to the fallback address because",
        "fallback.unknown": "the OPD is not in the directory",
        "fallback.no_address": "the OPD has no email address",
        "fallback.none": "the finding belongs to no OPD",
        "fallback.fix": "Complete the OPD directory (opd_file) so that future findings reach the right OPD.",
        "totals.heading": "Summary",
        "totals.active": "Findings needing action",
        "totals.amount": "Amount at risk",
        "totals.new": "New",
        "totals.reopened": "Reopened",
        "totals.rose": "Severity rose",
        "totals.reminder": "Reminders",
        "totals.escalated": "Escalated",
        "totals.resolved": "Resolved",
        "opd_totals.heading": "Open findings per OPD",
        "opd_totals.opd": "OPD",
        "opd_totals.open": "Open",
        "opd_totals.urgent": "Critical/high",
        "opd_totals.payments": "SP2D without Jakon",
        "opd_totals.amount": "Amount at risk",
        "opd_totals.total": "Total",
        "opd_totals.none": "(no OPD)",
        "reason.new": "NEW",
        "reason.reopened": "REOPENED",
        "reason.rose": "SEVERITY ROSE",
        "reason.reminder": "REMINDER",
        "reason.escalated": "ESCALATED",
        "reason.resolved": "RESOLVED",
        "rose.from": "up from {severity}",
        "severity.critical": "critical",
        "severity.high": "high",
        "severity.medium": "medium",
        "severity.low": "low",
        "severity.info": "info",
        "section.count": "{count} findings",
        "section.more": "... and {count} more; see: {command}",
        "section.more_attached": "... and {count} more; the full list is in the attachment {attachment}.",
        "attachment.notice": "The full list of open findings {scope} is attached: {attachment}.",
        "attachment.scope_opd": "of OPD {opds}",
        "attachment.scope_city": "city-wide",
        "attachment.scope_digest": "in this digest",
        "attachment.too_big": (
            "The full list of open findings ({size} MB) exceeds the {limit} MB attachment limit and is not "
            "attached; the next monev report carries all of it."
        ),
        "monev.subject": "Jakon compliance monev report as of {date}",
        "monev.body": (
            "Attached is the monitoring and evaluation report on construction workers' social security "
            "compliance as of {date}: {files}. The XLSX's \"Tindak lanjut\" sheet is the meeting's working sheet."
        ),
        "monev.none": (
            "The Jakon compliance monev report as of {date} is ready, but its files ({size} MB) exceed the "
            "{limit} MB attachment limit and are not attached. All files are stored in {where}."
        ),
        "monev.heavy": (
            "The PDF and XLSX files ({size} MB) exceed the {limit} MB attachment limit; only the HTML is attached. "
            "All files are stored in {where}."
        ),
        "section.resolved": "Resolved since the last digest",
        "item.id": "Finding ID",
        "item.opd": "OPD",
        "item.subject": "Subject",
        "item.severity": "Severity",
        "item.open_since": "Open since",
        "item.days_open": "{days} days",
        "item.resolved_at": "Resolved on",
        "item.resolved_reason": "Reason",
        "item.escalated_to": "Escalated to",
        "item.escalation_note": "open {days} days, past the {limit}-day limit for {severity}",
        "item.what_to_do": "What to do",
        "detail.nomor_kontrak": "Contract number",
        "detail.nama_paket": "Package",
        "detail.penyedia": "Vendor",
        "detail.nilai_kontrak": "Contract value",
        "detail.tanggal_kontrak": "Contract date",
        "detail.deadline": "Registration deadline",
        "detail.days_overdue": "Overdue",
        "detail.required": "Required premium",
        "detail.paid": "Premium paid",
        "detail.shortfall": "Premium shortfall",
        "detail.due_now": "Due now",
        "detail.days_late": "Registered late by",
        "detail.gap_days": "Coverage gap",
        "detail.regulasi": "Legal basis",
        "detail.nomor_registrasi": "BPJS registration number",
        "detail.tanggal_daftar": "Registered on",
        "detail.masa_akhir": "Coverage ends",
        "detail.tanggal_selesai": "Contract ends",
        "detail.tanggal_selesai.unknown": "not known yet (SPMK not imported)",
        "detail.nomor_sp2d": "SP2D number",
        "detail.tanggal_sp2d": "SP2D date",
        "detail.nilai_sp2d": "SP2D amount",
        "detail.nomor": "Agreement number",
        "detail.judul": "Agreement",
        "detail.tanggal_berakhir": "Ends",
        "detail.days_left": "Time left",
        "detail.days.value": "{days} days",
        "detail.kode_kegiatan": "Activity code",
        "detail.nama_kegiatan": "Activity",
        "detail.kelurahan": "Kelurahan",
        "detail.minimum_payment": "Minimum due on registration",
        "detail.uraian": "SP2D description",
        "detail.nama_proyek": "Project name at BPJS",
        "detail.nomor_kontrak_bpjs": "Contract number at BPJS",
        "detail.pihak": "Party",
        "detail.days_since_end": "Since it ended",
        "detail.kecamatan": "Kecamatan",
        "detail.nilai_kegiatan": "Activity value",
        "detail.tanggal_mulai": "Start date",
        "detail.nomor_sk_rt": "SK RT number",
        "detail.tanggal_sk_rt": "SK RT date",
        "detail.jumlah_peserta": "Participants",
        "detail.rt": "RT",
        "amount_at_risk": "Amount at risk",
        "footer.ack": "Already handled? Acknowledge the finding so it is not reminded until it changes:",
        "footer.ack_command": "pantau ack {id} --note \"what was done\"",
        "footer.link": "All findings",
        "footer.opd_link": (
            "Page of OPD {opd}: all its findings, acknowledge, propose a Jakon registration number "
            "(a personal link for {recipient}, valid until {until}; do not forward)"
        ),
        "footer.why": (
            "This email was sent automatically by Pantau, the Jakon compliance monitor of the Kota Jambi "
            "government. You receive at most one digest per cycle, and only when something is new, due for "
            "a reminder, or resolved."
        ),
        "subject.new": "{count} new",
        "subject.reopened": "{count} reopened",
        "subject.rose": "{count} severity rose",
        "subject.reminder": "{count} reminders",
        "subject.escalated": "{count} escalated",
        "subject.resolved": "{count} resolved",
        "subject.digest": "Jakon findings",
        "subject.bpkad": "City-wide Jakon findings",
        "advice.default": "Review this finding and act on it as the regulation requires.",
    },
}


@dataclass(frozen=True)
class Formatter:
    """Words, money and dates in one language; templates receive one of these as ``fmt``."""

    language: str
    timezone: ZoneInfo

    @property
    def locale(self) -> str:
        return LOCALES[self.language]

    def t(self, key: str, **values: object) -> str:
        """The message ``key``; a missing key raises (no silently empty sentences)."""
        text = MESSAGES[self.language][key]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in MESSAGES[self.language]

    @property
    def symbols(self) -> tuple[str, str, str]:
        """The group separator, minus sign and rupiah symbol: for a renderer that writes a whole column of
        numbers at once as :meth:`number` and :meth:`money` write one (the monev report's lampiran)."""
        return _symbols(self.locale)

    def money(self, amount: int | None) -> str:
        """Rupiah without decimals, the Indonesian way: ``Rp1.250.000``."""
        symbols = _symbols(self.locale)
        whole = amount if type(amount) is int else round(amount or 0)  # Babel rounds half to even, as round()
        return _grouped(whole, symbols, symbols[2])

    def number(self, value: int) -> str:
        if type(value) is not int:  # a float or Decimal: Babel's own pattern, decimals and all
            return format_decimal(value, locale=self.locale)
        return _grouped(value, _symbols(self.locale))

    def date(self, value: date | datetime | str | None) -> str:
        """``24 September 2026``; datetimes are shown in the configured time zone; ISO strings accepted."""
        if value is None or value == "":
            return "-"
        day: date
        if isinstance(value, str):
            try:
                day = date.fromisoformat(value[:10])
            except ValueError:
                return value  # not a date after all: show it as given
        elif isinstance(value, datetime):
            day = value.astimezone(self.timezone).date()
        else:
            day = value
        return _date(day, self.locale)

    def severity(self, severity: str) -> str:
        key = f"severity.{severity}"
        return self.t(key) if self.has(key) else severity

    def rule(self, rule: str) -> str:
        """The rule's short name in this language (from the rule itself); its id if it is not known."""
        known = REGISTRY.get(rule)
        return rule if known is None else known.names.in_language(self.language)

    def advice(self, rule: str) -> str:
        """What to do about a finding of this rule, in this language (from the rule itself)."""
        known = REGISTRY.get(rule)
        return self.t("advice.default") if known is None else known.advice.in_language(self.language)


# A report formats millions of amounts; Babel parses its pattern and looks the locale up on every call
# (about 0.1 ms each). Whole numbers in both locales (id_ID, en_ID) are "#,##0" with groups of three, so only
# Babel's symbols are needed, looked up once; a test holds the result equal to Babel's own formatting.
@cache
def _symbols(locale: str) -> tuple[str, str, str]:
    """The locale's group separator, minus sign and rupiah symbol."""
    return get_group_symbol(locale), get_minus_sign_symbol(locale), get_currency_symbol("IDR", locale)


def _grouped(value: int, symbols: tuple[str, str, str], prefix: str = "") -> str:
    text = prefix + f"{abs(value):,}".replace(",", symbols[0])
    return symbols[1] + text if value < 0 else text


# Dates repeat a lot within a digest or a report: cached.
@lru_cache(maxsize=4096)
def _date(day: date, locale: str) -> str:
    return format_date(day, format="d MMMM y", locale=locale)


def formatter(language: str, timezone: ZoneInfo) -> Formatter:
    if language not in MESSAGES:
        raise ValueError(f"unknown language {language!r}; choose one of {sorted(MESSAGES)}")
    return Formatter(language, timezone)


def catalog_keys() -> Mapping[str, set[str]]:
    return {language: set(messages) for language, messages in MESSAGES.items()}
