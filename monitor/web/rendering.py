"""Pages from Jinja2 templates (``monitor/web/templates/``), autoescaped: text from the data (titles,
vendor names, notes) is shown as text, never as markup."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse

from alerts.i18n import Formatter, formatter
from monitor.access.roles import ROLE_LABELS
from monitor.bootstrap import App
from monitor.web.queries import PerVersion, Version, data_version
from monitor.web.security import csrf_token, current, web_app

TEMPLATES = Path(__file__).with_name("templates")
STATUS_LABELS = {"open": "terbuka", "reopened": "muncul lagi", "acknowledged": "diakui", "silenced": "dibungkam",
                 "resolved": "selesai"}


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(status_label=lambda status: STATUS_LABELS.get(status, status), role_labels=ROLE_LABELS)
    return env


def page_formatter(app: App) -> Formatter:
    return formatter(app.settings.alerts.language, app.settings.tz)


def moment(fmt: Formatter, value: datetime | None) -> str:
    """A time the Indonesian way, in the configured time zone: ``23 November 2026 09.00``."""
    if value is None:
        return "-"
    local = value.astimezone(fmt.timezone)
    return f"{fmt.date(local)} {local:%H.%M}"


def percent(fmt: Formatter, part: int, whole: int) -> str:
    """``76,3 %`` (Indonesian decimal comma); ``-`` when there is nothing to divide."""
    return _percent(part, whole, fmt.locale)


@lru_cache(maxsize=65536)
def _percent(part: int, whole: int, locale: str) -> str:
    if not whole:
        return "-"
    return format_decimal(round(part * 100 / whole, 1), format="#,##0.0", locale=locale) + " %"


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A message for the next page (after the redirect that follows a POST)."""
    request.session["flash"] = [kind, message]


def cached(request: Request) -> PerVersion:
    """The application's values kept per state of the data (:class:`~monitor.web.queries.PerVersion`)."""
    cache: PerVersion = request.app.state.cache
    return cache


def _common(request: Request, fmt: Formatter) -> dict[str, Any]:
    return {"fmt": fmt, "moment": lambda value: moment(fmt, value),
            "percent": lambda part, whole: percent(fmt, part, whole), "request_path": request.url.path}


async def shared_page(request: Request, template: str,
                      build: Callable[[Connection, Version], dict[str, Any]]) -> HTMLResponse:
    """A page that is the same for everyone allowed to see it (its content has no form token and names no
    one: the city overview, a list of findings), once the caller has checked who may. Its title and content
    are rendered once per state of the data and URL, in a worker thread; only the frame around them (the
    header naming who is logged in, a notice) is rendered per request."""
    app = web_app(request)
    fmt = page_formatter(app)
    key = ("page", template, request.url.path, request.url.query)

    def blocks(conn: Connection, version: Version) -> tuple[str, str]:
        page = environment().get_template(template)
        context = page.new_context({**_common(request, fmt), **build(conn, version)})
        return "".join(page.blocks["title"](context)), "".join(page.blocks["content"](context))

    def read() -> tuple[str, str]:
        with app.sessions() as session:
            conn = session.connection()
            version = data_version(conn)
            return cached(request).get(version, key, lambda: blocks(conn, version))

    title, content = await run_in_threadpool(read)
    return await render(request, "_shared.html", {"page_title": Markup(title), "content": Markup(content)})


async def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    app = web_app(request)
    fmt = page_formatter(app)
    try:
        principal = await current(request)
    except Exception:  # a page about a refused link has no one to name
        principal = None
    today = datetime.now(app.settings.tz).date()  # the configured zone's day: "terlewat" turns at its midnight
    html = environment().get_template(template).render(
        **_common(request, fmt), principal=principal, csrf=csrf_token(request), today=today,
        notice=request.session.pop("flash", None), **context,
    )
    return HTMLResponse(html, status_code=status)
