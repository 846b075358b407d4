"""OPD links: the signed address in each OPD digest that opens that OPD's page without an account.

A link carries the OPD code and the address it was sent to, signed with the ``[web]`` key
(itsdangerous) and timestamped. It opens for ``[web] link_days``; ``pantau link revoke --opd CODE``
voids every link to that OPD issued before now. It is checked again on every request, so a revoked
link stops working in a browser that already opened it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.access.roles import Principal
from monitor.models import LinkRevocation
from monitor.settings import Settings

_SALT = "pantau.opd-link"
LINK_PATH = "/tautan/"


class LinkRefused(Exception):
    """The link does not open; the message says why (Bahasa Indonesia), for the 403 page."""


@dataclass(frozen=True, slots=True)
class OpdLink:
    opd: str
    recipient: str
    issued_at: datetime

    @property
    def principal(self) -> Principal:
        return Principal("link", self.recipient, "opd", self.opd)


def _serializer(key: bytes, now: datetime) -> URLSafeTimedSerializer:
    class _Clock(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(now.timestamp())

    return URLSafeTimedSerializer(key, salt=_SALT, signer=_Clock)


def issue_token(key: bytes, opd: str, recipient: str, now: datetime) -> str:
    return _serializer(key, now).dumps({"opd": opd, "to": recipient})


def opd_link_url(settings: Settings, opd: str, recipient: str, now: datetime) -> str | None:
    """The link for a digest to ``recipient`` about ``opd``; None without a base_url or the web off."""
    if not settings.web.enabled or not settings.web.base_url:
        return None
    token = issue_token(settings.web_secret_key(), opd, recipient, now)
    return f"{settings.web.base_url}{LINK_PATH}{token}"


def read_token(session: Session, settings: Settings, token: str, now: datetime) -> OpdLink:
    """The link ``token`` stands for, if it opens now; :class:`LinkRefused` saying why otherwise."""
    serializer = _serializer(settings.web_secret_key(), now)
    max_age = int(timedelta(days=settings.web.link_days).total_seconds())
    try:
        claims, issued = serializer.loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired as exc:
        raise LinkRefused(
            f"Tautan ini sudah kedaluwarsa (berlaku {settings.web.link_days} hari). Pakai tautan di e-mail "
            "ringkasan terbaru.") from exc
    except BadSignature as exc:
        raise LinkRefused("Tautan ini tidak sah: isinya berubah atau bukan dari Pantau.") from exc
    if not isinstance(claims, dict) or not isinstance(claims.get("opd"), str) or not isinstance(claims.get("to"), str):
        raise LinkRefused("Tautan ini tidak sah.")
    issued = issued.astimezone(UTC)
    revoked = session.scalars(select(LinkRevocation.revoked_at).where(LinkRevocation.opd == claims["opd"])).first()
    if revoked is not None and issued < revoked:
        raise LinkRefused(
            f"Tautan untuk OPD {claims['opd']} sudah dicabut. Pakai tautan di e-mail ringkasan yang lebih baru.")
    return OpdLink(claims["opd"], claims["to"], issued)


def revoke(session: Session, opd: str, *, actor: str, now: datetime) -> None:
    """Void every link to ``opd`` issued before ``now`` (links issued later open again)."""
    row = session.get(LinkRevocation, opd)
    if row is None:
        session.add(LinkRevocation(opd=opd, revoked_at=now, actor=actor))
    else:
        row.revoked_at, row.actor = now, actor
