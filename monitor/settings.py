"""Settings: one TOML file plus ``PANTAU_<SECTION>_<KEY>`` environment overrides.

Parsed once, typed, and strict: an unknown key, a wrong type or a missing file is a
:class:`SettingsError` naming the key and the file (in Indonesian, like every message operators
read), so a typo in a deployment never silently falls back to a default.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.settings_errors import UNKNOWN_KEY, describe_error

ENV_PREFIX = "PANTAU_"
# Environment variables under the prefix that are not settings overrides.
_ENV_NOT_SETTINGS = {"PANTAU_SMTP_PASSWORD", "PANTAU_SMTP_PASSWORD_FILE", "PANTAU_CONFIG"}
_ENV_IGNORED_PREFIXES = ("PANTAU_TEST_",)


class SettingsError(Exception):
    """The configuration is unusable; the message names the key and the file."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = "sqlite:///var/pantau.db"
    echo: bool = False


class Opd(_Section):
    """One city agency (Organisasi Perangkat Daerah) in the directory."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()
    email: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    # SPSE's kd_satker_str codes of the agency's satker (``1.03.0.00.0.00.01.0000``).
    satker_codes: tuple[str, ...] = ()


class IngestSettings(_Section):
    # Extra header spellings per kind and canonical column, e.g.
    # [ingest.aliases.contracts] nomor_kontrak = ["No. SPK"].
    aliases: dict[str, dict[str, tuple[str, ...]]] = Field(default_factory=dict)
    chunk_rows: int = Field(default=20_000, ge=100)
    # The largest rupiah amount a cell may hold (Rp 1.000 triliun); at most Rp 100.000 triliun, so that
    # the premium's arithmetic in SQL stays inside 64-bit integers.
    max_rupiah: int = Field(default=1_000_000_000_000_000, ge=1, le=100_000_000_000_000_000)
    # The longest text a cell may hold, in every format (CSV and XLSX alike).
    max_text_chars: int = Field(default=10_000, ge=1, le=1_000_000)


# SPSE's jenis_pengadaan (any case) -> jenis_pekerjaan; a value missing here is out of Jakon's scope.
JenisPekerjaan = Literal["konstruksi", "konsultansi"]
DEFAULT_JENIS_PENGADAAN: dict[str, JenisPekerjaan] = {
    "pekerjaan konstruksi": "konstruksi",
    "jasa konsultansi konstruksi": "konsultansi",
    "jasa konsultansi badan usaha konstruksi": "konsultansi",
    "jasa konsultansi perorangan konstruksi": "konsultansi",
}
# Words in nama_paket when the source does not say the procurement type (the contract dataset alone).
# Out-of-scope words are tried first: "Pengadaan Komputer" must not pass as construction.
DEFAULT_OUT_KEYWORDS = (
    "alat tulis", "atk", "komputer", "laptop", "printer", "makan minum", "makanan", "konsumsi", "cetak",
    "percetakan", "seragam", "obat", "bahan medis", "sewa kendaraan", "langganan", "jasa kebersihan",
    "cleaning service", "tenaga keamanan", "asuransi", "kendaraan dinas", "mebel", "meubelair",
)
DEFAULT_KONSULTANSI_KEYWORDS = (
    "perencanaan", "pengawasan", "konsultan", "konsultansi", "supervisi", "ded ", "detail engineering",
    "studi kelayakan", "manajemen konstruksi",
)
DEFAULT_KONSTRUKSI_KEYWORDS = (
    "pembangunan", "rehabilitasi", "rehab ", "renovasi", "peningkatan jalan", "pemeliharaan jalan",
    "pemeliharaan gedung", "pemeliharaan berkala", "pengaspalan", "betonisasi", "drainase", "saluran",
    "jembatan", "normalisasi", "turap", "talud", "konstruksi", "gedung", "jalan lingkungan", "box culvert",
)


class ScopeSettings(_Section):
    """Which contracts Jakon covers: construction works and construction consultancy (``[scope]``).

    Contracts out of scope are imported and kept but never checked, unless ``include_out_of_scope``
    (every contract is checked) or a per-contract override (``pantau contracts scope``) puts them back."""

    include_out_of_scope: bool = False
    jenis_pengadaan: dict[str, JenisPekerjaan] = Field(
        default_factory=lambda: dict(DEFAULT_JENIS_PENGADAAN))
    out_keywords: tuple[str, ...] = DEFAULT_OUT_KEYWORDS
    konsultansi_keywords: tuple[str, ...] = DEFAULT_KONSULTANSI_KEYWORDS
    konstruksi_keywords: tuple[str, ...] = DEFAULT_KONSTRUKSI_KEYWORDS


class CalendarSettings(_Section):
    """Working days: weekends, the ``holidays`` package's ID public + government days, and edits."""

    # Decrees the package does not know yet (one-off national holidays, new cuti bersama).
    extra_holidays: tuple[date, ...] = ()
    # Dates the package lists that were not, in the end, days off.
    removed_holidays: tuple[date, ...] = ()
    # A TOML file with the same two keys, maintained separately from the main config.
    holidays_file: Path | None = None


class DeadlineSettings(_Section):
    """Registration deadline: Permenaker 44/2015 (and BPJS under 5/2021) — 14 working days after the SPK."""

    working_days: int = Field(default=14, ge=0, le=120)
    start_field: Literal["tanggal_kontrak", "tanggal_mulai"] = "tanggal_kontrak"


class RuleSettings(_Section):
    model_config = ConfigDict(extra="allow", frozen=True)

    enabled: bool = True
    severity: Literal["critical", "high", "medium", "low", "info"] | None = None


class AlertSettings(_Section):
    transport: Literal["smtp", "file"] = "file"
    outbox_dir: Path = Path("var/outbox")
    bpkad: tuple[str, ...] = ()
    fallback: tuple[str, ...] = ()
    language: Literal["id", "en"] = "id"
    # rule-glob -> recipients, e.g. {"agreement.*" = ["kerjasama@jambikota.go.id"]}
    routes: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    escalation: tuple[str, ...] = ()
    escalate_after_days: dict[str, int] = Field(
        default_factory=lambda: {"critical": 7, "high": 14}
    )
    repeat_days: dict[str, int] = Field(
        default_factory=lambda: {"critical": 1, "high": 3, "medium": 7, "low": 14, "info": 30}
    )
    max_attempts: int = Field(default=8, ge=1)
    backoff_seconds: float = Field(default=60.0, gt=0)
    backoff_max_seconds: float = Field(default=6 * 3600.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _base_url_moved(cls, data: Any) -> Any:
        if isinstance(data, dict) and "base_url" in data:
            raise ValueError("base_url sudah pindah ke [web] base_url (alamat dalam tautan e-mail ringkasan)")
        return data


class SmtpSettings(_Section):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    tls: bool = False
    username: str = ""
    timeout: float = Field(default=30.0, gt=0)
    sender: str = Field(default="pantau@localhost", alias="from")
    # PEM bundle of the CA(s) that sign the server's certificate, for a private CA; the system's
    # trust store otherwise.
    ca_file: Path | None = None


class HttpSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535)
    ready_max_check_age_hours: float = Field(default=26.0, gt=0)


# The shortest signing key accepted: 32 characters (e.g. ``head -c 32 /dev/urandom | base64``).
MIN_SECRET_KEY_LENGTH = 32


class WebSettings(_Section):
    """The web interface (monitor.web), served by the daemon next to /metrics."""

    enabled: bool = False
    # The address people reach (behind the proxy): the digests' links start with it. Empty: no links.
    base_url: str = ""
    # The key that signs session cookies and OPD links; it lives in a file, never in the TOML.
    secret_key_file: Path | None = None
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    link_days: int = Field(default=30, ge=1, le=365)
    # Addresses of reverse proxies whose X-Forwarded-For / -Proto are believed; none by default.
    trusted_proxies: tuple[str, ...] = ()
    # Failed logins within ``login_window_minutes`` before that account or address must wait.
    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: float = Field(default=15.0, gt=0)
    page_size: int = Field(default=50, ge=5, le=1000)
    # The Impor page refuses an uploaded file larger than this (megabytes), importing nothing.
    upload_max_mb: float = Field(default=50.0, gt=0, le=10_000)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("harus diawali http:// atau https://")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if item != "*":
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"{item!r} bukan alamat IP atau jaringan (mis. \"127.0.0.1\", "
                                     f"\"10.0.0.0/8\", atau \"*\")") from None
        return value

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


class JobSchedule(_Section):
    enabled: bool = True
    cron: str | None = None
    interval: str | None = None

    @model_validator(mode="after")
    def _one_trigger(self) -> JobSchedule:
        if self.enabled and (self.cron is None) == (self.interval is None):
            raise ValueError("isi tepat satu dari 'cron' atau 'interval'")
        return self


class SchedulerSettings(_Section):
    model_config = ConfigDict(extra="allow", frozen=True)

    inbox_dir: Path = Path("var/inbox")
    # How often a daemon that is not the leader (PostgreSQL advisory lock) tries to become it.
    leader_retry_seconds: float = Field(default=10.0, gt=0)
    # On SIGTERM the running job gets this long to finish before it is abandoned (rolled back).
    shutdown_grace_seconds: float = Field(default=20.0, gt=0, le=28)


class Signatory(_Section):
    """One signature block of the monev report (jabatan, name, NIP)."""

    jabatan: str
    nama: str = ""
    nip: str = ""


class ReportSettings(_Section):
    """The monev report: its kop, nomor, signatures, paper and where it goes; and the follow-up's
    default batas waktu."""

    instansi: tuple[str, ...] = ("PEMERINTAH KOTA JAMBI", "DINAS TENAGA KERJA DAN PERINDUSTRIAN")
    alamat: str = "Jl. Jenderal Basuki Rahmat No. 1, Paal Lima, Kota Baru, Jambi 36129"
    # A PNG/JPEG/SVG logo for the kop; "" (the default) for none.
    logo: Path | None = None
    # The report's number: {year} and {month} (roman, as letters are numbered) are filled in; the
    # agenda number is often left blank for the secretariat to write.
    nomor: str = "560/____/DISNAKER/{month}/{year}"
    tempat: str = "Jambi"
    penandatangan: tuple[Signatory, ...] = (
        Signatory(jabatan="Kepala Dinas Tenaga Kerja dan Perindustrian Kota Jambi"),
        Signatory(jabatan="Kepala BPJS Ketenagakerjaan Cabang Jambi"),
    )
    paper: Literal["A4", "F4"] = "A4"
    # Lists in the PDF stop after this many rows, with a sentence saying how many more the XLSX has.
    pdf_max_rows: int = Field(default=100, ge=10)
    output_dir: Path = Path("var/reports")
    recipients: tuple[str, ...] = ()
    # A monev e-mail heavier than this carries the HTML only and says where the rest is.
    max_attachment_mb: float = Field(default=10.0, gt=0)
    # Batas waktu of a finding's follow-up: this many days after it opened, per rule id, else the default.
    followup_default_days: int = Field(default=30, ge=1, le=3650)
    followup_days: dict[str, int] = Field(default_factory=dict)

    @field_validator("logo", mode="before")
    @classmethod
    def _no_logo(cls, value: Any) -> Any:
        return None if value == "" else value

    def followup_days_for(self, rule_id: str) -> int:
        return self.followup_days.get(rule_id, self.followup_default_days)


class LoggingSettings(_Section):
    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Settings(_Section):
    """The whole configuration. Relative paths are resolved against the config file's folder."""

    timezone: str = "Asia/Jakarta"
    opd_file: Path | None = None
    database: DatabaseSettings = DatabaseSettings()
    opd: tuple[Opd, ...] = ()
    ingest: IngestSettings = IngestSettings()
    scope: ScopeSettings = ScopeSettings()
    calendar: CalendarSettings = CalendarSettings()
    deadline: DeadlineSettings = DeadlineSettings()
    rules: dict[str, RuleSettings] = Field(default_factory=dict)
    alerts: AlertSettings = AlertSettings()
    smtp: SmtpSettings = SmtpSettings()
    http: HttpSettings = HttpSettings()
    web: WebSettings = WebSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    logging: LoggingSettings = LoggingSettings()
    report: ReportSettings = ReportSettings()
    # Where the settings came from, for messages; not a key of the file.
    source: str = Field(default="<defaults>", exclude=True)
    # The folder relative paths were resolved against (the config file's), and the path settings
    # written relative (key -> as written): `config check` warns when one leads out of that folder.
    folder: Path | None = Field(default=None, exclude=True)
    relative_paths: dict[str, str] = Field(default_factory=dict, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"zona waktu {value!r} tidak dikenal") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def smtp_password(self, environ: Mapping[str, str] | None = None) -> str:
        """The SMTP password: only from the environment, or a file the environment names.

        Without ``[smtp] username`` there is no login, hence no password (""). With one, a password
        that is missing, empty or unreadable is a :class:`SettingsError` naming the variable: an
        empty password is never sent to the server."""
        env = os.environ if environ is None else environ
        username = self.smtp.username
        if not username:
            return ""
        if "PANTAU_SMTP_PASSWORD" in env:
            origin, password = "PANTAU_SMTP_PASSWORD", env["PANTAU_SMTP_PASSWORD"]
        elif "PANTAU_SMTP_PASSWORD_FILE" in env:
            path = Path(env["PANTAU_SMTP_PASSWORD_FILE"])
            origin = f"PANTAU_SMTP_PASSWORD_FILE ({path})"
            try:
                password = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                raise SettingsError(
                    f"environment: PANTAU_SMTP_PASSWORD_FILE: berkas kata sandi SMTP {path} tidak dapat dibaca "
                    f"({reason}); smtp.username {username!r} memerlukannya"
                ) from exc
        else:
            raise SettingsError(
                f"{self.source}: smtp.username: {username!r} diisi tetapi tidak ada kata sandi; "
                "isi PANTAU_SMTP_PASSWORD atau PANTAU_SMTP_PASSWORD_FILE (berkas berisi kata sandi)"
            )
        if not password:
            raise SettingsError(
                f"environment: {origin}: kata sandi SMTP kosong, padahal smtp.username {username!r} diisi"
            )
        return password

    def web_secret_key(self) -> bytes:
        """The signing key of the web interface, read from ``[web] secret_key_file`` when asked (so it
        never sits in the settings object, nor in its repr or the logs)."""
        path = self.web.secret_key_file
        if path is None:
            raise SettingsError(f"{self.source}: web.secret_key_file: wajib diisi bila antarmuka web aktif")
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise SettingsError(
                f"{self.source}: web.secret_key_file: {path} tidak dapat dibaca: {exc.strerror}") from exc
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise SettingsError(
                f"{self.source}: web.secret_key_file: kunci dalam {path} terlalu pendek "
                f"({len(key)} karakter; paling sedikit {MIN_SECRET_KEY_LENGTH})"
            )
        return key

    def job(self, name: str, default: JobSchedule) -> JobSchedule:
        """The schedule for job ``name`` from ``[scheduler.<name>]``, or ``default``."""
        extra = self.scheduler.model_extra or {}
        raw = extra.get(name)
        if raw is None:
            return default
        if isinstance(raw, JobSchedule):
            return raw
        try:
            return JobSchedule.model_validate(raw)
        except ValidationError as exc:
            raise SettingsError(_describe(exc, self.source, prefix=f"scheduler.{name}")) from exc

    def rule(self, rule_id: str) -> RuleSettings:
        return self.rules.get(rule_id, RuleSettings())


def _describe(
    exc: ValidationError, source: str, prefix: str = "", from_env: Mapping[str, str] | None = None
) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if prefix:
            key = f"{prefix}.{key}" if key else prefix
        env_name = (from_env or {}).get(key)
        where = f"environment {env_name}" if env_name else source
        lines.append(f"{where}: {key}: {describe_error(err)}")
    return "\n".join(lines)


def _coerce_env(value: str) -> Any:
    """Environment values are strings; let TOML read lists, numbers and booleans."""
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value


def _apply_environment(data: dict[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """Overlay ``PANTAU_<SECTION>_<KEY>`` variables; returns which key came from which variable."""
    origin: dict[str, str] = {}
    top_level = set(Settings.model_fields) - {"source"}
    sections = {
        name for name, field in Settings.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    }
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or name in _ENV_NOT_SETTINGS:
            continue
        if name.startswith(_ENV_IGNORED_PREFIXES):
            continue
        rest = name[len(ENV_PREFIX):].lower()
        if rest in top_level and rest not in sections:
            data[rest] = _coerce_env(raw)
            origin[rest] = name
            continue
        section, _, key = rest.partition("_")
        if section not in sections or not key:
            raise SettingsError(f"environment: {name}: tidak ada pengaturan seperti ini")
        target = data.setdefault(section, {})
        if not isinstance(target, dict):
            raise SettingsError(f"environment: {name}: [{section}] bukan tabel")
        target[key] = raw if key in {"url", "host", "username", "from"} else _coerce_env(raw)
        origin[f"{section}.{key}"] = name
    return origin


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    relative: dict[str, str] = {}

    def fix(key: str, path: Path | None) -> Path | None:
        if path is None or path.is_absolute():
            return path
        relative[key] = str(path)
        return Path(os.path.normpath(base / path))

    calendar = settings.calendar.model_copy(
        update={"holidays_file": fix("calendar.holidays_file", settings.calendar.holidays_file)})
    alerts = settings.alerts.model_copy(update={"outbox_dir": fix("alerts.outbox_dir", settings.alerts.outbox_dir)})
    scheduler = settings.scheduler.model_copy(
        update={"inbox_dir": fix("scheduler.inbox_dir", settings.scheduler.inbox_dir)})
    smtp = settings.smtp.model_copy(update={"ca_file": fix("smtp.ca_file", settings.smtp.ca_file)})
    web = settings.web.model_copy(update={"secret_key_file": fix("web.secret_key_file", settings.web.secret_key_file)})
    report = settings.report.model_copy(update={"output_dir": fix("report.output_dir", settings.report.output_dir),
                                                "logo": fix("report.logo", settings.report.logo)})
    url = settings.database.url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        relative["database.url"] = url
        url = "sqlite:///" + os.path.normpath(base / url[len("sqlite:///"):])
    database = settings.database.model_copy(update={"url": url})
    return settings.model_copy(
        update={"calendar": calendar, "alerts": alerts, "scheduler": scheduler, "database": database, "smtp": smtp,
                "opd_file": fix("opd_file", settings.opd_file), "folder": base, "relative_paths": relative,
                "web": web, "report": report}
    )


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise SettingsError(f"{what}: berkas tidak ditemukan: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: bukan TOML yang sah: {exc}") from exc
    except OSError as exc:
        raise SettingsError(f"{what}: {path} tidak dapat dibaca: {exc.strerror or exc}") from exc


def load_settings(
    path: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    required: bool = False,
) -> Settings:
    """Read settings from ``path`` (TOML) and the environment.

    With ``required`` false a missing default file means built-in defaults; a file the
    user named explicitly must exist.
    """
    env = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    source = "<defaults>"
    base = Path.cwd()
    if path is not None:
        file = Path(path)
        if file.exists() or required:
            data = _read_toml(file, "--config")
            source = str(file)
            base = file.resolve().parent
    from_env = _apply_environment(data, env)
    opd_file = data.get("opd_file")
    if opd_file is not None:
        if not isinstance(opd_file, str):
            raise SettingsError(f"{source}: opd_file: harus berupa jalur berkas")
        opd_path = Path(opd_file) if Path(opd_file).is_absolute() else base / opd_file
        extra = _read_toml(opd_path, f"{source}: opd_file")
        unknown = set(extra) - {"opd"}
        if unknown:
            raise SettingsError(f"{opd_path}: {sorted(unknown)[0]}: {UNKNOWN_KEY}")
        data["opd"] = list(data.get("opd", [])) + list(extra.get("opd", []))
    try:
        settings = Settings.model_validate({**data, "source": source})
    except ValidationError as exc:
        raise SettingsError(_describe(exc, source, from_env=from_env)) from exc
    settings = _resolve_paths(settings, base)
    ca_file = settings.smtp.ca_file
    if ca_file is not None and not ca_file.is_file():
        raise SettingsError(f"{source}: smtp.ca_file: berkas {ca_file} tidak ada")
    _check_opd_directory(settings)
    if settings.web.enabled:
        settings.web_secret_key()  # a missing or short key fails here, naming the key, not at the first page
    return settings


def _check_opd_directory(settings: Settings) -> None:
    seen: dict[str, str] = {}
    for opd in settings.opd:
        for label in (opd.code, opd.name, *opd.aliases):
            key = label.casefold().strip()
            owner = seen.get(key)
            if owner is not None and owner != opd.code:
                raise SettingsError(
                    f"{settings.source}: opd: {label!r} menunjuk ke dua OPD, {owner} dan {opd.code}"
                )
            seen[key] = opd.code
    codes: dict[str, str] = {}
    for opd in settings.opd:
        for code in opd.satker_codes:
            owner = codes.setdefault(code.strip(), opd.code)
            if owner != opd.code:
                raise SettingsError(f"{settings.source}: opd: satker code {code!r} names both {owner} and {opd.code}")
