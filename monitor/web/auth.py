"""Logging in and out, and entering through an OPD link."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from monitor.access import accounts, links
from monitor.access.roles import Principal
from monitor.db import transaction
from monitor.web.rendering import render
from monitor.web.security import Refused, checked_form, current, web_app


def home_of(principal: Principal) -> str:
    return "/kota" if principal.is_staff else f"/opd/{principal.opd}"


def _safe_next(value: object) -> str | None:
    """Only a path on this site (no ``//host`` or scheme): the login form must not redirect elsewhere."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


async def home(request: Request) -> Response:
    principal = await current(request)
    return RedirectResponse(home_of(principal) if principal else "/masuk", status_code=303)


async def login_form(request: Request) -> Response:
    context = {"error": None, "name": "", "next": request.query_params.get("next", "")}
    return await render(request, "login.html", context)


async def login(request: Request) -> Response:
    form = await checked_form(request)
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    address = request.client.host if request.client else "-"
    app = web_app(request)

    def attempt() -> tuple[int, str] | str:
        with transaction(app.sessions) as session:
            try:
                user = accounts.authenticate(session, app.settings, name, password, address=address,
                                             now=datetime.now(UTC))
            except accounts.LoginRefused as refused:
                return refused.message
            return user.id, accounts.session_version(user)

    outcome = await run_in_threadpool(attempt)
    if isinstance(outcome, str):
        return await render(request, "login.html", {"error": outcome, "name": name, "next": form.get("next", "")},
                            status=401)
    csrf = request.session.get("csrf")
    request.session.clear()  # a fresh session: nothing of the anonymous one carries over but its token
    request.session.update({"uid": outcome[0], "ver": outcome[1], "csrf": csrf})
    request.scope.pop("pantau.principal", None)
    principal = await current(request)
    target = _safe_next(form.get("next")) or (home_of(principal) if principal else "/")
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    await checked_form(request)
    request.session.clear()
    return RedirectResponse("/masuk", status_code=303)


async def enter_link(request: Request) -> Response:
    """An OPD link from a digest: check it, keep it in the session (re-checked on every request), and
    send the browser on to the OPD page, so the token leaves the address bar."""
    token = request.path_params["token"]
    app = web_app(request)

    def check() -> links.OpdLink:
        with app.sessions() as session:
            return links.read_token(session, app.settings, token, datetime.now(UTC))

    try:
        link = await run_in_threadpool(check)
    except links.LinkRefused as exc:
        raise Refused(str(exc)) from exc
    request.session.clear()
    request.session["link"] = token
    request.scope.pop("pantau.principal", None)
    return RedirectResponse(f"/opd/{link.opd}", status_code=303)
