"""The finding page's follow-up forms: staff set status, batas waktu and PIC; the OPD writes the note."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from monitor.models import FindingFollowup, FollowupEvent
from tests.web.conftest import csrf_of
from tests.web.world import World


def _events(world: World, finding_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    with world.app.sessions() as session:
        return [(e.actor, e.source, e.changes) for e in session.scalars(
            select(FollowupEvent).where(FollowupEvent.finding_id == finding_id).order_by(FollowupEvent.id))]


def _post(client: TestClient, finding_id: int, action: str, data: dict[str, str]) -> str:
    token = csrf_of(client, f"/temuan/{finding_id}")
    response = client.post(f"/temuan/{finding_id}/{action}", data={"csrf": token, **data})
    assert response.status_code == 303, response.text
    return client.get(f"/temuan/{finding_id}").text


def test_staff_set_status_due_date_and_pic(staff: TestClient, world: World) -> None:
    before = staff.get(f"/temuan/{world.pupr_finding}").text
    assert "belum ditindaklanjuti" in before and "(bawaan aturan)" in before
    page = _post(staff, world.pupr_finding, "tindak-lanjut",
                 {"status": "dalam proses", "due": "2026-12-31", "pic": "Budi (PPK)"})
    assert "Tindak lanjut disimpan." in page
    assert "<strong>dalam proses</strong>" in page and "31 Desember 2026" in page and "Budi (PPK)" in page
    assert "rina</strong> (web): status: belum ditindaklanjuti → dalam proses; batas waktu: (kosong) → " \
           "31 Desember 2026; PIC: (kosong) → Budi (PPK)" in page
    assert _events(world, world.pupr_finding) == [("rina", "web", {
        "status": ["belum ditindaklanjuti", "dalam proses"], "due": [None, "2026-12-31"], "pic": [None, "Budi (PPK)"]})]
    again = _post(staff, world.pupr_finding, "tindak-lanjut",
                  {"status": "dalam proses", "due": "2026-12-31", "pic": "Budi (PPK)"})
    assert "Tidak ada yang berubah." in again and len(_events(world, world.pupr_finding)) == 1


def test_a_bad_follow_up_is_refused_and_changes_nothing(staff: TestClient, world: World) -> None:
    page = _post(staff, world.pupr_finding, "tindak-lanjut", {"status": "sesuai", "due": "2026-11-21"})
    assert "Tindak lanjut tidak diubah: batas waktu 21 November 2026 sebelum temuan dibuka (22 November 2026)" in page
    page = _post(staff, world.pupr_finding, "tindak-lanjut", {"status": "tidak dapat ditindaklanjuti", "due": ""})
    assert "wajib disertai catatan alasannya" in page
    page = _post(staff, world.pupr_finding, "tindak-lanjut", {"status": "sesuai", "due": "besok"})
    assert "Tulis batas waktu sebagai tanggal" in page
    page = _post(staff, world.pupr_finding, "tindak-lanjut", {"status": "selesai deh", "due": ""})
    assert "Tindak lanjut tidak diubah" in page
    assert _events(world, world.pupr_finding) == []
    # The boundary: the day the finding opened is a valid batas waktu.
    page = _post(staff, world.pupr_finding, "tindak-lanjut", {"status": "sesuai", "due": "2026-11-22"})
    assert "Tindak lanjut disimpan." in page and "22 November 2026" in page


def test_the_opd_writes_the_note(opd_user: TestClient, world: World) -> None:
    page = _post(opd_user, world.pupr_finding, "catatan", {"note": "Sudah didaftarkan 20/11, menunggu sertifikat"})
    assert "Tindak lanjut disimpan." in page and "Sudah didaftarkan 20/11, menunggu sertifikat" in page
    assert f'action="/temuan/{world.pupr_finding}/tindak-lanjut"' not in page  # the staff form is not offered
    assert _events(world, world.pupr_finding) == [
        ("ppk.pupr", "web", {"note": [None, "Sudah didaftarkan 20/11, menunggu sertifikat"]})]


def test_roles_and_tokens_guard_the_forms(opd_user: TestClient, staff: TestClient, world: World) -> None:
    token = csrf_of(opd_user, f"/temuan/{world.pupr_finding}")
    status = opd_user.post(f"/temuan/{world.pupr_finding}/tindak-lanjut",
                           data={"csrf": token, "status": "sesuai", "due": ""})
    assert status.status_code == 403 and "hanya untuk petugas" in status.text
    other = opd_user.post(f"/temuan/{world.perkim_finding}/catatan", data={"csrf": token, "note": "bukan urusan"})
    assert other.status_code == 403 and "tidak dapat bertindak untuk OPD PERKIM" in other.text
    staff_token = csrf_of(staff, f"/temuan/{world.pupr_finding}")
    note = staff.post(f"/temuan/{world.pupr_finding}/catatan", data={"csrf": staff_token, "note": "dari BPKAD"})
    assert note.status_code == 403 and "Penulisan catatan tindak lanjut dilakukan oleh OPD" in note.text
    forged = staff.post(f"/temuan/{world.pupr_finding}/tindak-lanjut", data={"status": "sesuai", "due": ""})
    assert forged.status_code == 403 and "CSRF" in forged.text
    missing = staff.post("/temuan/999999/tindak-lanjut", data={"csrf": staff_token, "status": "sesuai"})
    assert missing.status_code == 404
    with world.app.sessions() as session:
        assert session.scalars(select(FindingFollowup)).all() == []
    assert _events(world, world.pupr_finding) == [] and _events(world, world.perkim_finding) == []
