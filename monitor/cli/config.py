"""``pantau config check``: is the configuration usable, and where does this installation keep its
things? The systemd unit runs it before every start, so whatever would fail later (a rule's option,
a schedule, the holiday file, the SMTP password) fails here, with exit code 2 and the key's name."""

from __future__ import annotations

import os
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from monitor import db
from monitor.cli.common import DEFAULT_CONFIG, CliContext, pass_cli
from monitor.settings import Settings, SettingsError

# What each path setting holds, as the report names it.
PLACES = {
    "opd_file": "Direktori OPD",
    "calendar.holidays_file": "Hari libur",
    "database.url": "Basis data",
    "alerts.outbox_dir": "Outbox",
    "scheduler.inbox_dir": "Inbox",
    "smtp.ca_file": "CA server SMTP",
}
# Where Pantau writes: these must be writable by whoever runs it.
WRITTEN = ("database.url", "alerts.outbox_dir", "scheduler.inbox_dir")


@click.group("config")
def config_group() -> None:
    """Periksa konfigurasi."""


@config_group.command("check")
@pass_cli
def config_check(obj: CliContext) -> None:
    """Validasi konfigurasi dan pengaturan dari environment (PANTAU_*), lalu sebutkan di mana basis
    data, outbox dan inbox berada."""
    settings = obj.settings
    preflight(settings)
    for line in report(settings):
        click.echo(line)
    for warning in warnings(settings, Path.cwd()):
        click.echo(f"PERINGATAN: {warning}", err=True)


def preflight(settings: Settings) -> None:
    """What the configuration must satisfy before any work starts, checked now rather than when a
    job first needs it: the rules' options, the schedules, the holiday calendar and the e-mail
    transport (for SMTP: TLS settings and the password). Raises :class:`SettingsError`."""
    import checks
    from alerts.transports import make_transport
    from monitor.daemon.scheduler import scheduled_jobs
    from monitor.regulation.workdays import WorkingCalendar

    checks.rule_config(settings)
    scheduled_jobs(settings)
    WorkingCalendar.from_settings(settings.calendar)
    try:
        make_transport(settings)
    except ValueError as exc:  # e.g. [smtp] tls and starttls both set
        raise SettingsError(f"{settings.source}: {exc}") from exc


def report(settings: Settings) -> list[str]:
    """The lines ``config check`` prints: the file, then where each thing is, as absolute paths."""
    if settings.source == "<defaults>":
        head = f"Tidak ada berkas konfigurasi ({DEFAULT_CONFIG}): pengaturan bawaan dipakai, dan sah."
    else:
        source = Path(settings.source)
        head = f"Konfigurasi {settings.folder / source.name if settings.folder else source} sah."
    lines = [head]
    opd = f"{len(settings.opd)} OPD"
    lines.append(_line("Direktori OPD", f"{opd}, dari {settings.opd_file}" if settings.opd_file else opd))
    lines.append(_line("Basis data", _database(settings.database.url)))
    if settings.alerts.transport == "file":
        outbox = f"email ditulis sebagai berkas .eml ke {settings.alerts.outbox_dir}"
    else:
        smtp = settings.smtp
        security = "TLS" if smtp.tls else "STARTTLS" if smtp.starttls else "tanpa TLS"
        login = f", login {smtp.username}" if smtp.username else ", tanpa login"
        outbox = f"antrean di basis data; email dikirim lewat SMTP {smtp.host}:{smtp.port} ({security}{login})"
    lines.append(_line("Outbox", outbox))
    inbox = f"{settings.scheduler.inbox_dir} (berkas yang ditaruh di sini diimpor oleh `pantau run`)"
    lines.append(_line("Inbox", inbox))
    if settings.calendar.holidays_file is not None:
        lines.append(_line("Hari libur", str(settings.calendar.holidays_file)))
    return lines


def warnings(settings: Settings, cwd: Path) -> list[str]:
    """A relative path that leads out of both the config file's folder and the working folder (the
    installation: an operator looks for its database there and backs it up), and a place Pantau
    writes that this user cannot write."""
    found = []
    folder = settings.folder or cwd
    for key in PLACES:
        written, path = settings.relative_paths.get(key), _path_of(settings, key)
        if written is None or path is None or _inside(path, folder) or _inside(path, cwd):
            continue
        found.append(
            f"{PLACES[key]}: {key} = {written!r} menunjuk ke {path}, di luar folder instalasi ({folder}); "
            "jalur relatif dihitung dari folder berkas konfigurasi"
        )
    for key in WRITTEN:
        path = _path_of(settings, key)
        if path is None or (key == "alerts.outbox_dir" and settings.alerts.transport != "file"):
            continue
        # The folder is created on first use: what matters is the nearest one that exists.
        existing = _nearest_existing(path.parent if key == "database.url" else path)
        if not os.access(existing, os.W_OK):
            found.append(f"{PLACES[key]}: {existing} tidak dapat ditulis oleh pengguna ini ({key})")
    return found


def _line(label: str, text: str) -> str:
    return f"  {label + ':':<15}{text}"


def _database(url: str) -> str:
    path = _sqlite_file(url)
    if path is not None:
        return f"SQLite, berkas {path}"
    if db.is_in_memory(url):
        return "SQLite di memori (hilang saat proses berakhir)"
    parsed = make_url(db.normalize_url(url))
    return f"{parsed.get_backend_name()} {parsed.render_as_string(hide_password=True)}"


def _sqlite_file(url: str) -> Path | None:
    if not url.startswith("sqlite:///") or db.is_in_memory(url):
        return None
    return Path(url.removeprefix("sqlite:///"))


def _path_of(settings: Settings, key: str) -> Path | None:
    return {
        "opd_file": settings.opd_file,
        "calendar.holidays_file": settings.calendar.holidays_file,
        "database.url": _sqlite_file(settings.database.url),
        "alerts.outbox_dir": settings.alerts.outbox_dir,
        "scheduler.inbox_dir": settings.scheduler.inbox_dir,
        "smtp.ca_file": settings.smtp.ca_file,
    }[key]


def _inside(path: Path, folder: Path) -> bool:
    return Path(os.path.normpath(path)).is_relative_to(os.path.normpath(folder))


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def register(group: click.Group) -> None:
    group.add_command(config_group)
