"""The durable outbox against a real SMTP server on loopback: waiting out an outage, retries and
backoff, dead letters, crash recovery, and exclusive claiming by concurrent senders."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult
from alerts_support import DAY, T0, SmtpServer, World, items_of
from sqlalchemy import func, select

from alerts.outbox import (
    _claim,
    backoff,
    claim_lease,
    enqueue_due_digests,
    flush_outbox,
    purge_history,
    purge_messages,
    retry_messages,
    send_cycle,
)
from alerts.transports import Transport
from monitor import db
from monitor.bootstrap import App
from monitor.models import Notification, OutboxMessage
from monitor.settings import AlertSettings, Settings

PERKIM = "perkim@jambikota.go.id"


class ProcessDied(BaseException):
    """Stands for the process being killed: nothing in Pantau catches it."""


class DiesAfterHandOver:
    name = "dies"

    def __init__(self, inner: Transport) -> None:
        self.inner = inner

    def send(self, message: EmailMessage) -> None:
        self.inner.send(message)  # the server has said 250 ...
        raise ProcessDied  # ... and the process dies before the outbox records it


class Slow:
    name = "slow"

    def __init__(self, inner: Transport, seconds: float) -> None:
        self.inner, self.seconds = inner, seconds

    def send(self, message: EmailMessage) -> None:
        time.sleep(self.seconds)
        self.inner.send(message)


def _one_message(world: World) -> int:
    world.configure(bpkad=())
    return world.finding(opd="PERKIM", severity="medium")


def test_a_digest_is_multipart_alternative_plus_its_full_list_with_the_stored_message_id(world: World) -> None:
    fid = _one_message(world)
    world.cycle(T0)

    (received,) = world.smtp.take()
    (row,) = world.outbox()
    message = received.message
    assert message.get_content_type() == "multipart/mixed"
    body, attached = message.iter_parts()
    assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "text/html"]
    assert attached.get_filename().startswith("temuan-terbuka-PERKIM-")
    assert message["Message-ID"] == row.message_id and row.message_id.endswith("@jambikota.go.id>")
    assert (message["From"], message["To"], message["Auto-Submitted"]) == (
        "Pantau <pantau@jambikota.go.id>", PERKIM, "auto-generated",
    )
    assert message["Date"].datetime == T0
    assert items_of(message) == {fid: "BARU"}


def test_with_the_server_down_messages_wait_then_all_arrive_once(world: World) -> None:
    world.finding(opd="PUPR", severity="high")  # pupr, its cc and BPKAD
    world.finding(opd="PERKIM", severity="medium")
    world.smtp.stop()

    down = world.cycle(T0)
    still_down = world.cycle(T0 + timedelta(minutes=5))

    assert (down.enqueued, down.flush.sent, down.flush.pending) == (4, 0, 4)
    assert down.flush.failed == 3  # then it stops trying: the server is down, the rest waits
    assert (still_down.enqueued, still_down.flush.sent, still_down.flush.pending) == (0, 0, 4)
    assert all(row.status == "pending" and "Connect" in (row.last_error or "") for row in world.outbox()
               if row.attempts)

    world.smtp.start()
    back = world.flush(T0 + timedelta(hours=1))

    assert (back.sent, back.failed, back.dead, back.pending) == (4, 0, 0, 0)
    received = world.smtp.take()
    assert sorted(r.recipient for r in received) == sorted(row.recipient for row in world.outbox())
    assert sorted(str(r.message["Message-ID"]) for r in received) == sorted(row.message_id for row in world.outbox())
    assert world.cycle(T0 + timedelta(hours=2)).flush.sent == 0
    assert world.smtp.take() == []


def test_a_4xx_reply_is_retried_after_a_backoff(world: World) -> None:
    _one_message(world)
    world.smtp.handler.replies.append("451 4.3.0 Mail server temporarily rejected message")

    first = world.cycle(T0)

    (row,) = world.outbox()
    assert (first.flush.failed, first.flush.pending, row.status, row.attempts) == (1, 1, "pending", 1)
    assert "451 4.3.0 Mail server temporarily rejected message" in (row.last_error or "")
    # backoff_seconds = 60 with equal jitter: between 30 and 60 seconds.
    assert T0 + timedelta(seconds=30) <= row.next_attempt_at <= T0 + timedelta(seconds=60)
    assert world.flush(T0 + timedelta(seconds=29)).sent == 0

    later = world.flush(T0 + timedelta(seconds=61))

    assert (later.sent, later.pending) == (1, 0)
    (received,) = world.smtp.take()
    assert received.message["Message-ID"] == row.message_id


def test_a_5xx_reply_makes_the_message_dead_with_the_servers_reason(world: World) -> None:
    fid = _one_message(world)
    world.smtp.handler.replies.append("550 5.1.1 Mailbox unavailable")

    result = world.cycle(T0)

    (row,) = world.outbox()
    assert (result.flush.dead, result.flush.pending, row.status, row.attempts) == (1, 0, "dead", 1)
    assert row.last_error == "550 5.1.1 Mailbox unavailable"
    assert world.flush(T0 + DAY).sent == 0
    # Nobody was told: the next cycle carries the finding again, in a new message.
    again = world.cycle(T0 + DAY)
    assert (again.enqueued, again.flush.sent) == (1, 1)
    assert items_of(world.smtp.take()[0].message) == {fid: "BARU"}


def test_a_message_past_the_attempt_limit_goes_dead(world: World) -> None:
    _one_message(world)
    world.configure(bpkad=(), max_attempts=3, backoff_seconds=1.0, backoff_max_seconds=2.0)
    world.smtp.handler.always = "421 4.7.0 Try again later, closing connection"

    world.enqueue(T0)
    results = [world.flush(T0 + timedelta(seconds=10 * i)) for i in (0, 1, 2, 3)]

    assert [(r.failed, r.dead) for r in results] == [(1, 0), (1, 0), (0, 1), (0, 0)]
    (row,) = world.outbox()
    assert row.status == "dead" and row.attempts == 3
    assert row.last_error == "gave up after 3 attempts: 421 4.7.0 Try again later, closing connection"


def test_backoff_grows_exponentially_up_to_the_maximum_with_jitter() -> None:
    settings = Settings(alerts=AlertSettings(backoff_seconds=60.0, backoff_max_seconds=3600.0))
    rng = random.Random(7)
    delays = {
        attempt: sorted(backoff(settings, attempt, rng).total_seconds() for _ in range(200))
        for attempt in (1, 2, 7, 20)
    }

    assert delays[1][0] >= 30 and delays[1][-1] <= 60
    assert delays[2][0] >= 60 and delays[2][-1] <= 120
    assert delays[7][0] >= 1800 and delays[7][-1] <= 3600  # 60 * 2**6 capped at one hour
    assert delays[20][0] >= 1800 and delays[20][-1] <= 3600
    assert len(set(delays[1])) > 100  # jittered, not in lock-step


def test_a_crash_after_hand_over_loses_nothing_and_a_normal_rerun_sends_nothing_twice(world: World) -> None:
    _one_message(world)
    world.enqueue(T0)

    with pytest.raises(ProcessDied):
        world.flush(T0, DiesAfterHandOver(world.smtp.transport()))

    (row,) = world.outbox()
    assert row.status == "sending" and len(world.smtp.received) == 1
    # A re-run while the claim lease holds does not send it again (its sender may still be at work).
    assert world.flush(T0 + timedelta(minutes=1)).sent == 0
    assert len(world.smtp.received) == 1

    # After the lease the row is taken over and sent again: at-least-once, with the same Message-ID.
    recovered = world.flush(T0 + claim_lease(world.app.settings) + timedelta(seconds=1))

    assert recovered.sent == 1
    first, second = world.smtp.take()
    assert first.message["Message-ID"] == second.message["Message-ID"] == row.message_id
    (row,) = world.outbox()
    assert (row.status, row.attempts) == ("sent", 2)
    assert world.flush(T0 + DAY).sent == 0 and world.smtp.take() == []


def test_a_row_can_be_claimed_only_once(world: World) -> None:
    _one_message(world)
    world.enqueue(T0)
    (row,) = world.outbox()
    stale_before = T0 - timedelta(hours=1)

    first = _claim(world.app, row.id, T0, stale_before)
    second = _claim(world.app, row.id, T0, stale_before)

    assert first is not None and second is None


def test_two_flushers_on_one_database_never_send_the_same_message(world: World, database_url: str) -> None:
    recipients = tuple(f"r{i:02d}@example.org" for i in range(30))
    world.configure(bpkad=(), fallback=(), routes={"data.*": recipients})
    world.finding(rule="data.orphan_registration", opd=None, severity="low", subject="REG-1")
    assert world.enqueue(T0) == 30
    other_engine = db.make_engine(database_url)
    other = App(settings=world.app.settings, engine=other_engine, sessions=db.make_session_factory(other_engine))
    start = threading.Barrier(2)
    results = {}

    def flusher(name: str, app: App) -> None:
        start.wait()
        results[name] = flush_outbox(app, T0, Slow(world.smtp.transport(), 0.01))

    threads = [threading.Thread(target=flusher, args=(n, a)) for n, a in (("a", world.app), ("b", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    other_engine.dispose()

    received = world.smtp.take()
    assert results["a"].sent + results["b"].sent == 30
    assert min(results["a"].sent, results["b"].sent) > 0, "both flushers should have won some rows"
    assert len(received) == 30
    assert len({str(r.message["Message-ID"]) for r in received}) == 30
    assert sorted(r.recipient for r in received) == list(recipients)
    assert {row.status for row in world.outbox()} == {"sent"}


def test_two_cycles_at_once_queue_each_digest_once(world: World, database_url: str) -> None:
    world.finding(opd="PUPR", severity="high")
    other_engine = db.make_engine(database_url)
    other = App(settings=world.app.settings, engine=other_engine, sessions=db.make_session_factory(other_engine))
    start = threading.Barrier(2)
    counts = {}

    def cycle(name: str, app: App) -> None:
        start.wait()
        counts[name] = enqueue_due_digests(app, T0)

    threads = [threading.Thread(target=cycle, args=(n, a)) for n, a in (("a", world.app), ("b", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    other_engine.dispose()

    assert sorted(counts.values()) == [0, 3]
    assert len(world.outbox()) == 3


def test_retry_queues_dead_messages_again_as_they_were(world: World) -> None:
    _one_message(world)
    world.smtp.handler.replies.append("554 5.7.1 Relay access denied")
    world.cycle(T0)
    (dead,) = world.outbox()

    with db.transaction(world.app.sessions) as session:
        assert retry_messages(session, T0 + DAY) == 1
    result = world.flush(T0 + DAY)

    (received,) = world.smtp.take()
    assert result.sent == 1 and received.message["Message-ID"] == dead.message_id
    (row,) = world.outbox()
    assert (row.status, row.attempts) == ("sent", 1)


def test_purge_deletes_old_sent_messages_but_keeps_who_was_told(world: World) -> None:
    _one_message(world)
    world.cycle(T0)
    with db.transaction(world.app.sessions) as session:
        assert purge_messages(session, T0 - DAY) == 0
        assert purge_messages(session, T0 + DAY) == 1

    assert world.outbox() == []
    with world.app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 1
    assert world.cycle(T0 + DAY).enqueued == 0  # still known as told: no repeat before the interval


def _notifications(world: World) -> list[tuple[int, str]]:
    with world.app.sessions() as session:
        return sorted(session.execute(select(Notification.finding_id, Notification.recipient)).tuples())


def test_purging_history_keeps_the_last_notice_per_finding_and_recipient(world: World) -> None:
    _one_message(world)  # medium: reminded every 7 days
    for day in (0, 7, 14):
        world.cycle(T0 + day * DAY)
    told = _notifications(world)
    pairs = sorted(set(told))
    assert len(told) == 3 * len(pairs)

    with db.transaction(world.app.sessions) as session:
        assert purge_history(session, T0 + 5 * DAY) == len(pairs)  # only the day-0 notices are older
        assert purge_history(session, T0 + 30 * DAY) == len(pairs)  # day 7; day 14 is the last one
        assert purge_history(session, T0 + 30 * DAY) == 0
    assert _notifications(world) == pairs

    assert world.cycle(T0 + 20 * DAY).enqueued == 0  # the last notice (day 14) still decides
    assert world.cycle(T0 + 21 * DAY).enqueued == 1


def test_purging_history_keeps_the_notices_of_messages_not_yet_sent(world: World) -> None:
    _one_message(world)
    world.cycle(T0)
    world.enqueue(T0 + 7 * DAY)  # queued, not sent
    before = _notifications(world)
    with db.transaction(world.app.sessions) as session:
        # The day-0 notice is the last delivered one; the queued message's must stay for when it is sent.
        assert purge_history(session, T0 + 30 * DAY) == 0
    assert _notifications(world) == before


def test_purging_a_dead_message_forgets_its_notifications(world: World) -> None:
    fid = _one_message(world)
    world.smtp.handler.replies.append("550 5.1.1 Mailbox unavailable")
    world.enqueue(T0)
    world.flush(T0)
    with db.transaction(world.app.sessions) as session:
        assert purge_messages(session, T0 + DAY, dead=True) == 1
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert session.scalar(select(func.count()).select_from(Notification)) == 0

    world.cycle(T0 + DAY)
    assert items_of(world.smtp.take()[0].message) == {fid: "BARU"}


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_server_that_needs_login_gets_the_password_from_the_environment(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    logins = []

    def authenticator(server: object, session: object, envelope: object, mechanism: str, auth_data: Any) -> AuthResult:
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"rahasia")

    # Plain AUTH without TLS on loopback only: the server's warning about it is expected here.
    server = SmtpServer(authenticator=authenticator, auth_require_tls=False, auth_required=True)
    server.start()
    try:
        monkeypatch.setenv("PANTAU_SMTP_PASSWORD", "rahasia")
        _one_message(world)
        settings = world.app.settings
        world.app = App(
            settings=settings.model_copy(update={
                "smtp": server.settings(username="pantau", sender="pantau@jambikota.go.id"),
                "alerts": settings.alerts.model_copy(update={"transport": "smtp"}),
            }),
            engine=world.app.engine, sessions=world.app.sessions,
        )

        result = send_cycle(world.app, T0)  # the transport made from [alerts] and [smtp]

        assert result.flush.sent == 1
        assert logins == [(b"pantau", b"rahasia")]
        assert len(server.received) == 1
    finally:
        server.stop()


def _smtp_app(world: World, server: SmtpServer, **smtp: Any) -> App:
    settings = world.app.settings
    return App(
        settings=settings.model_copy(update={
            "smtp": server.settings(sender="pantau@jambikota.go.id", **smtp),
            "alerts": settings.alerts.model_copy(update={"transport": "smtp"}),
        }),
        engine=world.app.engine, sessions=world.app.sessions,
    )


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_credentials_refused_stop_the_flush_at_the_first_message_and_every_message_stays_pending(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    from prometheus_client import CollectorRegistry

    from alerts.outbox import install_delivery_metrics

    sessions: list[object] = []  # aiosmtplib tries each mechanism the server offers, on one connection
    accepted = {b"rahasia-baru"}

    def authenticator(server: object, session: object, envelope: object, mechanism: str, auth_data: Any) -> AuthResult:
        if not any(session is seen for seen in sessions):
            sessions.append(session)
        # Refused: aiosmtpd answers "535 5.7.8 Authentication credentials invalid".
        return AuthResult(success=auth_data.password in accepted, handled=False)

    server = SmtpServer(authenticator=authenticator, auth_require_tls=False, auth_required=True)
    server.start()
    try:
        world.configure(bpkad=())
        for opd in ("PUPR", "PERKIM", "DISDIK"):
            world.finding(opd=opd, severity="medium")
        monkeypatch.setenv("PANTAU_SMTP_PASSWORD", "rahasia-lama")
        app = world.app = _smtp_app(world, server, username="pantau")
        registry = CollectorRegistry()
        install_delivery_metrics(app, registry)
        app.settings = app.settings.model_copy(update={"alerts": app.settings.alerts.model_copy(
            update={"max_attempts": 1})})  # one counted attempt would be enough to kill them all

        result = send_cycle(app, T0)

        assert result.enqueued >= 3
        assert (result.flush.sent, result.flush.dead, result.flush.failed) == (0, 0, 0)
        assert result.flush.blocked is not None and "535" in result.flush.blocked
        assert len(sessions) == 1  # one connection, not one per message
        rows = world.outbox()
        assert {r.status for r in rows} == {"pending"} and {r.attempts for r in rows} == {0}
        errors = [r for r in caplog.records if r.levelname == "ERROR"]
        assert len(errors) == 1 and "535" in errors[0].getMessage() and "authentication" in errors[0].getMessage()
        assert registry.get_sample_value("pantau_emails_blocked", {"cause": "authentication"}) == 1

        accepted.add(b"rahasia-lama")  # the mail admin fixes the account
        again = flush_outbox(app, T0 + timedelta(minutes=1))

        assert (again.sent, again.blocked) == (len(rows), None)
        assert {r.status for r in world.outbox()} == {"sent"}
        assert registry.get_sample_value("pantau_emails_blocked", {"cause": "authentication"}) == 0
    finally:
        server.stop()


def test_a_tls_failure_stops_the_flush_too(world: World, smtp_server: SmtpServer) -> None:
    world.configure(bpkad=())
    world.finding(opd="PUPR", severity="medium")
    world.finding(opd="PERKIM", severity="medium")
    app = world.app = _smtp_app(world, smtp_server, starttls=True)  # the server offers no STARTTLS

    result = send_cycle(app, T0)

    assert (result.flush.sent, result.flush.dead) == (0, 0)
    assert result.flush.blocked is not None and "STARTTLS" in result.flush.blocked
    assert {(r.status, r.attempts) for r in world.outbox()} == {("pending", 0)}
