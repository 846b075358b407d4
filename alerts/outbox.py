"""The durable outbox: digests are rendered and committed before any attempt to send; senders claim
rows with a conditional UPDATE; failures retry with backoff; what cannot be delivered goes dead with
the server's reply.

Row states::

    pending ──claim──> sending ──accepted──> sent
       ^                  │ transient (4xx, refused, timeout), attempts left
       └── next_attempt ──┘
                          │ permanent (5xx), or attempts exhausted
                          └──> dead ──(pantau outbox retry)──> pending

Claiming is ``UPDATE ... SET status='sending', claim_token=T WHERE id=? AND status='pending' AND
next_attempt_at <= now`` followed by a row-count check, committed *before* the message is handed to
the transport. Two flushers (two processes, or the daemon and ``pantau alerts send``; SQLite or
PostgreSQL) can race for a row, but only one UPDATE matches it, so only one sends it.

Delivery guarantee — at-least-once, with one narrow window:

- A message the server accepted is marked ``sent`` in the transaction right after the hand-over; a
  normal re-run only picks ``pending`` rows, so it never sends an accepted message again.
- If the process dies between the server's "250 OK" and that commit, the row stays ``sending``. After
  the claim lease (:func:`claim_lease`, longer than any send can take) another flush reclaims and
  re-sends it: nothing is lost, but that one message may arrive twice. The copy carries the same
  ``Message-ID`` (stored with the row when it was rendered), so mail stores and clients that
  de-duplicate on Message-ID (Gmail, Exchange's duplicate detection, procmail ``formail -D``, most
  archivers) show it once. The file transport names files by Message-ID, so its copy overwrites itself.
- The opposite choice (mark ``sent`` before handing over: at-most-once) would lose the message when
  the crash happens first. Losing a compliance alert is worse than a rare duplicate, so Pantau does not.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_string
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any, cast

from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy import and_, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from alerts.attachments import DigestAttachment, digest_attachment
from alerts.digest import Digest, collect_digests
from alerts.render import Attachment, RenderedEmail, compose, new_message_id, render
from alerts.routing import address_key
from alerts.transports import Transport, TransportError, make_transport
from alerts.view import digest_context
from monitor.bootstrap import App
from monitor.db import transaction
from monitor.models import Notification, OutboxMessage
from monitor.settings import Settings

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"
STATUSES = (PENDING, SENDING, SENT, DEAD)
# After this many transient failures in a row the server is taken to be down: the rest of the due
# messages wait for the next flush instead of each waiting out a connect timeout now.
CONSECUTIVE_FAILURES_TO_PAUSE = 3
# "pantau.alerts" in ASCII: the PostgreSQL advisory lock that keeps two cycles from both enqueuing.
_ENQUEUE_LOCK_KEY = 0x616C65727473
_TRANSPORT_KEY = "alerts.transport"


@dataclass(frozen=True)
class FlushResult:
    sent: int = 0  # accepted by the transport in this flush
    failed: int = 0  # transient failures, rescheduled with backoff
    dead: int = 0  # went dead in this flush (permanent failure or attempts exhausted)
    pending: int = 0  # still waiting after this flush, due or not, those being sent elsewhere included
    sending: int = 0  # of them, claimed by another sender, or left "sending" by one that crashed
    # The server refused Pantau itself (credentials, TLS): why; the flush stopped and every message waits.
    blocked: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CycleResult:
    enqueued: int
    flush: FlushResult

    def as_dict(self) -> dict[str, Any]:
        return {"enqueued": self.enqueued, "flush": self.flush.as_dict()}


class DeliveryMetrics:
    """What only the sending process knows, on the registry of the process that owns it (the daemon's):
    ``pantau_emails_blocked{cause}`` is 1 while the mail server refuses Pantau itself."""

    CAUSES = ("authentication", "tls")

    def __init__(self, registry: CollectorRegistry) -> None:
        self.blocked = Gauge(
            "pantau_emails_blocked", "1 while the mail server refuses Pantau itself (credentials or TLS): "
            "every email waits until the configuration is fixed.", ["cause"], registry=registry,
        )
        for cause in self.CAUSES:
            self.blocked.labels(cause).set(0)

    def refused(self, cause: str) -> None:
        for known in self.CAUSES:
            self.blocked.labels(known).set(1 if known == cause else 0)

    def delivered(self) -> None:
        for cause in self.CAUSES:
            self.blocked.labels(cause).set(0)


_METRICS_KEY = "alerts.metrics"


def install_delivery_metrics(app: App, registry: CollectorRegistry) -> DeliveryMetrics:
    """Give ``app``'s flushes their metrics on ``registry`` (the daemon does, at start)."""
    metrics = app.extras[_METRICS_KEY] = DeliveryMetrics(registry)
    return metrics


def claim_lease(settings: Settings) -> timedelta:
    """How long a claim protects a ``sending`` row. Longer than any send can take (aiosmtplib applies
    the timeout per command: connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA), so a live sender is
    never overtaken; after it, a row left by a crashed sender is sent again."""
    return timedelta(seconds=max(300.0, 10 * settings.smtp.timeout))


def backoff(settings: Settings, attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with "equal jitter": half the step fixed, half random, so a fleet of
    messages that failed together does not retry in lock-step."""
    alerts = settings.alerts
    step = min(alerts.backoff_max_seconds, alerts.backoff_seconds * 2 ** max(attempts - 1, 0))
    jitter = (rng or random).uniform(0, step / 2)
    return timedelta(seconds=step / 2 + jitter)


# --- enqueue ---------------------------------------------------------------------------------------


def enqueue_due_digests(app: App, now: datetime) -> int:
    """Build this cycle's digests, render them and commit them to the outbox with the notifications
    they carry, in one transaction. Returns how many messages were queued; nothing is sent here."""
    with transaction(app.sessions) as session:
        _lock_enqueue(session)
        digests = collect_digests(session, app.settings, now)
        for digest in digests:
            enqueue_digest(session, app.settings, digest, now)
    if digests:
        log.info("alerts: %d digest(s) queued", len(digests), extra={"queued": len(digests)})
    return len(digests)


def _lock_enqueue(session: Session) -> None:
    """Two cycles at once (the daemon and a CLI run) must not both queue the same findings."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ENQUEUE_LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        # Take the write lock before reading, so the second cycle waits and then sees the first's rows.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def render_digest(
    settings: Settings, digest: Digest, now: datetime, message_id: str, full_list: DigestAttachment | None = None,
) -> EmailMessage:
    """The digest's message; with ``full_list`` it attaches the complete list and the cut sections point to it."""
    attachment = full_list.attachment if full_list is not None else None
    context = digest_context(digest, settings, now, attachment=attachment.filename if attachment else "",
                             attachment_notice=full_list.notice if full_list is not None else "")
    return compose(
        render(digest.kind, context), sender=settings.smtp.sender, recipient=digest.recipient,
        message_id=message_id, date=now, kind=digest.kind, attachments=[attachment] if attachment else [],
    )


def enqueue_message(
    session: Session, settings: Settings, *, kind: str, recipient: str, rendered: RenderedEmail, now: datetime,
    attachments: Sequence[Attachment] = (), finding_count: int = 0,
) -> OutboxMessage:
    """Commit-ready outbox row for one message, its attachments inside the stored RFC 5322 text: a mail
    outage or a crash after the commit loses nothing."""
    message_id = new_message_id(settings.smtp.sender)
    message = compose(rendered, sender=settings.smtp.sender, recipient=recipient, message_id=message_id, date=now,
                      kind=kind, attachments=attachments)
    return _store(session, message, message_id, kind, recipient, finding_count, now)


def _store(session: Session, message: EmailMessage, message_id: str, kind: str, recipient: str, finding_count: int,
           now: datetime) -> OutboxMessage:
    row = OutboxMessage(
        message_id=message_id, kind=kind, recipient=recipient, subject=str(message["Subject"]),
        raw=message.as_string(), status=PENDING, attempts=0, finding_count=finding_count,
        created_at=now, next_attempt_at=now,
    )
    session.add(row)
    session.flush()
    return row


def enqueue_digest(session: Session, settings: Settings, digest: Digest, now: datetime) -> OutboxMessage:
    message_id = new_message_id(settings.smtp.sender)
    message = render_digest(settings, digest, now, message_id, digest_attachment(session, settings, digest, now))
    row = _store(session, message, message_id, digest.kind, digest.recipient, len(digest.items), now)
    recipient = address_key(digest.recipient)
    session.execute(
        insert(Notification),
        [
            {
                "finding_id": item.finding.id, "recipient": recipient, "outbox_id": row.id,
                "message_id": message_id, "reason": item.reason, "severity": item.finding.severity,
                "status": item.finding.status, "notified_at": now,
            }
            for item in digest.items
        ],
    )
    return row


# --- flush -----------------------------------------------------------------------------------------


def app_transport(app: App) -> Transport:
    """The app's transport, made from settings on first use."""
    if _TRANSPORT_KEY not in app.extras:
        app.extras[_TRANSPORT_KEY] = make_transport(app.settings)
    return cast(Transport, app.extras[_TRANSPORT_KEY])


def flush_outbox(
    app: App, now: datetime, transport: Transport | None = None, *, rng: random.Random | None = None,
) -> FlushResult:
    """Deliver every due message: pending ones whose next attempt has come, and ``sending`` ones whose
    claim lease ran out (their sender died). Each is claimed, sent and recorded on its own."""
    transport = transport or app_transport(app)
    settings = app.settings
    metrics: DeliveryMetrics | None = app.extras.get(_METRICS_KEY)
    stale_before = now - claim_lease(settings)
    sent = failed = dead = 0
    in_a_row = 0
    blocked: str | None = None
    for row_id in _due(app, now, stale_before):
        claimed = _claim(app, row_id, now, stale_before)
        if claimed is None:
            continue  # another flusher got it first
        token, raw, attempts = claimed
        error = _deliver(transport, raw)
        if error is None:
            _finish(app, row_id, token, status=SENT, sent_at=now, last_error=None)
            sent += 1
            in_a_row = 0
            if metrics is not None:
                metrics.delivered()
            continue
        if error.refused_sender is not None:
            # Not this message's fault: put it back as it was (this attempt not counted) and stop, so the
            # other messages neither die nor cost a connection each; the next flush tries again.
            _finish(app, row_id, token, status=PENDING, attempts=attempts - 1, next_attempt_at=now,
                    last_error=error.message)
            blocked = error.message
            log.error(
                "alerts: the mail server refused Pantau itself (%s): %s; every message stays pending until "
                "[smtp] is fixed", error.refused_sender, error.message,
                extra={"outbox_id": row_id, "cause": error.refused_sender},
            )
            if metrics is not None:
                metrics.refused(error.refused_sender)
            break
        if error.permanent or attempts >= settings.alerts.max_attempts:
            reason = error.message if error.permanent else f"gave up after {attempts} attempts: {error.message}"
            _finish(app, row_id, token, status=DEAD, last_error=reason)
            dead += 1
            log.warning("alerts: message %d dead: %s", row_id, reason, extra={"outbox_id": row_id})
        else:
            retry_at = now + backoff(settings, attempts, rng)
            _finish(app, row_id, token, status=PENDING, next_attempt_at=retry_at, last_error=error.message)
            failed += 1
            log.info(
                "alerts: message %d failed (attempt %d), retry at %s: %s", row_id, attempts,
                retry_at.isoformat(), error.message, extra={"outbox_id": row_id},
            )
        in_a_row = 0 if error.permanent else in_a_row + 1
        if in_a_row >= CONSECUTIVE_FAILURES_TO_PAUSE:
            log.warning("alerts: %d failures in a row; the rest waits for the next flush", in_a_row)
            break
    with app.sessions() as session:
        # A row a crashed sender left "sending" is still waiting: when its lease runs out it is sent again.
        waiting = dict(session.execute(
            select(OutboxMessage.status, func.count()).where(OutboxMessage.status.in_((PENDING, SENDING)))
            .group_by(OutboxMessage.status)
        ).tuples().all())
    return FlushResult(sent=sent, failed=failed, dead=dead, pending=waiting.get(PENDING, 0) + waiting.get(SENDING, 0),
                       sending=waiting.get(SENDING, 0), blocked=blocked)


def send_cycle(app: App, now: datetime, transport: Transport | None = None) -> CycleResult:
    """One alerts cycle: queue the due digests, then deliver everything that is due."""
    enqueued = enqueue_due_digests(app, now)
    return CycleResult(enqueued=enqueued, flush=flush_outbox(app, now, transport))


def _due(app: App, now: datetime, stale_before: datetime) -> list[int]:
    o = OutboxMessage
    with app.sessions() as session:
        return list(session.scalars(
            select(o.id).where(_claimable(now, stale_before)).order_by(o.next_attempt_at, o.id)
        ))


def _claimable(now: datetime, stale_before: datetime) -> ColumnElement[bool]:
    o = OutboxMessage
    return or_(
        and_(o.status == PENDING, o.next_attempt_at <= now),
        and_(o.status == SENDING, o.claimed_at < stale_before),
    )


def _claim(app: App, row_id: int, now: datetime, stale_before: datetime) -> tuple[str, str, int] | None:
    """Take the row if it is still claimable; commit before sending so a rival sees it taken."""
    o = OutboxMessage
    token = uuid.uuid4().hex
    with transaction(app.sessions) as session:
        # The UPDATE comes first in its transaction: on SQLite it takes the write lock (waiting for a
        # rival) before reading; on PostgreSQL a rival's committed claim makes the WHERE false.
        result = session.execute(
            update(OutboxMessage)
            .where(o.id == row_id, _claimable(now, stale_before))
            .values(status=SENDING, claim_token=token, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        row = session.execute(select(o.raw, o.attempts).where(o.id == row_id)).one()
    return token, row.raw, row.attempts


def _deliver(transport: Transport, raw: str) -> TransportError | None:
    message = cast(EmailMessage, message_from_string(raw, policy=email_policy.default))
    try:
        transport.send(message)
    except TransportError as exc:
        return exc
    except Exception as exc:  # a transport bug must not stop the outbox; retry like a transient failure
        log.exception("alerts: transport %s failed unexpectedly", getattr(transport, "name", transport))
        return TransportError(f"{type(exc).__name__}: {exc}", permanent=False)
    return None


def _finish(app: App, row_id: int, token: str, **values: object) -> None:
    o = OutboxMessage
    with transaction(app.sessions) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(o.id == row_id, o.claim_token == token)
            .values(claim_token=None, **values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            # Our lease ran out and another flusher took the row over; it records the outcome.
            log.warning("alerts: lost the claim on message %d before recording it", row_id)


# --- management (pantau outbox ...) ------------------------------------------------------------------


def list_messages(session: Session, status: str | None = None, limit: int = 100) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return list(session.scalars(query))


def retry_messages(session: Session, now: datetime, ids: Iterable[int] = ()) -> int:
    """Queue dead messages (all, or the given ones) again, as they were rendered, with fresh attempts;
    given pending ones are made due now. Sent and in-flight messages are never touched."""
    o = OutboxMessage
    wanted = list(ids)
    query = update(OutboxMessage).values(status=PENDING, attempts=0, next_attempt_at=now)
    chosen = and_(o.id.in_(wanted), o.status.in_((DEAD, PENDING))) if wanted else o.status == DEAD
    query = query.where(chosen)
    return int(session.execute(query).rowcount)  # type: ignore[attr-defined]


def purge_messages(session: Session, older_than: datetime, *, dead: bool = False) -> int:
    """Delete sent messages created before ``older_than`` (and dead ones with ``dead``). A sent
    message's notifications stay, as the history of who was told what; a dead message's go with it,
    since nobody was told."""
    o, n = OutboxMessage, Notification
    statuses = (SENT, DEAD) if dead else (SENT,)
    ids = list(session.scalars(select(o.id).where(o.status.in_(statuses), o.created_at < older_than)))
    removed = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        session.execute(delete(Notification).where(n.outbox_id.in_(chunk), n.outbox_id.in_(
            select(o.id).where(o.id.in_(chunk), o.status == DEAD))))
        session.execute(update(Notification).where(n.outbox_id.in_(chunk)).values(outbox_id=None))
        removed += int(session.execute(delete(OutboxMessage).where(o.id.in_(chunk))).rowcount)  # type: ignore[attr-defined]
    return removed


def purge_history(session: Session, older_than: datetime) -> int:
    """Delete notifications of delivered messages recorded before ``older_than``, except the latest
    delivered one per finding and recipient (the "last notified" the digest policy needs). Those of
    messages still pending or dead stay: a message retried later must still record whom it tells.
    Returns how many were deleted."""
    n, o = Notification.__table__.c, OutboxMessage.__table__.c
    delivered = or_(n.outbox_id.is_(None), n.outbox_id.in_(select(o.id).where(o.status == SENT)))
    latest = select(func.max(n.id)).where(delivered).group_by(n.finding_id, n.recipient)
    statement = delete(Notification).where(n.notified_at < older_than, delivered, n.id.not_in(latest))
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
