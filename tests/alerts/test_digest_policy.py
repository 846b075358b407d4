"""Who gets what, and when: routing and the digest policy, end to end through a real SMTP server."""

from __future__ import annotations

import logging
import re

import pytest
from alerts_support import DAY, T0, World, items_of, text_of
from sqlalchemy import func, select

from alerts.digest import build_digests
from monitor.models import Notification, OutboxMessage

PUPR, PPK_PUPR, PERKIM = "pupr@jambikota.go.id", "ppk.pupr@jambikota.go.id", "perkim@jambikota.go.id"
BPKAD, FALLBACK, KERJASAMA = "bpkad@jambikota.go.id", "pantau-admin@jambikota.go.id", "kerjasama@jambikota.go.id"
SEKDA, INSPEKTORAT = "sekda@jambikota.go.id", "inspektorat@jambikota.go.id"


def test_each_recipient_gets_exactly_the_findings_routed_to_it(world: World) -> None:
    a = world.finding(opd="PUPR", severity="high")
    b = world.finding(rule="jakon.premium_shortfall", opd="PERKIM", severity="medium")
    c = world.finding(rule="jakon.payment_unregistered", opd="PERKIM", severity="critical", subject="SP2D-001")
    d = world.finding(rule="kampung.no_sk_rt", opd="DISDIK", severity="low", subject="KB-001")
    e = world.finding(opd="Dinas Antah Berantah", severity="medium")
    f = world.finding(rule="agreement.expiring", opd=None, severity="medium", subject="MOU-001")
    g = world.finding(rule="jakon.late_registration", opd="Dinas PUPR", severity="medium")  # an alias
    # BPKAD sees every payment to an unregistered contract, whatever severity it was configured to.
    h = world.finding(rule="jakon.payment_unregistered", opd="PERKIM", severity="medium", subject="SP2D-002")

    result = world.cycle(T0)

    assert result.enqueued == 6 and result.flush.sent == 6 and result.flush.pending == 0
    assert {r: set(items) for r, items in world.digests().items()} == {
        PUPR: {a, g},
        PPK_PUPR: {a, g},
        PERKIM: {b, c, h},
        BPKAD: {a, c, h},
        FALLBACK: {d, e, f},
        KERJASAMA: {f},
    }


def test_the_fallback_digest_says_why_it_came_there(world: World) -> None:
    world.finding(rule="kampung.no_sk_rt", opd="DISDIK", severity="low", subject="KB-001")
    world.finding(opd="Dinas Antah Berantah", severity="medium")
    world.finding(rule="data.orphan_registration", opd=None, severity="low", subject="REG-9")

    world.cycle(T0)

    (received,) = world.smtp.take()
    text = " ".join(text_of(received.message).split())
    assert received.recipient == FALLBACK
    assert "DISDIK: OPD tidak memiliki alamat email" in text
    assert "Dinas Antah Berantah: OPD tidak ada di direktori" in text
    assert "(tanpa OPD): temuan tidak terkait OPD mana pun" in text


def test_findings_nobody_can_receive_are_reported_not_dropped_silently(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.configure(fallback=(), bpkad=())
    world.finding(rule="data.orphan_registration", opd="DISDIK", severity="low", subject="REG-1")
    world.finding(rule="data.orphan_registration", opd="DISDIK", severity="low", subject="REG-2")
    world.finding(opd="PUPR", severity="medium")

    with caplog.at_level(logging.WARNING, logger="alerts.digest"):
        world.cycle(T0)

    recipients = {received.recipient for received in world.smtp.take()}
    assert recipients and FALLBACK not in recipients  # PUPR's own digest still goes out
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "2 temuan tidak punya penerima" in warning.getMessage() and "DISDIK (2)" in warning.getMessage()


def test_a_second_cycle_with_no_change_sends_nothing(world: World) -> None:
    world.finding(opd="PUPR", severity="high")
    world.finding(rule="jakon.payment_unregistered", opd="PERKIM", severity="critical", subject="SP2D-001")
    first = world.cycle(T0)
    world.smtp.take()

    again = world.cycle(T0 + DAY / 2)

    assert first.enqueued == 4
    assert again.enqueued == 0 and again.flush.sent == 0
    assert world.smtp.take() == []


def test_no_findings_means_no_email(world: World) -> None:
    result = world.cycle(T0)
    assert result.enqueued == 0 and world.smtp.take() == [] and world.outbox() == []


def test_reminders_follow_the_repeat_interval_of_each_severity(world: World) -> None:
    world.configure(bpkad=())
    high = world.finding(opd="PERKIM", severity="high")  # every 3 days
    medium = world.finding(opd="PERKIM", severity="medium")  # every 7 days
    world.cycle(T0)
    assert world.digests() == {PERKIM: {high: "BARU", medium: "BARU"}}

    seen = {}
    for day in range(1, 8):
        # A minute earlier than the first cycle: the interval counts local days, not 72 hours.
        world.cycle(T0 + day * DAY - (day == 3) * DAY / 1440)
        seen[day] = world.digests().get(PERKIM, {})

    assert seen == {
        1: {}, 2: {}, 3: {high: "PENGINGAT"}, 4: {}, 5: {}, 6: {high: "PENGINGAT"}, 7: {medium: "PENGINGAT"},
    }


def test_a_severity_rise_is_news_for_everyone_concerned(world: World) -> None:
    fid = world.finding(opd="PERKIM", severity="medium")
    world.cycle(T0)
    assert world.digests() == {PERKIM: {fid: "BARU"}}

    world.change(fid, severity="high")
    world.cycle(T0 + DAY / 24)

    digests = world.digests()
    assert digests == {PERKIM: {fid: "TINGKAT NAIK"}, BPKAD: {fid: "BARU"}}


def test_acknowledged_findings_get_no_reminders_until_their_severity_rises(world: World) -> None:
    world.configure(bpkad=())
    fid = world.finding(opd="PERKIM", severity="high")
    world.cycle(T0)
    world.smtp.take()
    world.change(fid, status="acknowledged", ack_note="sedang didaftarkan")

    for day in (3, 6, 20):
        assert world.cycle(T0 + day * DAY).enqueued == 0

    world.change(fid, severity="critical")
    world.cycle(T0 + 21 * DAY)
    assert world.digests() == {PERKIM: {fid: "TINGKAT NAIK"}}


def test_an_acknowledged_finding_nobody_was_told_about_stays_quiet(world: World) -> None:
    world.finding(opd="PERKIM", severity="high", status="acknowledged")
    assert world.cycle(T0).enqueued == 0


def test_silenced_findings_stay_quiet_until_the_silence_ends(world: World) -> None:
    world.configure(bpkad=())
    quiet_from_start = world.finding(opd="PERKIM", severity="critical", status="silenced")
    muted_later = world.finding(opd="PERKIM", severity="high")
    world.cycle(T0)
    assert world.digests() == {PERKIM: {muted_later: "BARU"}}

    world.change(muted_later, status="silenced")
    for day in range(1, 11):
        assert world.cycle(T0 + day * DAY).enqueued == 0, f"day {day}"

    world.change(muted_later, status="open")  # the engine lifts an expired silence
    world.cycle(T0 + 11 * DAY)
    assert world.digests() == {PERKIM: {muted_later: "PENGINGAT"}}
    assert quiet_from_start not in world.digests().get(PERKIM, {})


def test_a_resolved_finding_is_announced_once_to_everyone_who_was_told(world: World) -> None:
    fid = world.finding(opd="PUPR", severity="high")
    never_told = world.finding(opd="PUPR", severity="medium")
    world.resolve(never_told, T0 - DAY)  # resolved before any digest: nobody hears of it
    world.cycle(T0)
    assert world.digests() == {PUPR: {fid: "BARU"}, PPK_PUPR: {fid: "BARU"}, BPKAD: {fid: "BARU"}}

    world.resolve(fid, T0 + DAY / 2)
    world.cycle(T0 + DAY)
    messages = world.smtp.take()

    assert {r.recipient: items_of(r.message) for r in messages} == {
        PUPR: {fid: "SELESAI"}, PPK_PUPR: {fid: "SELESAI"}, BPKAD: {fid: "SELESAI"},
    }
    text = text_of(messages[0].message)
    assert "Sudah selesai sejak ringkasan terakhir" in text and "sudah terdaftar" in text
    assert ": 1 selesai - Temuan uji 1" in str(messages[0].message["Subject"])
    assert world.cycle(T0 + 2 * DAY).enqueued == 0
    assert world.cycle(T0 + 30 * DAY).enqueued == 0


def test_a_reopened_finding_is_news_again(world: World) -> None:
    world.configure(bpkad=())
    fid = world.finding(opd="PERKIM", severity="medium")
    world.cycle(T0)
    world.resolve(fid, T0 + DAY)
    world.cycle(T0 + DAY)
    world.smtp.take()

    world.change(fid, status="reopened", at=T0 + 2 * DAY, resolved_at=None)
    world.cycle(T0 + 2 * DAY)

    assert world.digests() == {PERKIM: {fid: "MUNCUL LAGI"}}


def test_a_finding_reopened_between_two_digests_is_not_mistaken_for_a_reminder(world: World) -> None:
    world.configure(bpkad=())
    fid = world.finding(opd="PERKIM", severity="medium")
    world.cycle(T0)
    world.smtp.take()
    world.resolve(fid, T0 + DAY / 4)
    world.change(fid, status="reopened", at=T0 + DAY / 2, resolved_at=None)

    world.cycle(T0 + DAY)

    assert world.digests() == {PERKIM: {fid: "MUNCUL LAGI"}}


def test_escalation_adds_the_escalation_recipients_after_n_days_open(world: World) -> None:
    world.configure(bpkad=(), escalate_after_days={"critical": 7})
    fid = world.finding(opd="PERKIM", severity="critical")  # reminded daily
    acked = world.finding(opd="PERKIM", severity="critical", status="acknowledged")
    received = {}
    for day in range(9):
        world.cycle(T0 + day * DAY)
        received[day] = world.digests()

    for day in range(7):
        assert SEKDA not in received[day] and INSPEKTORAT not in received[day], f"day {day}"
    assert received[7] == {PERKIM: {fid: "ESKALASI"}, SEKDA: {fid: "ESKALASI"}, INSPEKTORAT: {fid: "ESKALASI"}}
    assert received[8] == {PERKIM: {fid: "PENGINGAT"}, SEKDA: {fid: "PENGINGAT"}, INSPEKTORAT: {fid: "PENGINGAT"}}
    assert all(acked not in digest for day in received.values() for digest in day.values())


def test_the_escalated_digest_names_who_it_was_escalated_to(world: World) -> None:
    world.configure(bpkad=(), escalate_after_days={"high": 14})
    world.finding(opd="PERKIM", severity="high", opened_at=T0 - 14 * DAY)

    world.cycle(T0)

    messages = {r.recipient: " ".join(text_of(r.message).split()) for r in world.smtp.take()}
    assert set(messages) == {PERKIM, SEKDA, INSPEKTORAT}
    assert (
        f"Dieskalasikan ke: {SEKDA}, {INSPEKTORAT} (terbuka 14 hari, melewati batas 14 hari untuk tingkat tinggi)"
        in messages[PERKIM]
    )
    assert "penerima eskalasi" in messages[SEKDA]


def test_a_finding_open_one_day_short_of_the_limit_is_not_escalated(world: World) -> None:
    world.configure(bpkad=(), escalate_after_days={"high": 14})
    world.finding(opd="PERKIM", severity="high", opened_at=T0 - 13 * DAY)
    world.cycle(T0)
    assert set(world.digests()) == {PERKIM}


def test_a_cycle_run_as_of_an_earlier_time_than_the_engines_clock_follows_the_same_policy(world: World) -> None:
    # A demo replaying a year: the check engine stamped opened_at with today's wall clock, months after
    # the cycle's own time. Those stamps are not comparable; first_seen stands in for the opening day.
    world.configure(bpkad=(), escalate_after_days={"high": 14})
    engine_clock = T0 + 200 * DAY
    fid = world.finding(opd="PERKIM", severity="high", opened_at=engine_clock, first_seen=(T0 - 10 * DAY).date())

    labels = {}
    for day in (0, 1, 3, 4):
        world.cycle(T0 + day * DAY)
        labels[day] = world.digests()

    assert labels[0] == {PERKIM: {fid: "BARU"}}
    assert labels[1] == {}
    assert labels[3] == {PERKIM: {fid: "PENGINGAT"}}
    assert labels[4] == {PERKIM: {fid: "ESKALASI"}, SEKDA: {fid: "ESKALASI"}, INSPEKTORAT: {fid: "ESKALASI"}}


def test_the_bpkad_digest_carries_totals_per_opd(world: World) -> None:
    world.finding(opd="PUPR", severity="high", amount=1_250_000)
    world.finding(opd="PUPR", severity="medium", amount=500_000)
    world.finding(rule="jakon.payment_unregistered", opd="PERKIM", severity="critical", subject="SP2D-1", amount=0)
    world.finding(opd="PERKIM", severity="low", amount=75_000, status="silenced")

    world.cycle(T0)

    (bpkad,) = [r for r in world.smtp.take() if r.recipient == BPKAD]
    text = text_of(bpkad.message)
    rows = dict(
        (m.group(1), m.group(2, 3, 4, 5))
        for m in re.finditer(r"^(PUPR|PERKIM|Jumlah)\s+(\d+)\s+(\d+)\s+(\d+)\s+(Rp[\d.]+)$", text, re.MULTILINE)
    )
    assert rows == {
        "PUPR": ("2", "1", "0", "Rp1.750.000"),
        "PERKIM": ("1", "1", "1", "Rp0"),
        "Jumlah": ("3", "2", "1", "Rp1.750.000"),
    }
    assert str(bpkad.message["X-Pantau-Kind"]) == "bpkad"


def test_the_bpkad_totals_do_not_overflow_past_64_bits(world: World) -> None:
    for _ in range(3):  # Rp 1,2 x 10^19 together: SQLite's sum() of integers stops at 2^63 - 1
        world.finding(opd="PUPR", severity="high", amount=4 * 10**18)

    world.cycle(T0)

    (bpkad,) = [r for r in world.smtp.take() if r.recipient == BPKAD]
    assert re.search(r"^PUPR\s+3\s+3\s+0\s+Rp12\.000\.000\.000\.000\.000\.000$", text_of(bpkad.message), re.MULTILINE)


def test_an_address_with_several_roles_gets_one_email(world: World) -> None:
    # The BPKAD address is also the route for agreements: still one digest, carrying both.
    world.configure(routes={"agreement.*": (BPKAD.upper(),)}, fallback=())
    a = world.finding(rule="agreement.expired", opd=None, severity="medium", subject="MOU-1")
    b = world.finding(opd="PUPR", severity="high")

    world.cycle(T0)

    digests = world.digests()
    assert digests[BPKAD] == {a: "BARU", b: "BARU"}


def test_preview_builds_digests_without_recording_anything(world: World) -> None:
    world.finding(opd="PUPR", severity="high")

    first = build_digests(world.app, T0)
    second = build_digests(world.app, T0)

    assert [d.recipient for d in first] == [d.recipient for d in second] == [BPKAD, PPK_PUPR, PUPR]
    with world.app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert session.scalar(select(func.count()).select_from(Notification)) == 0


def test_what_was_sent_is_recorded_per_finding_and_recipient(world: World) -> None:
    fid = world.finding(opd="PERKIM", severity="medium")
    world.cycle(T0)

    with world.app.sessions() as session:
        (note,) = session.scalars(select(Notification).where(Notification.finding_id == fid))
        (row,) = session.scalars(select(OutboxMessage))
    assert (note.recipient, note.reason, note.severity, note.status, note.notified_at) == (
        PERKIM, "new", "medium", "open", T0,
    )
    assert note.message_id == row.message_id and note.outbox_id == row.id
    assert row.status == "sent" and row.sent_at == T0
