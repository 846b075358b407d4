"""Database models (SQLAlchemy 2.0, typed).

Money is an ``int`` of whole rupiah (BigInteger): exact on SQLite and PostgreSQL alike.
Dates are ``date``; times are timezone-aware UTC ``datetime``s.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out — SQLite forgets the zone otherwise."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | str) -> datetime:
    """A stored time as an aware UTC datetime. Aggregates (``max``, ``min``) of an aware column come back
    naive, or as text, from SQLite, which stores UTC; PostgreSQL's come back aware already."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's declared hook
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
    }


# --- import ---------------------------------------------------------------------------------


class ImportBatch(Base):
    """One file imported: the audit trail of where every record came from."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # Notes for the reader: unknown OPDs, the sheet read, the header line found.
    notes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Who imported it: a web user, "kotak masuk" (the inbox job); none for ``pantau ingest`` and older imports.
    actor: Mapped[str | None] = mapped_column(String(200))


class RejectedRow(Base):
    """A row that could not be imported, kept with its line and reason so nothing is lost."""

    __tablename__ = "rejected_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(500))
    line: Mapped[int] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)


# --- source records ---------------------------------------------------------------------------


class _Record:
    """Columns every imported record carries."""

    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))
    source_line: Mapped[int | None] = mapped_column(Integer)
    # sha1 of the canonical values: a re-import of an unchanged row is detected without a diff.
    row_hash: Mapped[str] = mapped_column(String(40))


class Contract(_Record, Base):
    __tablename__ = "contract"
    # By number alone: a source's contracts are matched to those of a file by number before their OPD is
    # compared (monitor.ingest.contracts.write_contracts).
    __table_args__ = (UniqueConstraint("opd", "nomor_kontrak"), Index("ix_contract_nomor_kontrak", "nomor_kontrak"))

    id: Mapped[int] = mapped_column(primary_key=True)
    opd: Mapped[str] = mapped_column(String(100))  # the directory code, or the text as given
    opd_known: Mapped[bool] = mapped_column(Boolean, default=True)
    nomor_kontrak: Mapped[str] = mapped_column(String(200))
    kode_paket: Mapped[str | None] = mapped_column(String(100))
    tanggal_kontrak: Mapped[date] = mapped_column(Date)
    nama_paket: Mapped[str] = mapped_column(Text)
    penyedia: Mapped[str] = mapped_column(String(500))
    npwp_penyedia: Mapped[str | None] = mapped_column(String(16))
    nilai_kontrak: Mapped[int] = mapped_column(BigInteger)
    tanggal_mulai: Mapped[date | None] = mapped_column(Date)
    # None while the end of works is unknown (an SPSE contract whose SPMK has not arrived): see ``complete``.
    tanggal_selesai: Mapped[date | None] = mapped_column(Date)
    sumber_dana: Mapped[str] = mapped_column(String(50), default="APBD")
    jenis_pekerjaan: Mapped[str] = mapped_column(String(20), default="konstruksi")
    tahun_anggaran: Mapped[int | None] = mapped_column(Integer)
    kecamatan: Mapped[str | None] = mapped_column(String(100))
    kelurahan: Mapped[str | None] = mapped_column(String(100))
    # Provenance and scope (migration 0006). A file of contracts (CSV/XLSX) says all of it; the SPSE and
    # OCDS importers fill these from the source. Server defaults: the CSV importer never writes them.
    # The exact value in sen (SPSE writes 1269963504.15); nilai_kontrak stays whole rupiah for the premium.
    nilai_kontrak_sen: Mapped[int | None] = mapped_column(BigInteger)
    # The end of works is known; where tanggal_selesai came from: kontrak (the file's column), spmk,
    # waktu_penyelesaian (start + duration), bapbast, ocds.
    complete: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    sumber_tanggal_selesai: Mapped[str | None] = mapped_column(String(40))
    # Jakon covers construction works and consultancy only; goods and other services are kept, never checked.
    in_scope: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    scope_reason: Mapped[str | None] = mapped_column(String(200))
    scope_guessed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A human's decision (``pantau contracts scope``): wins over the source; no import touches it.
    scope_override: Mapped[bool | None] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(10), default="csv", server_default="csv")  # csv|xlsx|spse|ocds
    kd_tender: Mapped[str | None] = mapped_column(String(40))
    kd_nontender: Mapped[str | None] = mapped_column(String(40))
    ocid: Mapped[str | None] = mapped_column(String(200))
    # The source's identity of the contract (``spse:tender:<kd_tender>:<no_kontrak>``, ``ocds:<ocid>:<id>``):
    # a later stage or release finds its contract by it even when the OPD or the number changed.
    source_key: Mapped[str | None] = mapped_column(String(400), unique=True)
    # The PPK (pejabat pembuat komitmen) where the source names one: SPSE e-Kontrak's nama_ppk and nip_ppk, or
    # the optional columns of a file of contracts (migration 0007_issue13_ppk). None: not known.
    nama_ppk: Mapped[str | None] = mapped_column(String(200))
    nip_ppk: Mapped[str | None] = mapped_column(String(30))
    # A consortium's member firms where the source names them (SPSE's anggota_kso; an OCDS award with
    # several suppliers), one name a line (migration 0011_issue18_consortium_members). None: not known,
    # the matcher reads the members from the vendor's name alone.
    anggota_kso: Mapped[str | None] = mapped_column(Text)


class ScopeDecision(Base):
    """A human's decision on one contract's scope (``pantau contracts scope``): who, when, why. The
    latest is mirrored in ``contract.scope_override``, which the check reads; these rows are its history."""

    __tablename__ = "scope_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    # True: checked (in scope); False: not checked; None: cleared (the source decides again).
    decision: Mapped[bool | None] = mapped_column(Boolean)
    before: Mapped[bool | None] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)


class SourceStage(_Record, Base):
    """One row of one stage of a procurement as a source published it (SPSE's paket, kontrak, SPMK,
    BAPBAST, nilai; OCDS's releases by ocid), kept so stages arriving in any order and in separate runs
    can be joined (compiled) again."""

    __tablename__ = "source_stage"
    __table_args__ = (
        UniqueConstraint("source", "jalur", "kode", "stage", "nomor", "versi"),
        Index("ix_source_stage_nomor", "nomor"),
        # SPSE's stages lacking a code (kode ''), found again by their contract number.
        Index("ix_source_stage_kode", "kode", "nomor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(10))  # spse|ocds
    jalur: Mapped[str] = mapped_column(String(10))  # tender|nontender (OCDS: release)
    kode: Mapped[str] = mapped_column(String(200))  # kd_tender / kd_nontender, '' when lacking; OCDS: the ocid
    stage: Mapped[str] = mapped_column(String(20))  # paket|kontrak|spmk|bapbast|nilai (OCDS: release)
    nomor: Mapped[str] = mapped_column(String(200))  # no_kontrak ('' for paket and nilai); OCDS: the release id
    versi: Mapped[int] = mapped_column(Integer)  # versi_addendum (0 for the original)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)  # canonical values, JSON


class Addendum(_Record, Base):
    __tablename__ = "addendum"
    __table_args__ = (
        UniqueConstraint("opd", "nomor_kontrak", "nomor_adendum"),
        Index("ix_addendum_contract", "opd", "nomor_kontrak"),
        # A source's addenda are looked up by their contracts' numbers (monitor.ingest.contracts.upsert).
        Index("ix_addendum_nomor_kontrak", "nomor_kontrak"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opd: Mapped[str] = mapped_column(String(100))
    opd_known: Mapped[bool] = mapped_column(Boolean, default=True)
    nomor_kontrak: Mapped[str] = mapped_column(String(200))
    nomor_adendum: Mapped[str] = mapped_column(String(200))
    tanggal_adendum: Mapped[date] = mapped_column(Date)
    nilai_kontrak_baru: Mapped[int | None] = mapped_column(BigInteger)
    tanggal_selesai_baru: Mapped[date | None] = mapped_column(Date)


class Registration(_Record, Base):
    """A BPJS Jakon project registration (kepesertaan proyek)."""

    __tablename__ = "registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomor_registrasi: Mapped[str] = mapped_column(String(100), unique=True)
    npp: Mapped[str | None] = mapped_column(String(50))
    nomor_kontrak: Mapped[str | None] = mapped_column(String(200))
    nama_proyek: Mapped[str] = mapped_column(Text)
    penyedia: Mapped[str] = mapped_column(String(500))
    npwp_penyedia: Mapped[str | None] = mapped_column(String(16))
    nilai_kontrak_terdaftar: Mapped[int] = mapped_column(BigInteger)
    iuran_dibayar: Mapped[int] = mapped_column(BigInteger)
    tanggal_daftar: Mapped[date] = mapped_column(Date)
    masa_awal: Mapped[date] = mapped_column(Date)
    masa_akhir: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="aktif")


class Payment(_Record, Base):
    """An SP2D (disbursement order) issued by BPKAD."""

    __tablename__ = "payment"
    __table_args__ = (Index("ix_payment_contract", "opd", "nomor_kontrak"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nomor_sp2d: Mapped[str] = mapped_column(String(200), unique=True)
    tanggal_sp2d: Mapped[date] = mapped_column(Date)
    nomor_kontrak: Mapped[str] = mapped_column(String(200))
    opd: Mapped[str] = mapped_column(String(100))
    opd_known: Mapped[bool] = mapped_column(Boolean, default=True)
    nilai: Mapped[int] = mapped_column(BigInteger)
    uraian: Mapped[str | None] = mapped_column(Text)


class Agreement(_Record, Base):
    """An MoU or PKS between the city and BPJS Ketenagakerjaan (or another party)."""

    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomor: Mapped[str] = mapped_column(String(200), unique=True)
    jenis: Mapped[str | None] = mapped_column(String(50))
    judul: Mapped[str] = mapped_column(Text)
    pihak: Mapped[str | None] = mapped_column(Text)
    opd: Mapped[str | None] = mapped_column(String(100))
    tanggal_mulai: Mapped[date | None] = mapped_column(Date)
    tanggal_berakhir: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="berlaku")
    nomor_pengganti: Mapped[str | None] = mapped_column(String(200))


class KampungActivity(_Record, Base):
    """A Kampung Bahagia RT activity (Perwal 18/2025)."""

    __tablename__ = "kampung_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    kode_kegiatan: Mapped[str] = mapped_column(String(100), unique=True)
    kecamatan: Mapped[str | None] = mapped_column(String(100))
    kelurahan: Mapped[str] = mapped_column(String(100))
    rt: Mapped[str] = mapped_column(String(20))
    nama_kegiatan: Mapped[str] = mapped_column(Text)
    nilai_kegiatan: Mapped[int] = mapped_column(BigInteger)
    tanggal_mulai: Mapped[date] = mapped_column(Date)
    tanggal_selesai: Mapped[date | None] = mapped_column(Date)
    nomor_sk_rt: Mapped[str | None] = mapped_column(String(200))
    tanggal_sk_rt: Mapped[date | None] = mapped_column(Date)
    jumlah_peserta: Mapped[int | None] = mapped_column(Integer)
    nomor_registrasi: Mapped[str | None] = mapped_column(String(100))


# --- matching ------------------------------------------------------------------------------------


class MatchLink(Base):
    """A contract linked to a registration by the matcher (rewritten by each check run)."""

    __tablename__ = "match_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), unique=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    method: Mapped[str] = mapped_column(String(20))  # exact|normalized|npwp|fuzzy|manual
    score: Mapped[float] = mapped_column(Float)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class MatchDecision(Base):
    """A human's decision on a link; it wins over the matcher on every re-run."""

    __tablename__ = "match_decision"
    __table_args__ = (UniqueConstraint("opd", "nomor_kontrak", "nomor_registrasi"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opd: Mapped[str] = mapped_column(String(100))
    nomor_kontrak: Mapped[str] = mapped_column(String(200))
    nomor_registrasi: Mapped[str] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(String(10))  # confirm|reject
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- findings -----------------------------------------------------------------------------------


class CheckRun(Base):
    __tablename__ = "check_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|ok|failed
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class Finding(Base):
    """A rule's finding, kept across runs by its fingerprint (rule + subject)."""

    __tablename__ = "finding"
    __table_args__ = (
        Index("ix_finding_status_rule", "status", "rule"),
        Index("ix_finding_opd", "opd"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # open|acknowledged|silenced|resolved|reopened
    opd: Mapped[str | None] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(400))
    title: Mapped[str] = mapped_column(Text)
    amount_at_risk: Mapped[int] = mapped_column(BigInteger, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # sha1 over severity, title, amount and details: a run that changes nothing writes nothing.
    content_hash: Mapped[str] = mapped_column(String(40))
    first_seen: Mapped[date] = mapped_column(Date)
    # As of the row's last write; an active finding was also seen by every successful run since:
    # read it through monitor.check.findings.last_seen_now().
    last_seen: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_reason: Mapped[str | None] = mapped_column(Text)
    ack_note: Mapped[str | None] = mapped_column(Text)
    silenced_until: Mapped[date | None] = mapped_column(Date)
    silence_id: Mapped[int | None] = mapped_column(ForeignKey("silence.id", ondelete="SET NULL"))
    last_check_run_id: Mapped[int | None] = mapped_column(ForeignKey("check_run.id", ondelete="SET NULL"))


class FindingEvent(Base):
    """One state change of a finding: the history the monev meeting can audit."""

    __tablename__ = "finding_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("finding.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    check_run_id: Mapped[int | None] = mapped_column(ForeignKey("check_run.id", ondelete="SET NULL"))


class Silence(Base):
    """Mutes findings matching rule / OPD / subject until a date."""

    __tablename__ = "silence"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str | None] = mapped_column(String(64))
    opd: Mapped[str | None] = mapped_column(String(100))
    subject: Mapped[str | None] = mapped_column(String(400))
    until: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- daemon -------------------------------------------------------------------------------------


class JobRun(Base):
    """One run of a scheduled job by the daemon: when, how it ended, and what it did."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    # schedule | catch-up | after:<job> | once
    trigger: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|ok|failed|interrupted
    error: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # host:pid of the daemon that ran it, to tell two daemons apart.
    instance: Mapped[str] = mapped_column(String(200))


# --- alerts ---------------------------------------------------------------------------------------


class OutboxMessage(Base):
    """One rendered email. It is committed before any attempt to send, so neither a crash nor a mail
    server outage loses it; a sender owns it only after a conditional UPDATE claimed it."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable across retries: receivers can drop a copy re-sent after a crash by its Message-ID.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|sent|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    finding_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)  # the server's reply, kept for dead messages
    # The whole RFC 5322 message, as it will be sent. Last: SQLite reads the columns before it without
    # walking this value's overflow pages.
    raw: Mapped[str] = mapped_column(Text)


class Notification(Base):
    """A finding told to a recipient: why, at which severity and status, in which message.
    The latest row per finding and recipient is its "last notified"."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_finding_recipient", "finding_id", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("finding.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(320))
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL"), index=True
    )
    message_id: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(String(16))  # new|reopened|rose|reminder|escalated|resolved
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    notified_at: Mapped[datetime]


# --- web ------------------------------------------------------------------------------------------


class WebUser(Base):
    """A staff or OPD account of the web interface (``pantau user add``)."""

    __tablename__ = "web_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # admin|bpkad|monev|bpjs|opd
    opd: Mapped[str | None] = mapped_column(String(100))  # the one OPD of an ``opd`` account
    password_hash: Mapped[str] = mapped_column(String(200))
    # Changes with every new password: sessions signed before it no longer open.
    password_changed_at: Mapped[datetime]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginFailure(Base):
    """A failed login, kept a while: logins are throttled per account and per address."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_account_at", "account", "at"), Index("ix_login_failure_address_at",
                                                                                   "address", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class LinkRevocation(Base):
    """``pantau link revoke --opd CODE``: every link to that OPD issued before ``revoked_at`` is void."""

    __tablename__ = "link_revocation"

    opd: Mapped[str] = mapped_column(String(100), primary_key=True)
    revoked_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))


class MatchProposal(Base):
    """An OPD's "we registered it, here is the number": queued until staff confirm or reject it."""

    __tablename__ = "match_proposal"
    __table_args__ = (Index("ix_match_proposal_status", "status", "proposed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("finding.id", ondelete="SET NULL"))
    opd: Mapped[str] = mapped_column(String(100))
    nomor_kontrak: Mapped[str] = mapped_column(String(200))
    nomor_registrasi: Mapped[str] = mapped_column(String(100))
    # What Pantau found when it was proposed: in the imported BPJS data? linked elsewhere?
    found: Mapped[bool] = mapped_column(Boolean, default=False)
    linked_elsewhere: Mapped[str | None] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|confirmed|rejected
    proposed_by: Mapped[str] = mapped_column(String(200))
    proposed_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)


# --- follow-up and the monev report -------------------------------------------------------------------


class FindingFollowup(Base):
    """What the monev meeting agreed to do about a finding (tindak lanjut). One row per finding, made on
    its first change; a finding without one is ``belum ditindaklanjuti`` with the rule's default batas
    waktu. Kept beside the finding, not in it: the check run never writes it, and a finding that
    resolves by itself keeps the follow-up the meeting recorded."""

    __tablename__ = "finding_followup"

    finding_id: Mapped[int] = mapped_column(ForeignKey("finding.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    # None: the rule's default (first_seen + [report.followup_days]), computed when read.
    due: Mapped[date | None] = mapped_column(Date)
    pic: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200))


class FollowupEvent(Base):
    """One change of a finding's follow-up: each field before and after, who, when and from where."""

    __tablename__ = "followup_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("finding.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))  # cli | xlsx:<file> | web
    # {"status": [before, after], "due": [...], ...}: only the fields that changed.
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class MonevSnapshot(Base):
    """The figures of a final (``--final``) monev report as they were shown at the meeting: the next
    report compares with these, not with figures recomputed from data re-imported since."""

    __tablename__ = "monev_snapshot"
    __table_args__ = (Index("ix_monev_snapshot_period_end", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nomor: Mapped[str | None] = mapped_column(String(200))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    as_of: Mapped[date] = mapped_column(Date)
    check_run_id: Mapped[int | None] = mapped_column(ForeignKey("check_run.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    # {"city": {...}, "opd": {code: {...}}}: every figure of the report, as plain JSON numbers.
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)
