"""Helpers for the alerts tests: a real SMTP server on loopback (aiosmtpd) whose replies the test
controls, a small Finding factory writing rows straight into the database (no check engine needed),
and parsing of the digests the server received."""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from alerts.digest import Digest, DigestItem, FindingView
from alerts.outbox import CycleResult, FlushResult, enqueue_due_digests, flush_outbox, send_cycle
from alerts.routing import Role
from alerts.transports import SmtpTransport, Transport
from monitor.bootstrap import App
from monitor.db import transaction
from monitor.models import Finding, FindingEvent, OutboxMessage
from monitor.records import fingerprint
from monitor.settings import SmtpSettings

# 07:00 in Jambi (WIB, UTC+7): when the daily cycle runs.
T0 = datetime(2026, 4, 15, 0, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ITEM_LINE = re.compile(r"^\[([^\]]+)\] #(\d+) ", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    envelope_to: list[str]
    message: EmailMessage

    @property
    def recipient(self) -> str:
        return self.envelope_to[0].casefold()


class RecordingHandler:
    """Accepts every message unless the test queued replies (``"451 ..."``, ``"550 ..."``)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.replies: list[str] = []
        self.always: str | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.always is not None:
                return self.always
            if self.replies:
                return self.replies.pop(0)
            raw = envelope.original_content or envelope.content
            message = cast(EmailMessage, message_from_bytes(raw, policy=email_policy.default))
            self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 that can be stopped and started again on the same port."""

    def __init__(self, **controller_options: Any) -> None:
        self.port = free_port()
        self.handler = RecordingHandler()
        self.options = controller_options
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **self.options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def take(self) -> list[Received]:
        """The messages received since the last call."""
        with self.handler.lock:
            taken, self.handler.received[:] = list(self.handler.received), []
        return taken

    def settings(self, **changes: Any) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=self.port, timeout=5, **changes)

    def transport(self, **changes: Any) -> SmtpTransport:
        return SmtpTransport(self.settings(**changes))


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # a 7bit body keeps the wire's CRLF


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def items_of(message: EmailMessage) -> dict[int, str]:
    """finding id -> the label it carries in the digest (BARU, PENGINGAT, SELESAI, ...)."""
    return {int(fid): label for label, fid in ITEM_LINE.findall(text_of(message))}


def by_recipient(received: list[Received]) -> dict[str, dict[int, str]]:
    digests: dict[str, dict[int, str]] = {}
    for r in received:
        assert len(r.envelope_to) == 1, "one digest, one recipient"
        assert r.recipient not in digests, f"{r.recipient} got two emails in one cycle"
        digests[r.recipient] = items_of(r.message)
    return digests


@dataclass
class World:
    """The app under test with its own alerts settings, a clock and an SMTP server."""

    app: App
    smtp: SmtpServer
    counter: int = 0
    transport: Transport | None = None
    subjects: dict[int, str] = field(default_factory=dict)

    def configure(self, **alerts: Any) -> None:
        settings = self.app.settings
        self.app = App(
            settings=settings.model_copy(update={
                "alerts": settings.alerts.model_copy(update=alerts),
                "smtp": settings.smtp.model_copy(update={"sender": "pantau@jambikota.go.id"}),
            }),
            engine=self.app.engine, sessions=self.app.sessions,
        )

    def finding(
        self, *, rule: str = "jakon.unregistered", opd: str | None = "PUPR", severity: str = "high",
        status: str = "open", title: str | None = None, amount: int = 2_350_000, opened_at: datetime = T0,
        details: dict[str, Any] | None = None, subject: str | None = None, first_seen: date | None = None,
    ) -> int:
        self.counter += 1
        subject = subject or f"{opd}|{self.counter:03d}/SPK/IV/2026"
        with transaction(self.app.sessions) as session:
            row = Finding(
                fingerprint=fingerprint(rule, subject), rule=rule, severity=severity, status=status, opd=opd,
                subject=subject, title=title or f"Temuan uji {self.counter}", amount_at_risk=amount,
                details=details if details is not None else {"nomor_kontrak": subject.split("|")[-1]},
                content_hash="0" * 40, first_seen=first_seen or opened_at.date(), last_seen=opened_at.date(),
                opened_at=opened_at,
            )
            session.add(row)
            session.flush()
            return row.id

    def change(self, finding_id: int, *, at: datetime | None = None, **values: Any) -> None:
        """Update a finding the way the check engine would, with a history row for status changes."""
        with transaction(self.app.sessions) as session:
            before = session.scalar(select(Finding.status).where(Finding.id == finding_id))
            session.execute(update(Finding).where(Finding.id == finding_id).values(**values))
            if "status" in values and values["status"] != before:
                session.add(FindingEvent(
                    finding_id=finding_id, at=at or T0, from_status=before, to_status=values["status"], actor="test",
                ))

    def resolve(self, finding_id: int, at: datetime) -> None:
        self.change(finding_id, at=at, status="resolved", resolved_at=at, resolved_reason="sudah terdaftar")

    def cycle(self, now: datetime) -> CycleResult:
        return send_cycle(self.app, now, self.transport or self.smtp.transport())

    def enqueue(self, now: datetime) -> int:
        return enqueue_due_digests(self.app, now)

    def flush(self, now: datetime, transport: Transport | None = None) -> FlushResult:
        return flush_outbox(self.app, now, transport or self.transport or self.smtp.transport())

    def digests(self) -> dict[str, dict[int, str]]:
        return by_recipient(self.smtp.take())

    def outbox(self) -> list[OutboxMessage]:
        with self.app.sessions() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def view(fid: int, *, rule: str = "jakon.unregistered", severity: str = "high", title: str = "Temuan",
         amount: int = 0, details: dict[str, Any] | None = None, opd: str = "PUPR") -> FindingView:
    return FindingView(
        id=fid, rule=rule, severity=severity, status="open", opd=opd, opd_label=opd, subject=f"{opd}|{fid}/SPK",
        title=title, amount_at_risk=amount, details=details or {}, first_seen=date(2026, 4, 1),
        opened_at=datetime(2026, 4, 1, tzinfo=UTC), resolved_at=None, resolved_reason=None,
    )


def digest(*items: DigestItem, recipient: str = "pupr@jambikota.go.id") -> Digest:
    return Digest(recipient=recipient, kind="digest", roles=(Role("opd", "PUPR"),), items=items)
