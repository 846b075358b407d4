"""Web accounts: ``pantau user add|passwd|disable`` and the login check.

Passwords are hashed with Argon2id (argon2-cffi's defaults, rehashed when they change). A login is
refused without looking at the password once the account, or the address it comes from, has
``[web] login_max_failures`` failures within ``login_window_minutes``: guessing stays slow even when
the guesser spreads over accounts or addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from monitor.access.roles import ROLES, Principal
from monitor.models import LoginFailure, WebUser
from monitor.settings import Settings

MIN_PASSWORD_LENGTH = 10
_HASHER = PasswordHasher()
# Verified when the account does not exist, so an unknown name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("pantau: no such account")


class AccountError(Exception):
    """A refused account change or login; the message is for the user (Bahasa Indonesia)."""


@dataclass(frozen=True, slots=True)
class LoginRefused(Exception):
    message: str
    throttled: bool = False

    def __str__(self) -> str:
        return self.message


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"kata sandi terlalu pendek: minimal {MIN_PASSWORD_LENGTH} karakter")


def _opd_code(settings: Settings, role: str, opd: str | None) -> str | None:
    if role not in ROLES:
        raise AccountError(f"peran {role!r} tidak dikenal; pilih {', '.join(ROLES)}")
    if role != "opd":
        if opd:
            raise AccountError("hanya akun berperan opd yang terikat pada satu OPD (--opd)")
        return None
    if not opd:
        raise AccountError("akun berperan opd harus menyebut OPD-nya (--opd KODE)")
    wanted = opd.strip().casefold()
    for entry in settings.opd:
        if wanted in {label.casefold().strip() for label in (entry.code, entry.name, *entry.aliases)}:
            return entry.code
    raise AccountError(f"OPD {opd!r} tidak ada di direktori OPD")


def _user(session: Session, name: str) -> WebUser:
    user = session.scalars(select(WebUser).where(WebUser.name == name.strip())).one_or_none()
    if user is None:
        raise AccountError(f"akun {name!r} tidak ada")
    return user


def add_user(session: Session, settings: Settings, name: str, role: str, password: str, *, opd: str | None,
             now: datetime) -> WebUser:
    name = name.strip()
    if not name or not name.isprintable() or " " in name:
        raise AccountError("nama akun tidak boleh kosong atau berisi spasi")
    code = _opd_code(settings, role, opd)
    _check_password(password)
    if session.scalars(select(WebUser.id).where(WebUser.name == name)).first() is not None:
        raise AccountError(f"akun {name!r} sudah ada")
    user = WebUser(name=name, role=role, opd=code, password_hash=_HASHER.hash(password), password_changed_at=now,
                   disabled=False, created_at=now)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, name: str, password: str, *, now: datetime) -> None:
    """A new password; it also ends every session of the account (they carry the old change time)."""
    _check_password(password)
    user = _user(session, name)
    user.password_hash = _HASHER.hash(password)
    user.password_changed_at = now
    user.disabled = False


def disable_user(session: Session, name: str) -> None:
    _user(session, name).disabled = True


def session_version(user: WebUser) -> str:
    """What a session cookie keeps of the account: a new password or a disabling makes it stale."""
    return user.password_changed_at.isoformat()


def principal_of(session: Session, user_id: int, version: str) -> Principal | None:
    """The account a session cookie names, if it still opens: enabled and the same password."""
    user = session.get(WebUser, user_id)
    if user is None or user.disabled or session_version(user) != version:
        return None
    return Principal("user", user.name, user.role, user.opd)


def _recent_failures(session: Session, column: InstrumentedAttribute[str], value: str, since: datetime) -> int:
    return int(session.execute(
        select(func.count()).select_from(LoginFailure).where(column == value, LoginFailure.at >= since)
    ).scalar_one())


def authenticate(session: Session, settings: Settings, name: str, password: str, *, address: str,
                 now: datetime) -> WebUser:
    """The account, when ``name`` and ``password`` open it; :class:`LoginRefused` otherwise (in the
    caller's transaction, which must be committed so the failure is counted)."""
    name = name.strip()[:100]
    address = address[:64]
    since = now - timedelta(minutes=settings.web.login_window_minutes)
    limit = settings.web.login_max_failures
    if (_recent_failures(session, LoginFailure.account, name, since) >= limit
            or _recent_failures(session, LoginFailure.address, address, since) >= limit):
        minutes = f"{settings.web.login_window_minutes:g}"
        raise LoginRefused(f"Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {minutes} menit.",
                           throttled=True)
    user = session.scalars(select(WebUser).where(WebUser.name == name)).one_or_none()
    try:
        _HASHER.verify(user.password_hash if user is not None else _DUMMY_HASH, password)
        ok = user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        session.add(LoginFailure(account=name, address=address, at=now))
        raise LoginRefused("Nama akun atau kata sandi salah.")
    if user.disabled:
        raise LoginRefused("Akun ini dinonaktifkan. Hubungi administrator Pantau.")
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    session.execute(delete(LoginFailure).where(LoginFailure.account == name))
    return user
