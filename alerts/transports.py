"""How a rendered message leaves Pantau. A transport is small: ``send(message)``, raising
:class:`TransportError` with ``permanent`` set when retrying cannot help (the server said 5xx).
Retries, backoff and "already sent" memory live once, in the outbox, never here.

``TRANSPORTS`` maps the ``[alerts] transport`` setting to a factory.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import ssl
import tempfile
import threading
from collections.abc import Callable, Coroutine
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiosmtplib

from monitor.settings import Settings, SmtpSettings

T = TypeVar("T")


class TransportError(Exception):
    """Delivery failed. ``permanent``: retrying the same message will not help (5xx, bad address).

    ``refused_sender``: the server refused Pantau itself, not this message — its credentials
    (``authentication``) or the secure connection (``tls``). Every message would fail the same way, and
    none of them is at fault: the outbox stops and keeps them all until the configuration is fixed."""

    def __init__(self, message: str, permanent: bool = False, refused_sender: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.refused_sender = refused_sender


class Transport(Protocol):
    """Delivers one message, or raises :class:`TransportError`."""

    def send(self, message: EmailMessage) -> None: ...


def envelope_recipients(message: EmailMessage) -> list[str]:
    addresses = []
    for header in ("To", "Cc", "Bcc"):
        for value in message.get_all(header, []):
            for part in str(value).split(","):
                address = parseaddr(part)[1]
                if address:
                    addresses.append(address)
    return addresses


class SmtpTransport:
    """SMTP through aiosmtplib: plain, STARTTLS or implicit TLS, optional login, per-command timeout.

    The password comes only from the environment (``PANTAU_SMTP_PASSWORD`` or ``..._FILE``)."""

    name = "smtp"

    def __init__(self, smtp: SmtpSettings, password: str = "") -> None:
        if smtp.tls and smtp.starttls:
            raise ValueError("[smtp] tls (implicit TLS) and starttls exclude each other; choose one")
        self.smtp = smtp
        self.password = password

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        return cls(settings.smtp, settings.smtp_password())

    def send(self, message: EmailMessage) -> None:
        recipients = envelope_recipients(message)
        if not recipients:
            raise TransportError("message has no recipient", permanent=True)
        try:
            errors, _reply = _run(self._send(message, recipients))
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            replies = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            raise TransportError(f"recipients refused: {replies}", permanent=all(_permanent(c) for c in codes)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            auth = isinstance(exc, aiosmtplib.SMTPAuthenticationError)
            refused = "authentication" if auth else _REFUSED.get(exc.code)
            raise TransportError(f"{exc.code} {exc.message}", permanent=_permanent(exc.code),
                                 refused_sender=refused) from exc
        except (aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected) as exc:
            # A certificate the client does not trust, a failed handshake: the secure connection's configuration.
            refused = "tls" if _caused_by(exc, ssl.SSLError) else None
            raise TransportError(f"{type(exc).__name__}: {exc}", permanent=False, refused_sender=refused) from exc
        except aiosmtplib.SMTPException as exc:  # e.g. STARTTLS or AUTH not offered: configuration
            refused = "tls" if "TLS" in str(exc) else "authentication"
            raise TransportError(f"{type(exc).__name__}: {exc}", permanent=True, refused_sender=refused) from exc
        except ssl.SSLError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}", permanent=False, refused_sender="tls") from exc
        except (OSError, TimeoutError) as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
        if errors:
            # Some envelope recipients refused; each digest has one, so this is rare (a Cc'd copy).
            replies = "; ".join(f"{rcpt}: {reply.code} {reply.message}" for rcpt, reply in errors.items())
            permanent = all(_permanent(reply.code) for reply in errors.values())
            raise TransportError(f"recipients refused: {replies}", permanent=permanent)

    async def _send(self, message: EmailMessage, recipients: list[str]) -> tuple[dict[str, Any], str]:
        smtp = self.smtp
        return await aiosmtplib.send(
            message,
            sender=parseaddr(smtp.sender)[1] or smtp.sender,
            recipients=recipients,
            hostname=smtp.host,
            port=smtp.port,
            use_tls=smtp.tls,
            start_tls=smtp.starttls,  # False, not None: no opportunistic STARTTLS behind the setting's back
            username=smtp.username or None,
            password=self.password if smtp.username else None,
            timeout=smtp.timeout,
            tls_context=self._tls_context(),
        )

    def _tls_context(self) -> ssl.SSLContext | None:
        """Verification against ``[smtp] ca_file`` when set (a private CA), else aiosmtplib's default
        (the system trust store); never unverified."""
        if self.smtp.ca_file is None or not (self.smtp.tls or self.smtp.starttls):
            return None
        return ssl.create_default_context(cafile=str(self.smtp.ca_file))


def _permanent(code: int) -> bool:
    return 500 <= code < 600


# Replies that refuse the sender's session, not a message (RFC 4954): authentication required (530, also
# "must issue STARTTLS first"), mechanism too weak (534), credentials invalid (535), encryption required (538).
_REFUSED = {530: "authentication", 534: "authentication", 535: "authentication", 538: "tls"}


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion from synchronous code, even when this thread already runs an
    event loop (the daemon may): then it runs on a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = asyncio.run(coroutine)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="pantau-smtp")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]+")


class FileTransport:
    """Writes each message as an ``.eml`` file into ``[alerts] outbox_dir``: the embedded default, and
    what ``make run`` leaves behind. The name derives from the Message-ID, so a message written twice
    (a retry after a crash) overwrites its own file instead of adding a copy."""

    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @classmethod
    def from_settings(cls, settings: Settings) -> FileTransport:
        return cls(settings.alerts.outbox_dir)

    def path_for(self, message: EmailMessage) -> Path:
        message_id = str(message.get("Message-ID", ""))
        digest = hashlib.sha256(message_id.encode()).hexdigest()[:12]
        try:
            stamp = parsedate_to_datetime(str(message["Date"])).strftime("%Y%m%dT%H%M%S")
        except (TypeError, ValueError):
            stamp = "undated"
        recipient = _UNSAFE.sub("_", ",".join(envelope_recipients(message)))[:80] or "unknown"
        return self.directory / f"{stamp}_{recipient}_{digest}.eml"

    def send(self, message: EmailMessage) -> None:
        target = self.path_for(message)
        temporary: str | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Write then rename: a reader never sees half a message.
            fd, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.directory)
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes())
            os.replace(temporary, target)
            temporary = None
        except OSError as exc:
            raise TransportError(f"cannot write {target}: {exc}", permanent=False) from exc
        finally:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)


TRANSPORTS: dict[str, Callable[[Settings], Transport]] = {
    "smtp": SmtpTransport.from_settings,
    "file": FileTransport.from_settings,
}


def make_transport(settings: Settings) -> Transport:
    """The transport ``[alerts] transport`` names."""
    try:
        factory = TRANSPORTS[settings.alerts.transport]
    except KeyError:
        raise ValueError(
            f"[alerts] transport: unknown transport {settings.alerts.transport!r}; choose one of {sorted(TRANSPORTS)}"
        ) from None
    return factory(settings)
