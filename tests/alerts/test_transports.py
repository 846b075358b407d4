"""The transports' one contract: ``send(message)`` or ``TransportError(permanent=...)``."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from alerts_support import T0, SmtpServer, World, digest, free_port, items_of, text_of, view

from alerts.digest import DigestItem
from alerts.outbox import send_cycle
from alerts.render import compose, render
from alerts.transports import TRANSPORTS, FileTransport, SmtpTransport, TransportError, make_transport
from alerts.view import digest_context
from monitor.settings import AlertSettings, Settings, SmtpSettings


def message(to: str = "pupr@jambikota.go.id", message_id: str = "<m1@pantau.test>") -> EmailMessage:
    rendered = render("digest", digest_context(digest(DigestItem(view(1), "new")), Settings(), T0))
    return compose(rendered, sender="pantau@jambikota.go.id", recipient=to, message_id=message_id, date=T0,
                   kind="digest")


class RefusingRecipients:
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word: the client must time out."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(5)
        yield int(sock.getsockname()[1])


def test_smtp_delivers_to_the_envelope_recipient(smtp_server: SmtpServer) -> None:
    smtp_server.transport().send(message())
    (received,) = smtp_server.take()
    assert received.envelope_to == ["pupr@jambikota.go.id"]
    assert received.message["Message-ID"] == "<m1@pantau.test>"


def test_smtp_connection_refused_is_transient() -> None:
    transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2))
    with pytest.raises(TransportError) as caught:
        transport.send(message())
    assert caught.value.permanent is False


def test_smtp_timeout_is_transient(silent_server: int) -> None:
    transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=silent_server, timeout=0.3))
    with pytest.raises(TransportError) as caught:
        transport.send(message())
    assert caught.value.permanent is False and "Timeout" in caught.value.message


@pytest.mark.parametrize(("reply", "permanent"), [
    ("451 4.3.0 Temporary failure", False),
    ("452 4.3.1 Insufficient system storage", False),
    ("550 5.7.1 Message rejected as spam", True),
    ("554 5.0.0 Transaction failed", True),
])
def test_smtp_reply_codes_decide_permanence(smtp_server: SmtpServer, reply: str, permanent: bool) -> None:
    smtp_server.handler.replies.append(reply)
    with pytest.raises(TransportError) as caught:
        smtp_server.transport().send(message())
    assert caught.value.permanent is permanent
    assert caught.value.message == reply


def test_a_refused_recipient_is_permanent_and_keeps_the_reply() -> None:
    server = SmtpServer()
    server.handler = RefusingRecipients()  # type: ignore[assignment]
    server.start()
    try:
        with pytest.raises(TransportError) as caught:
            server.transport().send(message(to="nobody@jambikota.go.id"))
    finally:
        server.stop()
    assert caught.value.permanent is True
    assert "550 5.1.1 <nobody@jambikota.go.id>: Recipient address rejected: User unknown" in caught.value.message


def test_starttls_required_but_not_offered_is_a_permanent_configuration_error(smtp_server: SmtpServer) -> None:
    with pytest.raises(TransportError) as caught:
        smtp_server.transport(starttls=True).send(message())
    assert caught.value.permanent is True
    assert smtp_server.take() == []


@pytest.fixture(scope="module")
def certificates() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trusted(certificates: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A server certificate for 127.0.0.1 from a test CA the client trusts (through SSL_CERT_FILE, which
    OpenSSL's default verify paths read: the way an operator adds a private CA too)."""
    ca_file = tmp_path / "ca.pem"
    certificates.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificates.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


def test_starttls_upgrades_the_connection_before_sending(trusted: ssl.SSLContext) -> None:
    server = SmtpServer(tls_context=trusted, require_starttls=True)
    server.start()
    try:
        with pytest.raises(TransportError) as refused:
            server.transport().send(message())  # plain text to a server that insists on STARTTLS
        server.transport(starttls=True).send(message())
    finally:
        server.stop()
    assert refused.value.permanent is True and refused.value.message.startswith("530")
    assert len(server.received) == 1


def test_implicit_tls_sends_over_tls_from_the_first_byte(trusted: ssl.SSLContext) -> None:
    server = SmtpServer(ssl_context=trusted)
    server.start()
    try:
        server.transport(tls=True).send(message())
    finally:
        server.stop()
    assert len(server.received) == 1


def test_an_untrusted_certificate_is_not_accepted(certificates: trustme.CA) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificates.issue_cert("127.0.0.1").configure_cert(context)  # the client does not trust this CA
    server = SmtpServer(ssl_context=context)
    server.start()
    try:
        with pytest.raises(TransportError):
            server.transport(tls=True).send(message())
    finally:
        server.stop()
    assert server.received == []


def test_a_private_ca_named_by_ca_file_is_trusted_for_that_server_only(
    certificates: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    ca_file = tmp_path / "kominfo-ca.pem"
    certificates.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificates.issue_cert("127.0.0.1").configure_cert(context)
    server = SmtpServer(ssl_context=context)
    server.start()
    try:
        with pytest.raises(TransportError):  # without ca_file the system trust store refuses it
            server.transport(tls=True).send(message())
        server.transport(tls=True, ca_file=ca_file).send(message())
    finally:
        server.stop()
    assert len(server.received) == 1


def test_implicit_tls_and_starttls_together_are_refused() -> None:
    with pytest.raises(ValueError, match="tls"):
        SmtpTransport(SmtpSettings(tls=True, starttls=True))


def test_smtp_works_from_inside_a_running_event_loop(smtp_server: SmtpServer) -> None:
    async def inside() -> None:
        smtp_server.transport().send(message())

    asyncio.run(inside())
    assert len(smtp_server.take()) == 1


def test_the_file_transport_writes_a_readable_eml_once_per_message(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path / "outbox")
    sent = message()

    transport.send(sent)
    transport.send(sent)  # a retry after a crash overwrites its own file

    (path,) = (tmp_path / "outbox").iterdir()
    assert path.suffix == ".eml" and path.name.startswith("20260415T000000_pupr@jambikota.go.id_")
    parsed = message_from_bytes(path.read_bytes(), policy=email_policy.default)
    assert parsed["Message-ID"] == "<m1@pantau.test>" and parsed["To"] == "pupr@jambikota.go.id"
    assert "Ringkasan temuan kepatuhan Jakon" in path.read_text(encoding="utf-8")  # readable as it is
    transport.send(message(message_id="<m2@pantau.test>"))
    assert len(list((tmp_path / "outbox").iterdir())) == 2


def test_the_file_transport_reports_an_unwritable_folder_as_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(TransportError) as caught:
        FileTransport(blocker).send(message())
    assert caught.value.permanent is False


def test_make_transport_picks_the_configured_one(tmp_path: Path) -> None:
    assert set(TRANSPORTS) == {"smtp", "file"}
    file_transport = make_transport(Settings(alerts=AlertSettings(transport="file", outbox_dir=tmp_path)))
    smtp_transport = make_transport(Settings(alerts=AlertSettings(transport="smtp"), smtp=SmtpSettings(port=2525)))
    assert isinstance(file_transport, FileTransport) and file_transport.directory == tmp_path
    assert isinstance(smtp_transport, SmtpTransport) and smtp_transport.smtp.port == 2525


def test_a_cycle_with_the_file_transport_leaves_eml_files(world: World) -> None:
    world.configure(bpkad=())
    fid = world.finding(opd="PERKIM", severity="medium")

    result = send_cycle(world.app, T0)  # [alerts] transport = "file" in the test settings

    outbox_dir = world.app.settings.alerts.outbox_dir
    (path,) = outbox_dir.glob("*.eml")
    parsed: Any = message_from_bytes(path.read_bytes(), policy=email_policy.default)
    assert result.flush.sent == 1 and parsed["To"] == "perkim@jambikota.go.id"
    assert items_of(parsed) == {fid: "BARU"} and "Rp2.350.000" in text_of(parsed)
