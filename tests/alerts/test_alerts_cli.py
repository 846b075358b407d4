"""``pantau alerts send|preview`` and ``pantau outbox list|flush|retry|purge`` as a user runs them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alerts_support import SmtpServer, World
from click.testing import CliRunner, Result

from monitor.cli import cli
from monitor.settings import Settings

AT = "2026-04-15T07:00"  # T0 in Jambi


def pantau(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def smtp_config(settings: Settings, tmp_path: Path, server: SmtpServer) -> Path:
    config = tmp_path / "smtp.toml"
    config.write_text(
        f'''
[database]
url = "{settings.database.url}"
[alerts]
transport = "smtp"
bpkad = []
fallback = ["pantau-admin@jambikota.go.id"]
[smtp]
host = "127.0.0.1"
port = {server.port}
timeout = 5
from = "pantau@jambikota.go.id"
[[opd]]
code = "PERKIM"
name = "Dinas Perumahan dan Kawasan Permukiman"
email = ["perkim@jambikota.go.id"]
''',
        encoding="utf-8",
    )
    return config


def test_preview_shows_what_would_be_sent_and_records_nothing(world: World, tmp_path: Path) -> None:
    world.finding(opd="PUPR", severity="high", title="Kontrak 001 belum didaftarkan")
    world.finding(opd="PERKIM", severity="medium", title="Kontrak 002 kurang bayar")
    config = tmp_path / "pantau.toml"

    everyone = pantau(config, "alerts", "preview", "--at", AT)
    one = pantau(config, "alerts", "preview", "--recipient", "PERKIM@jambikota.go.id", "--at", AT)
    nobody = pantau(config, "alerts", "preview", "--recipient", "siapa@jambikota.go.id", "--at", AT)

    assert everyone.exit_code == 0
    assert [line for line in everyone.output.splitlines() if line.startswith("===== ")] == [
        "===== bpkad@jambikota.go.id (1 temuan) =====",
        "===== perkim@jambikota.go.id (1 temuan) =====",
        "===== ppk.pupr@jambikota.go.id (1 temuan) =====",
        "===== pupr@jambikota.go.id (1 temuan) =====",
    ]
    assert one.exit_code == 0 and "Kontrak 002 kurang bayar" in one.output and "Kontrak 001" not in one.output
    assert "Subject: [Pantau] Temuan Jakon PERKIM: 1 baru - Kontrak 002 kurang bayar" in one.output
    assert nobody.exit_code == 0
    assert "Tidak ada ringkasan yang perlu dikirim untuk siapa@jambikota.go.id." in nobody.output
    assert world.outbox() == []
    html = pantau(config, "alerts", "preview", "--recipient", "perkim@jambikota.go.id", "--format", "html", "--at", AT)
    assert "<!DOCTYPE html>" in html.output


def test_send_writes_eml_files_and_says_where(world: World, tmp_path: Path) -> None:
    world.finding(opd="PERKIM", severity="medium")
    config = tmp_path / "pantau.toml"

    first = pantau(config, "alerts", "send", "--at", AT)
    second = pantau(config, "alerts", "send", "--at", AT)

    outbox_dir = world.app.settings.alerts.outbox_dir
    assert first.exit_code == 0, first.output
    assert "1 ringkasan baru masuk outbox; terkirim 1, gagal sementara 0, mati 0, menunggu 0." in first.output
    assert f"Email tersimpan sebagai berkas .eml di {outbox_dir}" in first.output
    assert second.exit_code == 0 and "0 ringkasan baru masuk outbox; terkirim 0" in second.output
    assert len(list(outbox_dir.glob("*.eml"))) == 1


def test_outbox_commands_show_retry_and_purge_dead_messages(
    world: World, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    world.finding(opd="PERKIM", severity="medium")
    config = smtp_config(world.app.settings, tmp_path, smtp_server)
    smtp_server.handler.replies.append("550 5.1.1 Mailbox unavailable")

    failed = pantau(config, "alerts", "send", "--at", AT)
    listed = pantau(config, "outbox", "list", "--status", "dead")
    retried = pantau(config, "outbox", "retry", "--at", AT)
    flushed = pantau(config, "outbox", "flush", "--at", AT)
    sent = pantau(config, "outbox", "list")
    kept = pantau(config, "outbox", "purge", "--older-than", "30", "--at", "2026-04-20")
    purged = pantau(config, "outbox", "purge", "--older-than", "30", "--at", "2026-06-01", "--history")

    assert failed.exit_code == 1 and "mati 1" in failed.output
    assert "dead" in listed.output and "550 5.1.1 Mailbox unavailable" in listed.output
    assert retried.exit_code == 0 and "1 email diantrekan lagi." in retried.output
    assert flushed.exit_code == 0 and "Terkirim 1" in flushed.output
    assert " sent " in sent.output and "perkim@jambikota.go.id" in sent.output
    assert len(smtp_server.take()) == 1
    assert "0 email dihapus" in kept.output and "1 email dihapus" in purged.output
    assert "0 catatan riwayat pemberitahuan dihapus" in purged.output  # the only notice is the last one
    assert "Outbox kosong." in pantau(config, "outbox", "list").output


def test_a_bad_at_value_is_a_usage_error(world: World, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "pantau.toml"), "alerts", "send", "--at", "besok"])
    assert result.exit_code == 2 and "bukan tanggal/waktu ISO" in result.output


def test_at_means_the_start_of_that_day_in_jambi(world: World, tmp_path: Path) -> None:
    world.finding(opd="PERKIM", severity="medium")
    pantau(tmp_path / "pantau.toml", "alerts", "send", "--at", "2026-04-15")
    (row,) = world.outbox()
    assert row.created_at == datetime(2026, 4, 14, 17, 0, tzinfo=UTC)


def test_a_message_left_sending_by_a_crashed_sender_is_counted_as_waiting_and_said(
    world: World, tmp_path: Path,
) -> None:
    from sqlalchemy import update

    from monitor.db import transaction
    from monitor.models import OutboxMessage

    world.finding(opd="PERKIM", severity="medium")
    world.finding(opd="PUPR", severity="medium")
    world.enqueue(datetime(2026, 4, 15, tzinfo=UTC))
    with transaction(world.app.sessions) as session:  # a sender claimed every row, then was killed
        session.execute(update(OutboxMessage).values(status="sending", claim_token="dead",
                                                     claimed_at=datetime(2026, 4, 15, tzinfo=UTC)))
    count = len(world.outbox())

    flushed = pantau(tmp_path / "pantau.toml", "outbox", "flush", "--at", "2026-04-15T07:01")

    assert flushed.exit_code == 0, flushed.output
    assert flushed.output.startswith(
        f"Terkirim 0, gagal sementara 0, mati 0, menunggu {count} ({count} di antaranya sedang dikirim proses lain "
        "atau tertahan oleh pengirim yang berhenti; dikirim ulang paling lambat 5 menit setelah diambil)."
    )


def test_send_without_the_smtp_password_is_a_config_error_and_queues_nothing(
    world: World, smtp_server: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.finding(opd="PERKIM", severity="medium")
    config = smtp_config(world.app.settings, tmp_path, smtp_server)
    config.write_text(config.read_text(encoding="utf-8").replace("[smtp]\n", '[smtp]\nusername = "pantau"\n'))
    monkeypatch.delenv("PANTAU_SMTP_PASSWORD", raising=False)
    monkeypatch.setenv("PANTAU_SMTP_PASSWORD_FILE", str(tmp_path / "no-such-password"))

    result = CliRunner().invoke(cli, ["--config", str(config), "alerts", "send", "--at", AT])

    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)  # no traceback
    assert result.stderr.startswith("Kesalahan konfigurasi:\nenvironment: PANTAU_SMTP_PASSWORD_FILE: ")
    assert "Outbox kosong." in pantau(config, "outbox", "list").output  # nothing queued to die later
    assert smtp_server.take() == []
