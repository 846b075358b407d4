"""The forms' POSTs: acknowledge, propose a registration number, confirm or reject in the review queue,
silence. Each checks the CSRF token and who is asking before anything is read from the form, writes one
transaction with a history row naming the actor, and redirects (303) to the page it came from."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from monitor.check import findings as store
from monitor.db import transaction
from monitor.models import Finding
from monitor.web import queries, review
from monitor.web.rendering import flash
from monitor.web.security import Refused, actor_for, checked_form, staff, web_app

NOTE_LIMIT = 2000


def text_field(form: FormData, name: str, *, limit: int = NOTE_LIMIT) -> str:
    value = form.get(name, "")
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > limit:
        raise Refused(f"Isian {name} terlalu panjang (paling banyak {limit} karakter); tidak ada yang diubah.",
                      status=400, title="Isian tidak valid")
    return text


def finding_facts(request: Request, finding_id: int) -> dict[str, Any]:
    app = web_app(request)
    with app.sessions() as session:
        row = session.execute(select(Finding.opd, Finding.rule, Finding.subject, Finding.status, Finding.details)
                              .where(Finding.id == finding_id)).first()
    if row is None:
        raise Refused(f"Temuan #{finding_id} tidak ada.", status=404, title="Tidak ditemukan")
    return dict(row._mapping)


def back(finding_id: int, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/temuan/{finding_id}{anchor}", status_code=303)


async def acknowledge(request: Request) -> Response:
    form = await checked_form(request)
    finding_id = request.path_params["finding_id"]
    facts = await run_in_threadpool(finding_facts, request, finding_id)
    principal = await actor_for(request, facts["opd"])
    note = text_field(form, "note")
    app = web_app(request)

    def write() -> None:
        with transaction(app.sessions) as session:
            store.acknowledge(session, finding_id, note=note, actor=principal.actor, now=datetime.now(UTC))

    try:
        await run_in_threadpool(write)
    except store.FindingsError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, "Temuan diakui; pengingat berhenti sampai temuannya berubah.")
    return back(finding_id)


async def propose(request: Request) -> Response:
    form = await checked_form(request)
    finding_id = request.path_params["finding_id"]
    facts = await run_in_threadpool(finding_facts, request, finding_id)
    principal = await actor_for(request, facts["opd"])
    contract = queries.contract_of(facts["details"] or {}, facts["opd"], facts["subject"])
    if facts["rule"] not in queries.PROPOSABLE_RULES or contract is None or facts["status"] not in store.ACTIVE:
        raise Refused("Nomor registrasi hanya diusulkan untuk kontrak yang tercatat belum terdaftar.", status=400,
                      title="Tidak dapat diusulkan")
    nomor, note = text_field(form, "nomor_registrasi", limit=200), text_field(form, "note")
    app = web_app(request)

    def write() -> str:
        with transaction(app.sessions) as session:
            return review.propose(session, finding_id, *contract, nomor, actor=principal.actor, note=note,
                                  now=datetime.now(UTC)).message

    try:
        flash(request, await run_in_threadpool(write))
    except review.ReviewError as exc:
        flash(request, str(exc), "error")
    return back(finding_id)


async def decide_proposal(request: Request) -> Response:
    form = await checked_form(request)
    principal = await staff(request)
    proposal_id = request.path_params["proposal_id"]
    decision, note = text_field(form, "decision", limit=10), text_field(form, "note")
    app = web_app(request)

    def write() -> None:
        with transaction(app.sessions) as session:
            review.decide_proposal(session, proposal_id, decision, actor=principal.actor, note=note,
                                   now=datetime.now(UTC))

    try:
        await run_in_threadpool(write)
    except review.ReviewError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, "Usulan dikonfirmasi: tautan manual dicatat; pemeriksaan berikutnya menautkan kontraknya."
              if decision == "confirm" else "Usulan ditolak.")
    return RedirectResponse("/tinjau", status_code=303)


async def decide_ambiguity(request: Request) -> Response:
    form = await checked_form(request)
    principal = await staff(request)
    finding_id = request.path_params["finding_id"]
    opd, nomor_kontrak = text_field(form, "opd", limit=100), text_field(form, "nomor_kontrak", limit=200)
    note = text_field(form, "note")
    app = web_app(request)

    def write() -> None:
        with transaction(app.sessions) as session:
            review.decide_ambiguity(session, finding_id, opd, nomor_kontrak, actor=principal.actor, note=note,
                                    now=datetime.now(UTC))

    try:
        await run_in_threadpool(write)
    except review.ReviewError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, f"Kontrak {opd}|{nomor_kontrak} dipilih; pemeriksaan berikutnya menautkannya.")
    return RedirectResponse("/tinjau", status_code=303)


async def decide_link(request: Request) -> Response:
    form = await checked_form(request)
    principal = await staff(request)
    opd, nomor_kontrak = text_field(form, "opd", limit=100), text_field(form, "nomor_kontrak", limit=200)
    nomor_registrasi, decision = text_field(form, "nomor_registrasi", limit=100), text_field(form, "decision", limit=10)
    note = text_field(form, "note")
    app = web_app(request)

    def write() -> None:
        with transaction(app.sessions) as session:
            review.decide_link(session, opd, nomor_kontrak, nomor_registrasi, decision, actor=principal.actor,
                               note=note)

    try:
        await run_in_threadpool(write)
    except review.ReviewError as exc:
        flash(request, str(exc), "error")
    else:
        pair = f"Tautan {opd}|{nomor_kontrak} ↔ {nomor_registrasi}"
        flash(request, f"{pair} dikonfirmasi (manual)." if decision == "confirm"
              else f"{pair} ditolak; pemeriksaan berikutnya tidak membuatnya lagi.")
    return RedirectResponse("/tinjau", status_code=303)


async def silence(request: Request) -> Response:
    form = await checked_form(request)
    principal = await staff(request)
    finding_id = request.path_params["finding_id"]
    facts = await run_in_threadpool(finding_facts, request, finding_id)
    reason = text_field(form, "reason")
    app = web_app(request)
    today = datetime.now(app.settings.tz).date()
    try:
        until = date.fromisoformat(text_field(form, "until", limit=10))
    except ValueError:
        flash(request, "Tulis tanggal akhir pembungkaman (TTTT-BB-HH).", "error")
        return back(finding_id)
    if until > today + timedelta(days=366):
        flash(request, "Pembungkaman paling lama satu tahun.", "error")
        return back(finding_id)

    def write() -> int:
        with transaction(app.sessions) as session:
            return store.add_silence(session, rule=facts["rule"], opd=facts["opd"], subject=facts["subject"],
                                     until=until, reason=reason, actor=principal.actor, now=datetime.now(UTC),
                                     today=today).silenced

    try:
        await run_in_threadpool(write)
    except store.FindingsError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, "Temuan dibungkam sampai tanggal itu.")
    return back(finding_id)
