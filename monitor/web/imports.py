"""Impor (staff only): the recent imports with their counts and rejected rows, and a file uploaded to import.

An upload goes the inbox's way (:func:`monitor.ingest.dropped.import_dropped`): the same validation as
``pantau ingest``, the kind as chosen or recognised from the name (or the header), the file filed under the
inbox's ``processed/`` or ``failed/`` with its report, and the import's batch naming who uploaded it. A
file over ``[web] upload_max_mb`` is refused while it arrives; nothing is imported.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import Message

from monitor.bootstrap import App
from monitor.ingest import KINDS, SOURCES
from monitor.ingest.dropped import Dropped, import_dropped
from monitor.models import ImportBatch, RejectedRow
from monitor.web.rendering import flash, page_formatter, render
from monitor.web.security import Refused, checked_form, staff, web_app

RECENT = 30
REJECTS_SHOWN = 500
FORM_ROOM = 64 * 1024  # the multipart boundaries and the other fields, beside the file itself
WHY = ("Impor data untuk petugas BPKAD, sekretariat monev, Disnaker dan BPJS; akses Anda ({actor}) terbatas pada "
       "OPD {opd}. Tidak ada yang diimpor.")
_UNSAFE = re.compile(r"[^\w.\- ]+")


def kind_choices() -> list[tuple[str, str]]:
    return [*((name, spec.title) for name, spec in KINDS.items()), *((s.name, s.title) for s in SOURCES.values())]


def recent_batches(app: App) -> list[dict[str, Any]]:
    b = ImportBatch.__table__.c
    with app.sessions() as session:
        rows = session.execute(select(b.id, b.kind, b.file_name, b.actor, b.rows, b.inserted, b.updated, b.unchanged,
                                      b.rejected, b.started_at, b.finished_at)
                               .order_by(b.id.desc()).limit(RECENT)).all()
    titles = dict(kind_choices())
    return [{**row._mapping, "name": Path(row.file_name).name, "title": titles.get(row.kind, row.kind)}
            for row in rows]


async def imports_page(request: Request) -> Response:
    await staff(request, why=WHY)
    app = web_app(request)
    batches = await run_in_threadpool(recent_batches, app)
    return await render(request, "imports.html", {
        "batches": batches, "kinds": kind_choices(), "limit_mb": app.settings.web.upload_max_mb})


async def batch_page(request: Request) -> Response:
    await staff(request, why=WHY)
    app = web_app(request)
    batch_id = request.path_params["batch_id"]

    def read() -> tuple[ImportBatch | None, list[RejectedRow]]:
        with app.sessions() as session:
            batch = session.get(ImportBatch, batch_id)
            rejects = list(session.scalars(select(RejectedRow).where(RejectedRow.batch_id == batch_id)
                                           .order_by(RejectedRow.line, RejectedRow.id).limit(REJECTS_SHOWN)))
            session.expunge_all()
            return batch, rejects

    batch, rejects = await run_in_threadpool(read)
    if batch is None:
        raise Refused(f"Impor #{batch_id} tidak ada.", status=404, title="Tidak ditemukan")
    return await render(request, "import.html", {"b": batch, "name": Path(batch.file_name).name,
                                                 "title": _title(batch.kind), "rejects": rejects,
                                                 "shown": REJECTS_SHOWN})


class TooLarge(Exception):
    pass


def _limited(request: Request, limit: int) -> Request:
    """The same request, its body refused (:class:`TooLarge`) once more than ``limit`` bytes arrived."""
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise TooLarge()
        return message

    return Request(request.scope, receive)


def _too_large(limit_mb: float) -> Refused:
    return Refused(f"Berkas terlalu besar: paling besar {limit_mb:g} MB ([web] upload_max_mb). Tidak ada yang "
                   "diimpor; bagi berkasnya, atau taruh di folder kotak masuk.", status=413,
                   title="Berkas terlalu besar")


def _file_name(upload: UploadFile) -> str:
    name = _UNSAFE.sub("_", Path((upload.filename or "").replace("\\", "/")).name).strip(" .")
    if not name:
        raise Refused("Pilih berkas yang akan diimpor.", status=400, title="Isian tidak valid")
    return name[:200]


async def upload(request: Request) -> Response:
    principal = await staff(request, why=WHY)
    app = web_app(request)
    limit_mb = app.settings.web.upload_max_mb
    limit = int(limit_mb * 1_000_000)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FORM_ROOM:
        raise _too_large(limit_mb)  # said before a byte is read
    try:
        form = await checked_form(_limited(request, limit + FORM_ROOM))
    except TooLarge:
        raise _too_large(limit_mb) from None
    upload, kind = form.get("file"), form.get("kind") or None
    if not isinstance(upload, UploadFile):
        raise Refused("Pilih berkas yang akan diimpor.", status=400, title="Isian tidak valid")
    if upload.size is not None and upload.size > limit:
        raise _too_large(limit_mb)
    if kind is not None and (not isinstance(kind, str) or (kind not in KINDS and kind not in SOURCES)):
        raise Refused(f"Jenis data {kind!r} tidak dikenal.", status=400, title="Isian tidak valid")
    name = _file_name(upload)

    def work() -> tuple[Dropped, str]:
        inbox = app.settings.scheduler.inbox_dir
        inbox.mkdir(parents=True, exist_ok=True)
        # A hidden folder of the inbox (the inbox job skips it): the file is moved from there to
        # processed/ or failed/ like a dropped file.
        staging = Path(tempfile.mkdtemp(prefix=".unggah-", dir=inbox))
        try:
            path = staging / name
            with path.open("wb") as out:
                upload.file.seek(0)
                shutil.copyfileobj(upload.file, out)
            now = datetime.now(app.settings.tz)
            return import_dropped(app, path, inbox, now, actor=principal.actor, kind=kind), str(path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    dropped, staged = await run_in_threadpool(work)
    if dropped.error is not None:
        # The message names the file as the user knows it, not where the server kept it.
        flash(request, f"{name} tidak diimpor: {dropped.error.replace(staged, name)}", "error")
        return RedirectResponse("/impor", status_code=303)
    r, n = dropped.report, page_formatter(app).number
    flash(request, f"{name} diimpor sebagai {_title(dropped.kind)}: {n(r['rows'])} baris dibaca, {n(r['inserted'])} "
                   f"baru, {n(r['updated'])} berubah, {n(r['unchanged'])} sama, {n(r['rejected'])} ditolak. "
                   "Pemeriksaan berikutnya memakai data ini.")
    return RedirectResponse(f"/impor/{r['batch_id']}" if r.get("batch_id") else "/impor", status_code=303)


def _title(kind: str | None) -> str:
    return dict(kind_choices()).get(kind or "", kind or "-")
