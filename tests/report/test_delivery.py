"""The daemon's monev job: three files in ``[report] output_dir`` and an e-mail with them to each of
``[report] recipients`` through the outbox and a real SMTP server on loopback, surviving an outage."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from alerts.outbox import flush_outbox
from monitor.bootstrap import App
from monitor.daemon import jobs
from monitor.models import OutboxMessage
from tests.alerts.alerts_support import SmtpServer, text_of
from tests.report.conftest import City

NOW = datetime(2026, 4, 20, 1, 0, tzinfo=UTC)  # 08:00 WIB on the as-of date
RECIPIENTS = ("disnaker@jambikota.go.id", "jambi@bpjsketenagakerjaan.go.id")


@pytest.fixture
def smtp() -> SmtpServer:
    server = SmtpServer()
    server.start()
    yield server  # type: ignore[misc]
    server.stop()


def _app(city: City, tmp_path: Path, smtp: SmtpServer, **report: object) -> App:
    settings = city.app.settings
    settings = settings.model_copy(update={
        "report": settings.report.model_copy(update={"recipients": RECIPIENTS, "output_dir": tmp_path / "reports",
                                                     **report}),
        "smtp": smtp.settings(sender="pantau@jambikota.go.id"),
        "alerts": settings.alerts.model_copy(update={"transport": "smtp"}),
    })
    return App(settings=settings, engine=city.app.engine, sessions=city.app.sessions)


def test_the_monev_job_mails_three_attachments_and_survives_an_outage(
    city: City, tmp_path: Path, smtp: SmtpServer,
) -> None:
    app = _app(city, tmp_path, smtp)
    smtp.stop()
    result = jobs.monev(app, NOW)
    assert result.follow_up == ("outbox",) and result.summary["queued"] == 2
    files = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert files == ["monev-2026-04-20.html", "monev-2026-04-20.pdf", "monev-2026-04-20.xlsx"]

    down = flush_outbox(app, NOW, smtp.transport())
    assert (down.sent, down.pending) == (0, 2)
    with app.sessions() as session:
        assert {row.status for row in session.scalars(select(OutboxMessage))} == {"pending"}

    smtp.start()
    later = flush_outbox(app, NOW + timedelta(days=1), smtp.transport())
    assert later.sent == 2
    received = {r.recipient: r.message for r in smtp.take()}
    assert set(received) == set(RECIPIENTS)
    message = received[RECIPIENTS[0]]
    assert message["Subject"] == "Laporan monev kepatuhan Jakon per 20 April 2026"
    attached = {part.get_filename(): part for part in message.iter_attachments()}
    assert list(attached) == ["monev-2026-04-20.html", "monev-2026-04-20.pdf", "monev-2026-04-20.xlsx"]
    assert attached["monev-2026-04-20.pdf"].get_content().startswith(b"%PDF")
    assert attached["monev-2026-04-20.pdf"].get_content() == (tmp_path / "reports/monev-2026-04-20.pdf").read_bytes()
    book = load_workbook(io.BytesIO(attached["monev-2026-04-20.xlsx"].get_content()), read_only=True)
    assert "Tindak lanjut" in book.sheetnames
    assert "Kontrak dalam cakupan" in attached["monev-2026-04-20.html"].get_content()


def test_a_heavy_report_carries_the_html_only_and_says_where_the_rest_is(
    city: City, tmp_path: Path, smtp: SmtpServer,
) -> None:
    app = _app(city, tmp_path, smtp, max_attachment_mb=0.15)  # the HTML is about 110 kB, all three 190 kB
    jobs.monev(app, NOW)
    flush_outbox(app, NOW, smtp.transport())
    message = smtp.take()[0].message
    assert [p.get_filename() for p in message.iter_attachments()] == ["monev-2026-04-20.html"]
    text = " ".join(text_of(message).split())
    assert "hanya HTML yang dilampirkan" in text and str(tmp_path / "reports") in text


def test_without_a_successful_check_the_job_fails_and_sends_nothing(app: App, tmp_path: Path, smtp: SmtpServer) -> None:
    from monitor.report import ReportError

    with pytest.raises(ReportError, match="belum ada pemeriksaan yang berhasil"):
        jobs.monev(_app(City(app, tmp_path), tmp_path, smtp), NOW)
    with app.sessions() as session:
        assert session.scalars(select(OutboxMessage)).first() is None


def test_when_even_the_html_is_over_the_limit_nothing_is_attached_and_the_body_says_where(
    city: City, tmp_path: Path, smtp: SmtpServer,
) -> None:
    app = _app(city, tmp_path, smtp, max_attachment_mb=0.000001)
    jobs.monev(app, NOW)
    flush_outbox(app, NOW, smtp.transport())
    message = smtp.take()[0].message
    assert list(message.iter_attachments()) == []
    text = " ".join(text_of(message).split())
    assert "tidak dilampirkan" in text and str(tmp_path / "reports") in text
