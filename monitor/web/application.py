"""The web application: routes, the session cookie, the security headers and the error pages."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from monitor.bootstrap import App
from monitor.web import actions, auth, downloads, followup, imports, pages, reports
from monitor.web.queries import PerVersion
from monitor.web.rendering import render
from monitor.web.security import SESSION_COOKIE, LoginNeeded, Refused, SecurityHeaders

STATIC = Path(__file__).with_name("static")

ROUTES = [
    Route("/", auth.home),
    Route("/masuk", auth.login_form, methods=["GET"]),
    Route("/masuk", auth.login, methods=["POST"]),
    Route("/keluar", auth.logout, methods=["POST"]),
    Route("/tautan/{token:str}", auth.enter_link),
    Route("/kota", pages.city),
    Route("/temuan", pages.findings_list),
    Route("/temuan/findings.csv", downloads.findings_csv),
    Route("/temuan/findings.xlsx", downloads.findings_xlsx),
    Route("/temuan/{finding_id:int}", pages.finding),
    Route("/temuan/{finding_id:int}/akui", actions.acknowledge, methods=["POST"]),
    Route("/temuan/{finding_id:int}/usul", actions.propose, methods=["POST"]),
    Route("/temuan/{finding_id:int}/bungkam", actions.silence, methods=["POST"]),
    Route("/temuan/{finding_id:int}/tindak-lanjut", followup.set_by_staff, methods=["POST"]),
    Route("/temuan/{finding_id:int}/catatan", followup.set_note, methods=["POST"]),
    Route("/opd/{code:str}", pages.findings_list),
    Route("/opd/{code:str}/findings.csv", downloads.findings_csv),
    Route("/opd/{code:str}/findings.xlsx", downloads.findings_xlsx),
    Route("/tinjau", pages.review_queue),
    Route("/tinjau/usulan/{proposal_id:int}", actions.decide_proposal, methods=["POST"]),
    Route("/tinjau/ganda/{finding_id:int}", actions.decide_ambiguity, methods=["POST"]),
    Route("/tinjau/tautan", actions.decide_link, methods=["POST"]),
    Route("/laporan", reports.reports_page),
    Route("/laporan/konsep", reports.draft),
    Route("/laporan/konsep.{format:str}", reports.draft),
    Route("/laporan/final/{snapshot_id:int}.{format:str}", reports.final_file),
    Route("/impor", imports.imports_page, methods=["GET"]),
    Route("/impor", imports.upload, methods=["POST"]),
    Route("/impor/{batch_id:int}", imports.batch_page),
    Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
]


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return await render(request, "error.html", {"title": exc.title, "reason": exc.reason}, status=exc.status)


async def _login_needed(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/masuk?next={quote(target, safe='')}", status_code=303)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    titles = {404: ("Tidak ditemukan", "Halaman ini tidak ada."),
              405: ("Metode tidak diizinkan", "Halaman ini tidak menerima permintaan seperti itu.")}
    title, reason = titles.get(exc.status_code, ("Permintaan tidak valid", str(exc.detail)))
    return await render(request, "error.html", {"title": title, "reason": reason}, status=exc.status_code)


def build(app: App) -> Starlette:
    """The web application of ``app``; the signing key is read here, once (a settings error if unusable)."""
    web = app.settings.web
    starlette = Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(SessionMiddleware, secret_key=app.settings.web_secret_key().decode(),
                       session_cookie=SESSION_COOKIE, max_age=int(web.session_hours * 3600), same_site="lax",
                       https_only=web.secure_cookies),
        ],
        exception_handlers={Refused: _refused, LoginNeeded: _login_needed, HTTPException: _http_error},
    )
    starlette.state.pantau = app
    starlette.state.cache = PerVersion()
    starlette.state.drafts = reports.DraftFiles()
    return starlette
