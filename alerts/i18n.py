"""Words and number formats for the emails, in Bahasa Indonesia (default) and English.

Money and dates follow Indonesian conventions in both languages ("Rp1.250.000", "24 September 2026"):
Babel's ``en_ID`` locale writes them the same way as ``id_ID``. A missing message key is an error, never
a silently empty sentence (tests check that both catalogs carry the same keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

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
        "rule.jakon.unregistered": "Kontrak belum terdaftar Jakon",
        "rule.jakon.late_registration": "Pendaftaran Jakon terlambat",
        "rule.jakon.premium_shortfall": "Iuran Jakon kurang bayar",
        "rule.jakon.coverage_gap": "Masa perlindungan Jakon tidak menutup masa kontrak",
        "rule.jakon.payment_unregistered": "SP2D untuk kontrak tanpa kepesertaan Jakon",
        "rule.agreement.expiring": "Perjanjian akan berakhir",
        "rule.agreement.expired": "Perjanjian sudah berakhir",
        "rule.kampung.no_sk_rt": "Kegiatan Kampung Bahagia tanpa SK RT",
        "rule.kampung.unregistered": "Kegiatan Kampung Bahagia belum terlindungi Jakon",
        "rule.data.orphan_registration": "Registrasi BPJS tanpa kontrak",
        "rule.data.ambiguous_match": "Pasangan kontrak dan registrasi meragukan",
        "advice.default": "Periksa temuan ini dan tindak lanjuti sesuai ketentuan.",
        "advice.jakon.unregistered": (
            "Minta penyedia segera mendaftarkan proyek ke BPJS Ketenagakerjaan (program Jakon: JKK dan JKM) "
            "dan membayar iuran, paling sedikit 50% saat mendaftar; simpan bukti kepesertaan di berkas kontrak."
        ),
        "advice.jakon.late_registration": (
            "Pendaftaran sudah ada tetapi melewati batas 14 hari kerja setelah SPK: pastikan iuran lunas "
            "dan ingatkan PPK agar kontrak berikutnya didaftarkan tepat waktu."
        ),
        "advice.jakon.premium_shortfall": (
            "Minta penyedia melunasi kekurangan iuran (nilai berisiko) ke BPJS Ketenagakerjaan: 50% saat "
            "mendaftar, 100% sebelum masa pelaksanaan berakhir."
        ),
        "advice.jakon.coverage_gap": (
            "Laporkan adendum atau perpanjangan waktu ke BPJS Ketenagakerjaan agar masa kepesertaan "
            "diperpanjang dan iuran dihitung ulang."
        ),
        "advice.jakon.payment_unregistered": (
            "SP2D sudah terbit untuk kontrak yang belum terdaftar Jakon: tahan pembayaran berikutnya sampai "
            "ada bukti kepesertaan, dan konfirmasi ke PPK serta BPJS Ketenagakerjaan Cabang Jambi."
        ),
        "advice.agreement.expiring": (
            "Siapkan perpanjangan perjanjian sebelum tanggal berakhir, lalu catat status diperpanjang "
            "atau nomor penggantinya."
        ),
        "advice.agreement.expired": (
            "Perjanjian berakhir tanpa perpanjangan tercatat: perpanjang segera, atau catat nomor "
            "penggantinya bila sudah diperpanjang."
        ),
        "advice.kampung.no_sk_rt": (
            "Minta Ketua RT menerbitkan SK yang memuat nama warga peserta sebelum kegiatan dimulai "
            "(Perwal 18/2025); tanpa SK, kepesertaan tidak dapat diproses."
        ),
        "advice.kampung.unregistered": (
            "Daftarkan kegiatan ke BPJS Ketenagakerjaan (iuran Jakon 0,24% dari nilai kegiatan) dan lunasi "
            "kekurangannya."
        ),
        "advice.data.orphan_registration": (
            "Periksa nomor kontrak pada pendaftaran BPJS; bila ini kontrak APBD, hubungkan dengan "
            "`pantau match confirm`."
        ),
        "advice.data.ambiguous_match": (
            "Tentukan pasangan yang benar dengan `pantau match confirm` atau `pantau match reject`."
        ),
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
        "rule.jakon.unregistered": "Contract not registered for Jakon",
        "rule.jakon.late_registration": "Late Jakon registration",
        "rule.jakon.premium_shortfall": "Jakon premium underpaid",
        "rule.jakon.coverage_gap": "Jakon coverage does not span the contract",
        "rule.jakon.payment_unregistered": "SP2D for a contract without Jakon registration",
        "rule.agreement.expiring": "Agreement ending soon",
        "rule.agreement.expired": "Agreement expired",
        "rule.kampung.no_sk_rt": "Kampung Bahagia activity without SK RT",
        "rule.kampung.unregistered": "Kampung Bahagia activity not covered by Jakon",
        "rule.data.orphan_registration": "BPJS registration without a contract",
        "rule.data.ambiguous_match": "Ambiguous contract and registration match",
        "advice.default": "Review this finding and act on it as the regulation requires.",
        "advice.jakon.unregistered": (
            "Ask the vendor to register the project with BPJS Ketenagakerjaan (Jakon: JKK and JKM) now and "
            "pay the premium, at least 50% on registration; keep the proof in the contract file."
        ),
        "advice.jakon.late_registration": (
            "Registered, but after the 14-working-day deadline from the SPK: make sure the premium is paid "
            "and remind the PPK to register the next contracts on time."
        ),
        "advice.jakon.premium_shortfall": (
            "Ask the vendor to pay the missing premium (the amount at risk) to BPJS Ketenagakerjaan: 50% on "
            "registration, 100% before the implementation period ends."
        ),
        "advice.jakon.coverage_gap": (
            "Report the amendment or extension to BPJS Ketenagakerjaan so the coverage period is extended "
            "and the premium recalculated."
        ),
        "advice.jakon.payment_unregistered": (
            "An SP2D was issued for a contract without Jakon registration: hold further payments until there "
            "is proof of registration, and confirm with the PPK and BPJS Ketenagakerjaan Cabang Jambi."
        ),
        "advice.agreement.expiring": (
            "Prepare the renewal before the end date, then record it (status diperpanjang or the new number)."
        ),
        "advice.agreement.expired": (
            "The agreement ended with no renewal recorded: renew it now, or record the replacing number if it "
            "was renewed."
        ),
        "advice.kampung.no_sk_rt": (
            "Ask the RT head to issue the SK naming the participating residents before the work starts "
            "(Perwal 18/2025); without it their cover cannot be processed."
        ),
        "advice.kampung.unregistered": (
            "Register the activity with BPJS Ketenagakerjaan (Jakon premium 0.24% of its value) and pay what "
            "is missing."
        ),
        "advice.data.orphan_registration": (
            "Check the contract number on the BPJS registration; if it is an APBD contract, link it with "
            "`pantau match confirm`."
        ),
        "advice.data.ambiguous_match": (
            "Decide the right pair with `pantau match confirm` or `pantau match reject`."
        ),
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

    def money(self, amount: int | None) -> str:
        """Rupiah without decimals, the Indonesian way: ``Rp1.250.000``."""
        return _money(amount or 0, self.locale)

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)

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
        key = f"rule.{rule}"
        return self.t(key) if self.has(key) else rule

    def advice(self, rule: str) -> str:
        key = f"advice.{rule}"
        return self.t(key if self.has(key) else "advice.default")


# A digest formats thousands of amounts and dates; Babel parses its patterns on every call, so the
# results are cached (amounts and dates repeat a lot within a cycle).
@lru_cache(maxsize=65536)
def _money(amount: int, locale: str) -> str:
    return format_currency(amount, "IDR", format="¤#,##0", currency_digits=False, locale=locale)


@lru_cache(maxsize=4096)
def _date(day: date, locale: str) -> str:
    return format_date(day, format="d MMMM y", locale=locale)


def formatter(language: str, timezone: ZoneInfo) -> Formatter:
    if language not in MESSAGES:
        raise ValueError(f"unknown language {language!r}; choose one of {sorted(MESSAGES)}")
    return Formatter(language, timezone)


def catalog_keys() -> Mapping[str, set[str]]:
    return {language: set(messages) for language, messages in MESSAGES.items()}
