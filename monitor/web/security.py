"""Who is asking, and the guards every page and form goes through.

- The session is Starlette's signed cookie (itsdangerous; HttpOnly, SameSite=Lax, Secure when
  ``[web] base_url`` is https). It holds the account id and its password version, or the OPD link
  itself — re-checked on every request, so a disabled account, a new password or a revoked or expired
  link closes the door at once — and the CSRF token.
- Every POST goes through :func:`checked_form`: a form without the session's token is refused.
- Every response carries the security headers (:class:`SecurityHeaders`): a CSP without any script,
  no framing, no referrer (an OPD link must not leak to another site).
- A refusal is :class:`Refused`; the application turns it into a page that says why, never data.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.access import accounts, links
from monitor.access.roles import Principal
from monitor.bootstrap import App

SESSION_COOKIE = "pantau_sesi"
CSRF_FIELD = "csrf"
_PRINCIPAL = "pantau.principal"  # where a request keeps who it is, once resolved
HEADERS = (
    (b"content-security-policy",
     b"default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
     b"base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
)


class Refused(Exception):
    """A request answered with a page saying why (403 by default), never with data."""

    def __init__(self, reason: str, status: int = 403, title: str = "Akses ditolak") -> None:
        super().__init__(reason)
        self.reason, self.status, self.title = reason, status, title


class LoginNeeded(Exception):
    """No one is logged in: the page sends the browser to the login form."""


class SecurityHeaders:
    """Adds :data:`HEADERS` to every response of the wrapped application (pure ASGI: streams stay streams)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in HEADERS if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


def web_app(request: Request) -> App:
    app: App = request.app.state.pantau
    return app


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use); every form carries it."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


async def checked_form(request: Request) -> FormData:
    """The POSTed form, once its CSRF token matches the session's; :class:`Refused` otherwise."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(CSRF_FIELD)
    if not isinstance(sent, str) or not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise Refused("Formulir ini tidak membawa token keamanan (CSRF) yang sah. Muat ulang halaman lalu coba "
                      "lagi; tidak ada yang diubah.")
    return form


def _resolve(app: App, session: dict[str, Any]) -> Principal | None:
    with app.sessions() as db:
        if isinstance(session.get("link"), str):
            return links.read_token(db, app.settings, session["link"], datetime.now(UTC)).principal
        uid, version = session.get("uid"), session.get("ver")
        if isinstance(uid, int) and isinstance(version, str):
            return accounts.principal_of(db, uid, version)
    return None


async def current(request: Request) -> Principal | None:
    """Who is asking (None: no one logged in). A link that no longer opens is a :class:`Refused`
    saying why, and the session forgets it."""
    if _PRINCIPAL in request.scope:
        cached: Principal | None = request.scope[_PRINCIPAL]
        return cached
    try:
        principal = await run_in_threadpool(_resolve, web_app(request), dict(request.session))
    except links.LinkRefused as exc:
        request.session.pop("link", None)
        raise Refused(str(exc)) from exc
    if principal is None and ("uid" in request.session):
        request.session.pop("uid", None)  # disabled, or the password changed: log in again
    request.scope[_PRINCIPAL] = principal
    return principal


async def required(request: Request) -> Principal:
    principal = await current(request)
    if principal is None:
        raise LoginNeeded()
    return principal


STAFF_ONLY = ("Tindakan ini hanya untuk petugas BPKAD, sekretariat monev atau BPJS; akses Anda ({actor}) terbatas "
              "pada OPD {opd}. Tidak ada yang diubah.")


async def staff(request: Request, why: str = STAFF_ONLY) -> Principal:
    """Staff only (BPKAD, monev, BPJS, admin): reviewing, silencing, imports, reports. ``why`` is the
    refusal's reason, with ``{actor}`` and ``{opd}`` filled in."""
    principal = await required(request)
    if not principal.is_staff:
        raise Refused(why.format(actor=principal.actor, opd=principal.opd))
    return principal


async def viewer_of(request: Request, opd: str | None) -> Principal:
    principal = await required(request)
    if not principal.can_view(opd):
        raise Refused(f"Anda ({principal.actor}) hanya dapat melihat data OPD {principal.opd}, bukan "
                      f"{opd or 'temuan tanpa OPD'}.")
    return principal


async def actor_for(request: Request, opd: str | None,
                    what: str = "Mengakui temuan dan mengusulkan nomor registrasi") -> Principal:
    """The OPD's own people: acknowledge, propose, write the follow-up note (``what``, for the refusal)."""
    principal = await required(request)
    if not principal.can_act_for(opd):
        if principal.can_view(opd):
            raise Refused(f"{what} dilakukan oleh OPD yang bersangkutan (akun OPD atau tautan OPD dari e-mail "
                          "ringkasan). Tidak ada yang diubah.")
        raise Refused(f"Anda ({principal.actor}) tidak dapat bertindak untuk OPD {opd}. Tidak ada yang diubah.")
    return principal
