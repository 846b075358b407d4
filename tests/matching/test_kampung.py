"""Kampung Bahagia activities link to registrations by the number the RT copied."""

from __future__ import annotations

from datetime import date

from monitor.compute.columns import Table
from monitor.matching import link_kampung
from monitor.records import KampungState, RegistrationState
from tests.matching.builders import registration


def activity(aid: int, nomor_registrasi: str | None) -> KampungState:
    return KampungState(
        id=aid, kode_kegiatan=f"KB-{aid}", kecamatan="Kota Baru", kelurahan="Kenali Asam Atas", rt="14",
        nama_kegiatan="Gotong royong drainase", nilai_kegiatan=100_000_000, tanggal_mulai=date(2026, 5, 1),
        tanggal_selesai=None, nomor_sk_rt=None, tanggal_sk_rt=None, jumlah_peserta=30,
        nomor_registrasi=nomor_registrasi,
    )


def test_activities_link_by_registration_number_ignoring_case_and_spaces() -> None:
    r1 = registration(None, nomor="JK-2026-0000101")
    r2 = registration(None, nomor="JK-2026-0000102")
    activities = [activity(1, "JK-2026-0000101"), activity(2, " jk-2026-0000102 "), activity(3, "JK-2026-9999999"),
                  activity(4, None), activity(5, "  ")]
    by_number = {r.nomor_registrasi: r for r in (r1, r2)}
    assert link_kampung(activities, by_number) == {1: r1.id, 2: r2.id}
    assert link_kampung(activities, [r1, r2]) == {1: r1.id, 2: r2.id}
    assert link_kampung(activities, Table.of(RegistrationState, [r2, r1])) == {1: r1.id, 2: r2.id}


def test_two_registrations_differing_only_in_case_are_not_guessed() -> None:
    r1 = registration(None, nomor="JK-2026-0000201")
    r2 = registration(None, nomor="jk-2026-0000201")
    activities = [activity(1, "JK-2026-0000201"), activity(2, "Jk-2026-0000201")]
    assert link_kampung(activities, [r1, r2]) == {1: r1.id}
