"""The pages through the real application (Starlette's test client over the ASGI app), on both engines."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from starlette.testclient import TestClient

from tests.web.conftest import csrf_of
from tests.web.world import FREE_REGISTRATION, PASSWORD, PUPR_UNREGISTERED, XSS_TITLE, World


def test_staff_see_the_city_and_every_opd(staff: TestClient, world: World) -> None:
    page = staff.get("/kota")
    assert page.status_code == 200
    assert "Dinas Pekerjaan Umum dan Penataan Ruang" in page.text and "Dinas Perumahan" in page.text
    assert "0,0 %" in page.text  # no contract is registered: Indonesian decimal comma
    assert 'href="/temuan?rule=jakon.payment_unregistered"' in page.text
    assert staff.get("/opd/PERKIM").status_code == 200


def test_the_opd_page_groups_filters_and_pages(opd_user: TestClient) -> None:
    first = opd_user.get("/opd/PUPR")
    assert first.status_code == 200
    assert "Kontrak belum terdaftar" in first.text or "jakon.unregistered" in first.text
    assert "Halaman 1 dari 2" in first.text  # 7 unregistered + 1 payment finding, 5 per page
    second = opd_user.get("/opd/PUPR?page=2")
    assert "Halaman 2 dari 2" in second.text
    ids = set()
    for page in (first.text, second.text):
        ids |= {line for line in page.split('href="/temuan/')[1:]}
    filtered = opd_user.get("/opd/PUPR?rule=jakon.payment_unregistered")
    assert "SP2D-0001/PUPR/2026" in filtered.text and "Halaman" not in filtered.text
    assert opd_user.get("/opd/PUPR?rule=nope").status_code == 400


def test_untrusted_text_is_escaped(opd_user: TestClient, world: World) -> None:
    page = opd_user.get(f"/temuan/{world.pupr_finding}")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert XSS_TITLE.split(">", 1)[1].split("<")[0] == "alert(1)"


def test_every_response_carries_the_security_headers(opd_user: TestClient, anonymous: TestClient) -> None:
    for response in (opd_user.get("/opd/PUPR"), anonymous.get("/masuk"), anonymous.get("/opd/PUPR")):
        csp = response.headers["content-security-policy"]
        assert "script-src" not in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
    login = anonymous.post("/masuk", data={"name": "rina", "password": PASSWORD, "csrf": csrf_of(anonymous)})
    cookie = login.headers["set-cookie"].lower()
    assert cookie.startswith("pantau_sesi=") and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # base_url is http here; https makes it Secure (test_security)


def test_the_csv_is_complete_and_formula_safe(staff: TestClient, opd_user: TestClient) -> None:
    response = opd_user.get("/opd/PUPR/findings.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["ID", "Aturan", "Tingkat"]
    subjects = {row[5] for row in rows[1:]}
    assert {f"PUPR|{n}" for n in PUPR_UNREGISTERED} <= subjects and len(rows) == 1 + 8
    perkim = list(csv.reader(io.StringIO(staff.get("/opd/PERKIM/findings.csv").text.lstrip("\ufeff"))))
    assert perkim[1][5] == "PERKIM|=HYPERLINK(\"http://x\")"  # starts with P: nothing to neutralize
    title_cells = [row[6] for row in perkim[1:]]
    assert all(not cell.startswith("=") for cell in title_cells)


def test_the_xlsx_writes_text_never_formulas(staff: TestClient) -> None:
    response = staff.get("/opd/PERKIM/findings.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Temuan"]
    header = [cell.value for cell in sheet[1]]
    assert header[0] == "ID" and header[7] == "Nilai berisiko (Rp)"
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert values and all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert isinstance(values[0][7], int)


def test_acknowledge_and_propose_record_the_actor(opd_user: TestClient, world: World) -> None:
    token = csrf_of(opd_user, f"/temuan/{world.pupr_finding}")
    ack = opd_user.post(f"/temuan/{world.pupr_finding}/akui", data={"csrf": token, "note": "sedang didaftarkan"})
    assert ack.status_code == 303
    proposed = opd_user.post(f"/temuan/{world.pupr_finding}/usul",
                             data={"csrf": token, "nomor_registrasi": FREE_REGISTRATION, "note": ""})
    assert proposed.status_code == 303
    page = opd_user.get(f"/temuan/{world.pupr_finding}").text
    assert "ada di data BPJS dan belum tertaut" in page
    assert page.count("ppk.pupr") >= 3  # header, the acknowledgement and the proposal in the history
    assert "mengusulkan nomor registrasi JK-2026-0099" in page
    unknown = opd_user.post(f"/temuan/{world.pupr_finding}/usul",
                            data={"csrf": token, "nomor_registrasi": "JK-TIDAK-ADA"})
    assert unknown.status_code == 303
    assert "belum ada di data BPJS" in opd_user.get(f"/temuan/{world.pupr_finding}").text


def test_staff_confirm_a_proposal_as_a_manual_match(opd_user: TestClient, staff: TestClient, world: World) -> None:
    token = csrf_of(opd_user, f"/temuan/{world.pupr_finding}")
    opd_user.post(f"/temuan/{world.pupr_finding}/usul", data={"csrf": token, "nomor_registrasi": FREE_REGISTRATION})
    queue = staff.get("/tinjau").text
    assert f"registrasi {FREE_REGISTRATION}" in queue and "GEDUNG SERBAGUNA TELANAIPURA" in queue
    proposal_id = int(queue.split('action="/tinjau/usulan/')[1].split('"')[0])
    decided = staff.post(f"/tinjau/usulan/{proposal_id}", data={"csrf": csrf_of(staff, "/tinjau"),
                                                                 "decision": "confirm", "note": "cocok"})
    assert decided.status_code == 303
    assert "Tidak ada usulan yang menunggu" in staff.get("/tinjau").text
    page = staff.get(f"/temuan/{world.pupr_finding}").text
    assert "cara <strong>manual</strong>" in page and "rina" in page


def test_staff_choose_a_candidate_of_an_ambiguous_match(staff: TestClient, world: World) -> None:
    from datetime import UTC, date, datetime

    from sqlalchemy import insert, select

    from monitor.db import transaction
    from monitor.models import Finding, MatchDecision, MatchLink
    from tests.check.helpers import add_contract

    with transaction(world.app.sessions) as session:
        conn = session.connection()
        add_contract(conn, "10/SPK/2026", opd="PUPR", npwp=None)
        add_contract(conn, "10/SPK/2026", opd="PERKIM", npwp=None)
        candidates = [{"subject": f"{opd}|10/SPK/2026", "opd": opd, "nomor_kontrak": "10/SPK/2026",
                       "nama_paket": "Taman", "penyedia": "CV <b>Ganda</b>", "nilai_kontrak": 100_000_000}
                      for opd in ("PUPR", "PERKIM")]
        finding_id = conn.execute(insert(Finding).returning(Finding.id), {
            "fingerprint": "amb", "rule": "data.ambiguous_match", "severity": "medium", "status": "open", "opd": None,
            "subject": FREE_REGISTRATION, "title": "Registrasi cocok dengan 2 kontrak", "amount_at_risk": 0,
            "details": {"candidates": candidates}, "content_hash": "h", "first_seen": date(2026, 11, 22),
            "last_seen": date(2026, 11, 22), "opened_at": datetime.now(UTC)}).scalar_one()
    queue = staff.get("/tinjau").text
    assert "CV &lt;b&gt;Ganda&lt;/b&gt;" in queue and f'action="/tinjau/ganda/{finding_id}"' in queue
    token = csrf_of(staff, "/tinjau")
    wrong = staff.post(f"/tinjau/ganda/{finding_id}", data={"csrf": token, "opd": "DISDIK",
                                                             "nomor_kontrak": "10/SPK/2026"})
    assert wrong.status_code == 303
    assert "bukan salah satu kandidat" in staff.get("/tinjau").text
    chosen = staff.post(f"/tinjau/ganda/{finding_id}", data={"csrf": token, "opd": "PERKIM",
                                                              "nomor_kontrak": "10/SPK/2026"})
    assert chosen.status_code == 303
    with world.app.sessions() as session:
        decision = session.scalars(select(MatchDecision)).one()
        assert (decision.opd, decision.nomor_registrasi, decision.decision, decision.actor) == (
            "PERKIM", FREE_REGISTRATION, "confirm", "rina")
        assert session.scalars(select(MatchLink.method)).all() == ["manual"]
    assert "memilih kontrak PERKIM|10/SPK/2026" in staff.get(f"/temuan/{finding_id}").text


def test_staff_review_the_weakest_links_first_and_confirm_or_reject_them(staff: TestClient, world: World) -> None:
    from sqlalchemy import insert, select

    from monitor.db import transaction
    from monitor.models import MatchDecision, MatchLink
    from tests.check.helpers import add_contract, add_registration

    with transaction(world.app.sessions) as session:
        conn = session.connection()
        pairs = {}
        for nomor, penyedia, score, other_name in (("21/SPK/2026", "CV <b>Mitra</b> Jaya", 0.62, True),
                                                   ("22/SPK/2026", "CV Karya Abadi", 0.91, False)):
            ci = add_contract(conn, nomor, opd="PERKIM", npwp=None)
            ri = add_registration(conn, f"JK-{nomor[:2]}", nomor_kontrak=nomor, penyedia=penyedia, npwp=None)
            reason = "exact: nomor kontrak sama persis; penyedia berbeda: kemungkinan anggota KSO / nama lain"
            conn.execute(insert(MatchLink), {"contract_id": ci, "registration_id": ri, "method": "exact",
                                             "score": score, "details": {"other_name": other_name, "reason": reason}})
            pairs[nomor] = f"JK-{nomor[:2]}"
    queue = staff.get("/tinjau").text
    assert "CV &lt;b&gt;Mitra&lt;/b&gt; Jaya" in queue and "<b>Mitra</b>" not in queue
    assert queue.index("PERKIM|21/SPK/2026") < queue.index("PERKIM|22/SPK/2026")  # weakest first
    cards = {card.split("</h3>")[0]: card.split("</section>")[0]
             for card in queue.split("Tautan terlemah")[1].split('<section class="card')[1:]}
    weak = next(card for head, card in cards.items() if "PERKIM|21/SPK/2026" in head)
    strong = next(card for head, card in cards.items() if "PERKIM|22/SPK/2026" in head)
    flag = '<strong class="warn">nama lain</strong>'
    assert flag in weak and flag not in strong  # the flag stays on its own link's card
    assert "anggota KSO" in weak and "skor 0.62" in weak
    token = csrf_of(staff, "/tinjau")
    assert staff.post("/tinjau/tautan", data={"opd": "PERKIM", "nomor_kontrak": "21/SPK/2026",
                                              "nomor_registrasi": "JK-21", "decision": "confirm"}).status_code == 403

    def decide(nomor: str, decision: str, registrasi: str | None = None) -> None:
        response = staff.post("/tinjau/tautan", data={
            "csrf": token, "opd": "PERKIM", "nomor_kontrak": nomor, "nomor_registrasi": registrasi or pairs[nomor],
            "decision": decision})
        assert response.status_code == 303

    decide("21/SPK/2026", "confirm")
    decide("22/SPK/2026", "reject")
    decide("22/SPK/2026", "confirm", registrasi="JK-21")  # not this pair's link: refused
    assert "tidak (lagi) tertaut otomatis" in staff.get("/tinjau").text
    with world.app.sessions() as session:
        decided = {(d.nomor_kontrak, d.nomor_registrasi, d.decision, d.actor)
                   for d in session.scalars(select(MatchDecision))}
        assert decided == {("21/SPK/2026", "JK-21", "confirm", "rina"), ("22/SPK/2026", "JK-22", "reject", "rina")}
        assert session.scalars(select(MatchLink.method)).all() == ["manual"]
    assert "PERKIM|21/SPK/2026" not in staff.get("/tinjau").text.split("Tautan terlemah")[1]


def test_the_queue_keeps_the_weakest_automatic_links_only_in_order_of_score_then_id(world: World) -> None:
    from sqlalchemy import delete, insert

    from monitor.db import transaction
    from monitor.models import MatchLink
    from monitor.web.review import weakest_links
    from tests.check.helpers import add_contract, add_registration

    with transaction(world.app.sessions) as session:
        conn = session.connection()
        conn.execute(delete(MatchLink))
        for n, (method, score) in enumerate((("fuzzy", 0.9), ("manual", 0.1), ("exact", 0.5), ("npwp", 0.7),
                                             ("fuzzy", 0.5), ("exact", 1.0))):
            ci = add_contract(conn, f"{n}/Q/2026", opd="PERKIM", npwp=None)
            ri = add_registration(conn, f"JK-Q{n}", nomor_kontrak=f"{n}/Q/2026", npwp=None)
            conn.execute(insert(MatchLink), {"contract_id": ci, "registration_id": ri, "method": method,
                                             "score": score, "details": {}})
    with world.app.sessions() as session:
        shown = [(row["nomor_kontrak"], row["nomor_registrasi"], row["score"])
                 for row in weakest_links(session, limit=3)]
    # A manual link is a human's decision already; equal scores in the order they were made.
    assert shown == [("2/Q/2026", "JK-Q2", 0.5), ("4/Q/2026", "JK-Q4", 0.5), ("3/Q/2026", "JK-Q3", 0.7)]


def test_the_weakest_links_show_a_link_whose_details_say_nothing_of_other_name(staff: TestClient, world: World) -> None:
    from sqlalchemy import insert

    from monitor.db import transaction
    from monitor.models import MatchLink
    from tests.check.helpers import add_contract, add_registration

    with transaction(world.app.sessions) as session:  # a plain exact link keeps no other_name nor reason
        conn = session.connection()
        ci = add_contract(conn, "31/SPK/2026", opd="PERKIM", npwp=None)
        ri = add_registration(conn, "JK-31", nomor_kontrak="31/SPK/2026", penyedia="CV Polos", npwp=None)
        conn.execute(insert(MatchLink), {"contract_id": ci, "registration_id": ri, "method": "exact", "score": 1.0,
                                         "details": {}})
    queue = staff.get("/tinjau")
    assert queue.status_code == 200
    card = queue.text.split("Tautan terlemah")[1].split("</section>")[0]
    assert "PERKIM|31/SPK/2026" in card and "nama lain" not in card.split("</h3>")[1] and ">exact</p>" in card
