"""One way to render an email: ``templates/<kind>.subject.txt``, ``<kind>.txt`` and ``<kind>.html``,
through one Jinja2 environment with ``StrictUndefined`` (a missing value is an error, not a blank) and
autoescape for ``.html`` templates (titles and vendor names are untrusted input).

:func:`compose` builds the multipart/alternative message; every header value goes through
:func:`header_safe`, so no CR/LF from the data can add a header.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
MAX_SUBJECT = 200


@dataclass(frozen=True)
class Attachment:
    """A file carried by a message (part of the stored RFC 5322 text, so the outbox keeps it durably)."""

    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "octet-stream"


XLSX_SUBTYPE = "vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Built on first use (nothing happens on import) and shared: templates compile once."""
    return Environment(
        loader=PackageLoader("alerts", "templates"),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(kind: str, context: Mapping[str, Any]) -> RenderedEmail:
    """Render the three templates of ``kind`` with ``context``."""
    env = environment()
    subject = env.get_template(f"{kind}.subject.txt").render(context)
    text = env.get_template(f"{kind}.txt").render(context)
    html = env.get_template(f"{kind}.html").render(context)
    return RenderedEmail(subject=header_safe(subject, limit=MAX_SUBJECT), text=text, html=html)


def header_safe(value: str, *, limit: int | None = None) -> str:
    """A header value with no CR, LF or other control characters, on one line."""
    flat = " ".join(_CONTROL.sub(" ", value).split())
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return flat


def new_message_id(sender: str) -> str:
    """A globally unique Message-ID in the sender's domain; stored with the message so every retry
    of it carries the same one."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "pantau.localhost"
    return f"<pantau.{uuid.uuid4().hex}@{header_safe(domain)}>"


def compose(
    rendered: RenderedEmail, *, sender: str, recipient: str, message_id: str, date: datetime, kind: str,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """The message as it will be sent: multipart/alternative with the plain text first, inside
    multipart/mixed when files are attached."""
    message = EmailMessage()
    message["Subject"] = header_safe(rendered.subject)
    message["From"] = _address(sender, display_name="Pantau")
    message["To"] = _address(recipient)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = header_safe(message_id)
    # Keeps auto-responders and vacation replies from answering a robot (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message["X-Pantau-Kind"] = header_safe(kind)
    # The email package picks 7bit for ASCII text (readable as a raw .eml) and quoted-printable otherwise.
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for attachment in attachments:
        message.add_attachment(attachment.content, maintype=attachment.maintype, subtype=attachment.subtype,
                               filename=header_safe(attachment.filename))
    return message


def _address(value: str, display_name: str = "") -> Address | str:
    name, addr = parseaddr(header_safe(value))
    if "@" not in addr:
        return header_safe(value)
    local, _, domain = addr.rpartition("@")
    return Address(display_name=name or display_name, username=local, domain=domain)
