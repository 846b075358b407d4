"""The pages: Kota (city overview), an OPD's findings, one finding, the review queue."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from alerts.view import detail_rows, one_line
from checks import REGISTRY
from monitor.bootstrap import App
from monitor.check.findings import ACTIVE, STATUSES, FindingsError, finding_history
from monitor.records import SEVERITIES
from monitor.web import followup, queries, review
from monitor.web.queries import Filters, Version
from monitor.web.rendering import cached, page_formatter, render, shared_page
from monitor.web.security import Refused, required, staff, viewer_of, web_app


def opd_name(app: App, code: str | None) -> str:
    for opd in app.settings.opd:
        if opd.code == code:
            return opd.name
    return code or "(tanpa OPD)"


def _known_opd(app: App, code: str) -> str:
    for opd in app.settings.opd:
        if opd.code.casefold() == code.casefold():
            return opd.code
    return code  # an OPD missing from the directory keeps its findings under the text as imported


def filters_from(request: Request, opd: str | None) -> Filters:
    """The filters of the query string; a value outside the known ones is a clear 400, not a guess."""
    params = request.query_params
    rule, severity, status = params.get("rule") or None, params.get("severity") or None, params.get("status") or None
    if rule is not None and rule not in REGISTRY:
        raise Refused(f"Aturan {rule!r} tidak dikenal.", status=400, title="Permintaan tidak valid")
    if severity is not None and severity not in SEVERITIES:
        raise Refused(f"Tingkat {severity!r} tidak dikenal.", status=400, title="Permintaan tidak valid")
    if status is not None and status not in STATUSES:
        raise Refused(f"Status {status!r} tidak dikenal.", status=400, title="Permintaan tidak valid")
    return Filters(opd=opd, rule=rule, severity=severity, status=status)


def _page_number(request: Request) -> int:
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1


async def city(request: Request) -> Response:
    await staff(request)
    app = web_app(request)

    def build(conn: Connection, version: Version) -> dict[str, Any]:
        figures = queries.city_figures(conn)
        return {"f": figures, "ranking": [{**row, "name": opd_name(app, row["opd"])} for row in figures["ranking"]]}

    return await shared_page(request, "city.html", build)


async def findings_list(request: Request) -> Response:
    """``/opd/<code>`` (its own people and staff) and ``/temuan`` (staff: every OPD)."""
    app = web_app(request)
    code = request.path_params.get("code")
    if code is None:
        await staff(request)
        opd = None
    else:
        opd = _known_opd(app, code)
        await viewer_of(request, opd)
    filters = filters_from(request, opd)
    page, size = _page_number(request), app.settings.web.page_size
    fmt = page_formatter(app)
    query = {k: v for k, v in (("rule", filters.rule), ("severity", filters.severity), ("status", filters.status)) if v}
    base = request.url.path

    def build(conn: Connection, version: Version) -> dict[str, Any]:
        cache = cached(request)
        grouped = Filters(opd=opd, status=filters.status)
        groups = cache.get(version, ("groups", grouped), lambda: queries.rule_groups(conn, grouped))
        # The order of every finding the filters select, once per version: any page is then a lookup by id.
        ids = cache.get(version, ("order", filters), lambda: queries.ordered_ids(conn, filters))
        rows = queries.findings_by_id(conn, ids[(page - 1) * size:page * size])
        return {
            "opd": opd, "opd_name": opd_name(app, opd) if opd else "Semua OPD", "filters": filters,
            "groups": [{**g, "title": fmt.rule(g["rule"]), "advice": fmt.advice(g["rule"])} for g in groups],
            "rows": [{**r, "title": one_line(r["title"]), "deadline": (r["details"] or {}).get("deadline"),
                      "action": one_line((r["details"] or {}).get("tindakan") or "")} for r in rows],
            "total": len(ids), "page": page, "pages": max(1, -(-len(ids) // size)), "size": size,
            "page_url": lambda n: f"{base}?{urlencode({**query, 'page': n})}",
            "download": (f"/opd/{opd}/findings" if opd else "/temuan/findings")
            + (f"?{urlencode(query)}" if query else ""),
            "rules": sorted(REGISTRY), "severities": SEVERITIES, "statuses": STATUSES,
        }

    return await shared_page(request, "findings.html", build)


async def finding(request: Request) -> Response:
    app = web_app(request)
    finding_id = request.path_params["finding_id"]
    await required(request)

    def read() -> dict[str, Any]:
        with app.sessions() as session:
            try:
                history = finding_history(session.connection(), finding_id)
            except FindingsError as exc:
                raise Refused(str(exc), status=404, title="Tidak ditemukan") from exc
            found = history.finding
            contract = queries.contract_of(found["details"], found["opd"], found["subject"])
            link = queries.contract_link(session.connection(), *contract) if contract else None
            return {"history": history, "contract": contract, "link": link,
                    "proposals": review.proposals_of(session, finding_id),
                    "followup": followup.of_finding(session.connection(), finding_id, app.settings.report,
                                                    page_formatter(app))}

    data = await run_in_threadpool(read)
    found = data["history"].finding
    principal = await viewer_of(request, found["opd"])
    fmt = page_formatter(app)
    rule = REGISTRY.get(found["rule"])
    details = found["details"] or {}
    return await render(request, "finding.html", {
        **data, "f": found, "extra": data["history"].extra, "events": data["history"].events,
        "opd_name": opd_name(app, found["opd"]),
        "rows": detail_rows(fmt, details, found["subject"]),
        "rule_title": fmt.rule(found["rule"]), "advice": fmt.advice(found["rule"]),
        "action": one_line(details.get("tindakan") or ""),
        "regulation": one_line(details.get("regulasi") or ""),
        "rationale": rule.rationale if rule is not None else "",
        "active": found["status"] in ACTIVE,
        "can_act": principal.can_act_for(found["opd"]),
        "can_propose": principal.can_act_for(found["opd"]) and found["rule"] in queries.PROPOSABLE_RULES
        and data["contract"] is not None and found["status"] in ACTIVE,
        "is_staff": principal.is_staff,
    })


async def review_queue(request: Request) -> Response:
    await staff(request)
    app = web_app(request)

    def read() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        with app.sessions() as session:
            return review.pending_proposals(session), review.ambiguous_cases(session), review.weakest_links(session)

    proposals, ambiguous, links = await run_in_threadpool(read)
    return await render(request, "review.html", {"proposals": proposals, "ambiguous": ambiguous, "links": links})
