"""Impor: recent imports with their rejected rows, and a file uploaded to import the inbox's way."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Iterator

from sqlalchemy import func, select
from starlette.testclient import TestClient

from monitor.bootstrap import App
from monitor.models import Contract, ImportBatch
from tests.ingest.conftest import CONTRACT_HEADER, CONTRACT_ROWS
from tests.web.conftest import csrf_of, logged_in
from tests.web.world import World


def _csv(*rows: list[str]) -> bytes:
    lines = [";".join(CONTRACT_HEADER), *(";".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _upload(client: TestClient, name: str, content: bytes, kind: str = "") -> tuple[int, str]:
    response = client.post("/impor", data={"csrf": csrf_of(client, "/impor"), "kind": kind},
                           files={"file": (name, io.BytesIO(content), "text/csv")})
    location = response.headers.get("location", "")
    return response.status_code, location


def _contracts(app: App) -> int:
    with app.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Contract)) or 0)


def test_a_good_csv_imports_and_its_counts_show(staff: TestClient, world: World) -> None:
    before = _contracts(world.app)
    status, location = _upload(staff, "kontrak_maret.csv", _csv(*CONTRACT_ROWS))
    assert status == 303 and location.startswith("/impor/")
    page = staff.get(location).text
    assert "kontrak_maret.csv diimpor sebagai kontrak: 2 baris dibaca, 2 baru, 0 berubah, 0 sama, 0 ditolak" in page
    assert "Tidak ada baris yang ditolak" in page and "rina" in page
    assert _contracts(world.app) == before + 2
    with world.app.sessions() as session:
        batch = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
        assert batch is not None and batch.actor == "rina" and batch.inserted == 2
    listing = staff.get("/impor").text
    assert "kontrak_maret.csv" in listing and "<td>rina</td>" in listing
    # The inbox's way: the file is filed under processed/ with its report, naming who uploaded it.
    processed = world.app.settings.scheduler.inbox_dir / "processed"
    reports = list(processed.glob("*_kontrak_maret.csv.report.json"))
    assert len(reports) == 1 and json.loads(reports[0].read_text(encoding="utf-8"))["actor"] == "rina"
    assert not [p for p in world.app.settings.scheduler.inbox_dir.iterdir() if p.name.startswith(".unggah-")]


def test_bad_rows_show_with_their_line_column_and_reason(staff: TestClient, world: World) -> None:
    bad_value = [*CONTRACT_ROWS[0][:6], "seratus juta", *CONTRACT_ROWS[0][7:]]
    no_number = ["", *CONTRACT_ROWS[1][1:]]
    # Named so the name says nothing: the kind is chosen in the form.
    status, location = _upload(staff, "data.csv", _csv(bad_value, no_number), kind="contracts")
    assert status == 303 and location.startswith("/impor/")
    page = staff.get(location).text
    assert "2 ditolak" in page
    rows = page.split('<table class="rejects">')[1]
    assert '<td class="num">2</td><td>Nilai Kontrak (Rp)</td>' in rows
    assert '<td class="num">3</td>' in rows and "No. Kontrak" in rows
    listing = staff.get("/impor").text
    assert f'<a class="warn" href="{location}">2</a>' in listing


def test_a_file_that_cannot_be_imported_says_why(staff: TestClient, world: World) -> None:
    before = _contracts(world.app)
    status, location = _upload(staff, "catatan.csv", b"apa;ini\r\n1;2\r\n")
    assert (status, location) == (303, "/impor")
    page = staff.get("/impor").text
    assert "catatan.csv tidak diimpor: jenis data tidak dikenali" in page
    assert ".unggah-" not in page and _contracts(world.app) == before
    _upload(staff, "kontrak.csv", b"No. Kontrak;Nama Paket\r\n1/SPK/2026;Jalan\r\n")
    page = staff.get("/impor").text
    assert "kontrak.csv tidak diimpor: kontrak.csv: kolom wajib untuk data kontrak tidak ditemukan" in page
    assert ".unggah-" not in page
    failed = world.app.settings.scheduler.inbox_dir / "failed"
    assert len(list(failed.glob("*.report.json"))) == 2


def _small_limit(app: App) -> App:
    web = app.settings.web.model_copy(update={"upload_max_mb": 0.001})  # 1,000 bytes
    return dataclasses.replace(app, settings=app.settings.model_copy(update={"web": web}))


def test_an_oversize_file_is_refused_and_nothing_imported(world: World) -> None:
    app = _small_limit(world.app)
    before = _contracts(app)
    with logged_in(app, "rina") as client:
        token = csrf_of(client, "/impor")
        assert "paling besar 0.001 MB" in client.get("/impor").text
        just_over = _csv(*CONTRACT_ROWS * 4)
        assert 1_000 < len(just_over) < 64_000  # under the form's room: the file's own size refuses it
        for content in (just_over, _csv(*CONTRACT_ROWS * 2_000)):
            response = client.post("/impor", data={"csrf": token},
                                   files={"file": ("kontrak.csv", io.BytesIO(content), "text/csv")})
            assert response.status_code == 413
            assert "Berkas terlalu besar: paling besar 0.001 MB" in response.text
            assert "Tidak ada yang diimpor" in response.text

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"kontrak.csv\"\r\n\r\n"
            for _ in range(100):
                yield b"a" * 1_000
            yield b"\r\n--x--\r\n"

        streamed = client.post("/impor", content=chunks(),
                               headers={"content-type": "multipart/form-data; boundary=x"})
        assert streamed.status_code == 413
    assert _contracts(app) == before
    assert not (app.settings.scheduler.inbox_dir / "processed").exists()


def test_the_upload_needs_its_csrf_token_and_a_known_kind(staff: TestClient, world: World) -> None:
    before = _contracts(world.app)
    files = {"file": ("kontrak.csv", io.BytesIO(_csv(*CONTRACT_ROWS)), "text/csv")}
    refused = staff.post("/impor", data={"csrf": "palsu"}, files=files)
    assert refused.status_code == 403 and "CSRF" in refused.text
    status, _ = _upload(staff, "kontrak.csv", _csv(*CONTRACT_ROWS), kind="apa")
    assert status == 400
    assert _contracts(world.app) == before


def test_an_opd_cannot_reach_the_imports(opd_user: TestClient, world: World) -> None:
    before = _contracts(world.app)
    for path in ("/impor", "/impor/1"):
        response = opd_user.get(path)
        assert response.status_code == 403 and "Impor data untuk petugas" in response.text
    files = {"file": ("kontrak.csv", io.BytesIO(_csv(*CONTRACT_ROWS)), "text/csv")}
    token = csrf_of(opd_user, "/opd/PUPR")
    response = opd_user.post("/impor", data={"csrf": token}, files=files)
    assert response.status_code == 403 and "Tidak ada yang diimpor" in response.text
    assert _contracts(world.app) == before
    assert 'href="/impor"' not in opd_user.get("/opd/PUPR").text
